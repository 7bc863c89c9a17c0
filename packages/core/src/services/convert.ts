/**
 * convert: move a model's default-domain opset up with core's adapters (onnx/opset), keep the
 * result only if onnxruntime gives the same outputs on seeded probe inputs, and write it
 * atomically. Checked before any work: the target opset, the output path (never the input).
 */
import { statSync } from 'node:fs';
import type { RunContext } from '../contracts.js';
import { sha256File } from '../digest.js';
import { ErrorCodes } from '../errors.js';
import { resolveModelRef } from '../model-ref.js';
import { OnnxModel } from '../onnx/model.js';
import { checkOpsetRange, upgradeVerified, type UpgradeReport, type Verification } from '../onnx/opset/index.js';
import { toNumber } from '../onnx/proto.js';
import type { FileInfo } from '../results.js';
import { CORE_VERSION } from '../version.js';
import { verifyStagedLoads } from './output-checks.js';
import { planOutput, writeOutput } from './output-target.js';

export interface ConvertRequest {
  readonly model: string;
  readonly opset: number;
  readonly out: string;
  /** probe inputs run through both models (default 3) */
  readonly probes?: number;
}

export interface ConvertResult {
  readonly kind: 'convert';
  readonly versions: { readonly mc: string; readonly node: string };
  readonly model: FileInfo;
  readonly output: FileInfo;
  readonly from: { readonly opset: number; readonly irVersion: number };
  readonly to: { readonly opset: number; readonly irVersion: number };
  /** crossings whose adapter rewrote nodes: op, the opset where it changed, how many nodes */
  readonly adapted: UpgradeReport['adapted'];
  /** absent when the model already was at the target opset */
  readonly verification?: Verification;
  readonly timings: { readonly totalS: number };
}

export async function convertModel(request: ConvertRequest, ctx: RunContext): Promise<ConvertResult> {
  const t0 = performance.now();
  checkOpsetRange(request.opset, '--opset', ErrorCodes.BAD_PARAM);
  const source = await resolveModelRef(request.model, ctx);
  const target = await planOutput(request.out, source);
  try {
    const model = await OnnxModel.load(source.path);
    const from = model.opset('') ?? 1;
    const irFrom = toNumber(model.proto.irVersion ?? 0);
    checkOpsetRange(from, "the model's opset");
    let result: { report?: UpgradeReport; verification?: Verification } = {};
    if (request.opset !== from) result = await upgradeVerified(model, request.opset, ctx, { probes: request.probes });
    else ctx.log.info(`the model already is at opset ${from}: written unchanged`);
    // the staged file must load in a plain onnxruntime session before it is renamed into place, as compress's and decompress's
    const written = await writeOutput(target, model, source, {
      verify: (staged) => verifyStagedLoads(staged, 'converted', source.path),
    });
    return {
      kind: 'convert',
      versions: { mc: CORE_VERSION, node: process.version },
      model: {
        ref: request.model,
        path: source.path,
        sha256: await sha256File(source.path),
        bytes: statSync(source.path).size,
      },
      output: { path: target.modelPath, sha256: await sha256File(target.modelPath), bytes: written.bytes },
      from: { opset: from, irVersion: irFrom },
      to: { opset: request.opset, irVersion: result.report?.irTo ?? irFrom },
      adapted: result.report?.adapted ?? [],
      verification: result.verification,
      timings: { totalS: (performance.now() - t0) / 1000 },
    };
  } finally {
    await target.release(); // the lock planOutput took on --out
  }
}
