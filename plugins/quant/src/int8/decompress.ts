/**
 * The inverse of rewrite.ts for `mc decompress`: every DequantizeLinear that int8 wrote (inputs are
 * initializers named `<W>_q`, `<W>_scale`[, `<W>_zero_point`], output W) is folded back into a dense
 * initializer W holding exactly what onnxruntime computed from it (math.ts `dequantize`), in the
 * scale's float type. DequantizeLinear nodes that mc did not write are left alone.
 */
import {
  DataType,
  ErrorCodes,
  UserError,
  throwIfAborted,
  type Initializer,
  type NodeProto,
  type OnnxModel,
  type RunContext,
} from '@mc-kit/core';
import { readDecodeRecords, removeDecodeRecords } from '../decode-records.js';
import { restoreCastMul } from './cast-decode.js';
import { encodeFloats, SCALE_TYPES, type FloatType } from '../grid/float-types.js';
import { dequantize } from './math.js';

export interface Found {
  readonly node: NodeProto;
  readonly name: string;
  readonly q: Initializer;
  readonly scale: Initializer;
  readonly zp?: Initializer;
  readonly scaleType: FloatType;
  /** undefined: per tensor */
  readonly axis?: number;
}

/** `<name><suffix>`, or the `<name><suffix>_<n>` that uniqueName gives when that was taken. */
function isCodeName(qName: string, name: string, suffix: string): boolean {
  const base = `${name}${suffix}`;
  return qName === base || (qName.startsWith(`${base}_`) && /^\d+$/.test(qName.slice(base.length + 1)));
}

/**
 * The DequantizeLinear nodes int8 wrote, with their initializers. `codeSuffix` is the codes' name
 * suffix: `_q` for int8's own, `_q8` for the tensors int4 fell back to int8 for.
 */
export function findInt8Nodes(model: OnnxModel, codeSuffix = '_q'): Found[] {
  const found: Found[] = [];
  for (const node of model.nodes) {
    const domain = node.domain ?? '';
    if (node.opType !== 'DequantizeLinear' || (domain !== '' && domain !== 'ai.onnx')) continue;
    const name = node.output?.[0];
    const [qName, scaleName, zpName] = node.input ?? [];
    if (!name || !qName || !scaleName) continue;
    if (!isCodeName(qName, name, codeSuffix) || !scaleName.startsWith(`${name}_scale`)) continue;
    const q = model.getInitializer(qName);
    const scale = model.getInitializer(scaleName);
    const zp = zpName ? model.getInitializer(zpName) : undefined;
    if (!q || !scale || (zpName && !zp)) continue;
    if (q.dataType !== DataType.INT8 && q.dataType !== DataType.UINT8) continue; // int4 etc. belong to other methods
    const scaleType = SCALE_TYPES.get(scale.dataType);
    if (!scaleType) continue;
    let axis: number | undefined;
    if (scale.dims.length > 0) {
      // ONNX: axis defaults to 1 and may be negative
      const a = node.attribute?.find((x) => x.name === 'axis');
      const raw = a?.i === undefined || a.i === null ? 1 : Number(a.i);
      axis = raw < 0 ? raw + q.dims.length : raw;
    }
    found.push({ node, name, q, scale, zp, scaleType, axis });
  }
  return found;
}

/** Fold one found DequantizeLinear back into the dense initializer it stands for. */
export function restoreInt8Node(model: OnnxModel, f: Found): void {
  const codes = f.q.readTyped() as Int8Array | Uint8Array;
  const scales = f.scale.readFloat32();
  const zps = f.zp ? (f.zp.readTyped() as Int8Array | Uint8Array) : new Uint8Array(scales.length);
  const dense = dequantize(codes, f.q.dims, scales, zps, f.axis, f.scaleType);
  model.removeNode(f.node);
  for (const init of [f.q, f.scale, f.zp]) {
    if (init && model.consumers(init.name).length === 0) model.removeInitializer(init.name);
  }
  model.setInitializer(f.name, f.scale.dataType, [...f.q.dims], encodeFloats(dense, f.scaleType));
}

/** Dense weights back in place of int8's DequantizeLinear nodes and Cast/Mul decodes; returns the names restored. */
export async function dequantizeWeights(model: OnnxModel, ctx: RunContext): Promise<string[]> {
  const found = findInt8Nodes(model);
  const decodes = Object.entries(readDecodeRecords(model)).filter(([, r]) => r.method === 'int8');
  if (found.length === 0 && decodes.length === 0) {
    throw new UserError(ErrorCodes.NOT_COMPRESSED, 'int8: the model has no int8-quantized weights to restore', {
      hint: 'mc decompress undoes what mc compress --method int8 wrote (DequantizeLinear nodes over <name>_q / <name>_scale initializers, or the Cast/Mul decodes listed in mc.quant.decode)',
    });
  }
  const task = ctx.progress.start('int8 decompress', found.length + decodes.length);
  const step = () => {
    if (ctx.signal.aborted) task.fail();
    throwIfAborted(ctx.signal); // each step leaves a valid model, so stopping half way is safe
  };
  for (const f of found) {
    step();
    restoreInt8Node(model, f);
    task.tick();
  }
  for (const [weight, r] of decodes) {
    step();
    restoreCastMul(model, weight, r);
    removeDecodeRecords(model, [weight]);
    task.tick();
  }
  task.done(`int8: restored ${found.length + decodes.length} dense weights`);
  return [...found.map((f) => f.name), ...decodes.map(([w]) => w)];
}
