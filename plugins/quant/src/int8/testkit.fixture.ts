/**
 * Test helpers shared by the int8 tests (excluded from the build by tsconfig): a run context, a
 * seeded weight generator, running a model in onnxruntime-node, and the reference "float model
 * built from the dequantized weights" that a quantized model must match.
 */
import {
  createRunContext,
  DataType,
  OnnxModel,
  OrtSessionFactory,
  type HostTensor,
  type RunContext,
  type SessionOptions,
} from '@mc-kit/core';
import { readDecodeRecords } from '../decode-records.js';
import { dequantize } from './math.js';

export const sessions = new OrtSessionFactory({ device: 'cpu' });

export function testContext(signal?: AbortSignal): RunContext {
  return createRunContext({ sessions, progressMode: 'silent', signal });
}

/** Deterministic weights in [-scale, scale) (mulberry32), so tests need no fixtures on disk. */
export function seededWeights(count: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = (2 * u - 1) * scale;
  }
  return out;
}

/**
 * Session options under which onnxruntime computes exactly "DequantizeLinear, then the float op".
 * At 'extended'/'all', onnxruntime 1.30 fuses DequantizeLinear -> MatMul (and Gemm with transB=0)
 * into com.microsoft.MatMulNBits with accuracy_level 4 (session config
 * `session.qdq_matmulnbits_accuracy_level`, default "4"), which quantizes the ACTIVATIONS to int8 as
 * well: ~1 % relative error on these tiny models, unrelated to the weight codes under test. Setting
 * that config entry to "0" removes the difference; core's session factory does not expose it.
 */
export const UNFUSED: SessionOptions = { graphOptimization: 'basic' };

export async function runModel(
  model: OnnxModel,
  feeds: Record<string, HostTensor>,
  options?: SessionOptions,
): Promise<Record<string, HostTensor>> {
  const session = await sessions.create(model.toBytes(), options);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export function floatInput(data: Float32Array, dims: number[]): HostTensor {
  return { type: 'float32', data, dims };
}

/** A copy of a model (through its bytes). */
export function cloneModel(model: OnnxModel): OnnxModel {
  return OnnxModel.fromBytes(model.toBytes());
}

/**
 * The float model built from the dequantized weights: `original` with every weight that `quantized`
 * replaced set to math.ts `dequantize` of the stored codes, scales and zero points. Independent of
 * decompress.ts on purpose: it reads the DequantizeLinear node's inputs and axis itself.
 */
export function denseReference(original: OnnxModel, quantized: OnnxModel): OnnxModel {
  const ref = cloneModel(original);
  for (const node of quantized.nodes.filter((n) => n.opType === 'DequantizeLinear')) {
    const [qName, sName, zName] = node.input ?? [];
    const q = quantized.getInitializer(qName)!;
    const s = quantized.getInitializer(sName)!;
    const z = quantized.getInitializer(zName)!;
    const axisAttr = node.attribute?.find((a) => a.name === 'axis');
    const axis = s.dims.length === 0 ? undefined : Number(axisAttr?.i ?? 1);
    const outType =
      s.dataType === DataType.FLOAT ? 'float32' : s.dataType === DataType.FLOAT16 ? 'float16' : 'bfloat16';
    const dense = dequantize(
      q.readTyped() as Int8Array,
      q.dims,
      s.readFloat32(),
      z.readTyped() as Int8Array,
      axis,
      outType,
    );
    ref.setInitializer(node.output![0], s.dataType, q.dims, dense);
  }
  for (const [weight, r] of Object.entries(readDecodeRecords(quantized))) {
    if (r.form !== 'cast-mul') continue;
    const s = quantized.getInitializer(r.scales)!;
    const zps = r.zeroPoints
      ? (quantized.getInitializer(r.zeroPoints)!.readTyped() as Uint8Array)
      : new Uint8Array(s.elementCount);
    const dense = dequantize(
      quantized.getInitializer(r.codes)!.readTyped() as Int8Array,
      r.dims,
      s.readFloat32(),
      zps,
      r.axis,
      r.floatType,
    );
    ref.setInitializer(weight, s.dataType, r.dims, dense);
  }
  return ref;
}

/** Largest |a - b| divided by the largest |b|: "equal within 1e-5 relative" on the output's scale. */
export function relativeMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return mag === 0 ? diff : diff / mag;
}

/** Make a tensor a graph output too, so a run returns what DequantizeLinear produced for it. */
export function exposeTensor(model: OnnxModel, name: string, elemType: DataType): void {
  model.outputs.push({ name, type: { tensorType: { elemType } } });
}

export async function expectUserError(
  p: Promise<unknown> | (() => unknown),
  code: string,
): Promise<{ message: string; hint?: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect((e as { code?: string }).code).toBe(code);
    expect((e as { exitCode?: number }).exitCode).toBe(2);
    return e as { message: string; hint?: string };
  }
  throw new Error(`expected a UserError ${code}, but nothing was thrown`);
}
