/**
 * For tests that write models (mc's and plugin authors'): the same validator mc runs before it
 * writes (onnx/validate: order, single definitions, references, attributes, dims, tensor sizes,
 * opsets, IR version), then a load in a plain onnxruntime session. Throws an Error listing every
 * issue; resolves when the model is valid.
 */
import { promises as fs } from 'node:fs';
import { decodeModel } from '../onnx/decode.js';
import type { OnnxModel } from '../onnx/model.js';
import type { onnx } from '../onnx/proto.js';
import { formatIssue, validateModel } from '../onnx/validate/index.js';
import { loadOrt } from '../session/factory.js';

export async function expectValidModel(model: string | OnnxModel): Promise<void> {
  let proto: onnx.IModelProto;
  let label: string;
  let forOrt: string | Uint8Array;
  if (typeof model === 'string') {
    proto = decodeModel(await fs.readFile(model), model);
    label = model;
    forOrt = model; // a path, so onnxruntime finds external data beside it
  } else {
    proto = model.proto;
    label = model.sourcePath ?? 'the model';
    forOrt = model.toBytes();
  }
  const issues = validateModel(proto);
  if (issues.length > 0)
    throw new Error(`${label} is not a valid ONNX model:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
  const ort = await loadOrt();
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session =
      typeof forOrt === 'string'
        ? await ort.InferenceSession.create(forOrt, { logSeverityLevel: 3 })
        : await ort.InferenceSession.create(forOrt, { logSeverityLevel: 3 });
  } catch (e) {
    throw new Error(
      `${label} passes the validator but onnxruntime cannot load it: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  await session.release();
}
