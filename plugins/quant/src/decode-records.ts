/**
 * Where a method wrote a decode made of ordinary ops (int8's Cast and Mul, int4's unpacked nibbles),
 * it records what it wrote in the model's metadata (`mc.quant.decode`: weight name -> record), so
 * `mc decompress` finds and undoes exactly that, without guessing from node shapes.
 */
import type { OnnxModel } from '@mc-kit/core';
import type { FloatType } from './grid/float-types.js';
import type { BlockLayout } from './int4/math.js';

export const DECODE_KEY = 'mc.quant.decode';

export interface DecodeRecord {
  readonly method: 'int8' | 'int4';
  readonly form: 'cast-mul' | 'nibbles';
  /** the weight's own shape and float type */
  readonly dims: readonly number[];
  readonly floatType: FloatType;
  readonly codes: string;
  readonly scales: string;
  readonly zeroPoints?: string;
  /** every node the decode added, and its other initializers (shapes, slice bounds) */
  readonly nodes: readonly string[];
  readonly constants: readonly string[];
  /** int8: the scale's axis (absent: one scale for the tensor) */
  readonly axis?: number;
  /** int4: how the weight was cut into blocks, and the zero points' storage */
  readonly layout?: BlockLayout;
  readonly blockSize?: number;
  readonly zeroPointForm?: 'symmetric' | 'nibbles' | 'bytes';
}

export function readDecodeRecords(model: OnnxModel): Record<string, DecodeRecord> {
  const raw = model.getMetadata(DECODE_KEY);
  return raw ? (JSON.parse(raw) as Record<string, DecodeRecord>) : {};
}

export function addDecodeRecord(model: OnnxModel, weight: string, record: DecodeRecord): void {
  model.setMetadata(DECODE_KEY, JSON.stringify({ ...readDecodeRecords(model), [weight]: record }));
}

/** Drop records (an empty map leaves an empty value, which decompress clears with mc's own keys). */
export function removeDecodeRecords(model: OnnxModel, weights: readonly string[]): void {
  const records = readDecodeRecords(model);
  for (const w of weights) delete records[w];
  model.setMetadata(DECODE_KEY, Object.keys(records).length ? JSON.stringify(records) : '');
}

/** Remove the nodes a record lists (by name) and the initializers nothing reads any more. */
export function removeDecode(model: OnnxModel, record: DecodeRecord): void {
  const names = new Set(record.nodes);
  for (const node of model.nodes.filter((n) => names.has(n.name ?? ''))) model.removeNode(node);
  for (const init of [record.codes, record.scales, record.zeroPoints, ...record.constants]) {
    if (init && model.getInitializer(init) && model.consumers(init).length === 0) model.removeInitializer(init);
  }
}
