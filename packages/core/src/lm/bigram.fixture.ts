/**
 * Test fixture: a "bigram" causal LM small enough to score by hand. logits[b,t,:] = TABLE[input_ids[b,t]],
 * so the NLL of target y after token x is logsumexp(TABLE[x]) - TABLE[x][y].
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel } from '../onnx/model.js';
import { GraphBuilder } from '../testing/graph-builder.js';

export const V = 5;
/** Row x: the logits after token x. Row 4 has logits of 100, where exp overflows float32 (max ~88.7). */
export const TABLE: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4],
  [1, 1, 1, 1, 1],
  [2, 0, 0, 0, 0],
  [0, 0, 0, 0, Math.log(4)],
  [100, 98, 0, 0, 0],
];

export interface BigramOptions {
  opset?: number;
  /** store the table (and so the logits) as float16 */
  fp16?: boolean;
  /** declare attention_mask [batch, sequence] int64, which the graph ignores */
  attentionMask?: boolean;
  /** declare past_key_values.0.key/.value with these dims; the key's dim 2 (past length) is ADDED to every id, so only an empty past gives the bigram's logits */
  past?: readonly (number | string)[];
  useCacheBranch?: boolean;
  positionIds?: boolean;
  /** name of the logits output (default 'logits') */
  logitsName?: string;
  /** declare input_ids as int32 */
  int32Ids?: boolean;
  /** another square table (default TABLE) */
  table?: readonly (readonly number[])[];
}

export function bigramModel(options: BigramOptions = {}): OnnxModel {
  const g = new GraphBuilder({ opset: options.opset ?? 17 });
  const rows = options.table ?? TABLE;
  const n = rows.length;
  const flat = Float32Array.from(rows.flat());
  const table = g.initializer('table', options.fp16 ? DataType.FLOAT16 : DataType.FLOAT, [n, n], flat);
  let ids = g.input('input_ids', options.int32Ids ? DataType.INT32 : DataType.INT64, ['batch', 'sequence']);
  if (options.attentionMask) g.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
  if (options.positionIds) g.input('position_ids', DataType.INT64, ['batch', 'sequence']);
  if (options.past) {
    const key = g.input('past_key_values.0.key', DataType.FLOAT, options.past);
    g.input('past_key_values.0.value', DataType.FLOAT, options.past);
    const shape = g.node('Shape', [key])[0];
    const two = g.initializer('two', DataType.INT64, [1], BigInt64Array.of(2n));
    let pastLen = g.gather(shape, two);
    if (options.int32Ids) pastLen = g.node('Cast', [pastLen], { to: DataType.INT32 })[0];
    ids = g.add(ids, pastLen);
  }
  if (options.useCacheBranch) g.input('use_cache_branch', DataType.BOOL, [1]);
  const logits = g.node('Gather', [table, ids], { axis: 0 }, { outputs: [options.logitsName ?? 'logits'] })[0];
  g.output(logits, options.fp16 ? DataType.FLOAT16 : DataType.FLOAT, ['batch', 'sequence', n]);
  return g.build();
}

/** A model folder (model.onnx + config.json) in a fresh temp dir. */
export async function modelFolder(model: OnnxModel, config?: Record<string, unknown>): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'mc-lm-'));
  await fs.writeFile(join(dir, 'model.onnx'), model.toBytes());
  if (config) await fs.writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** log Σ exp(row), written out with the max taken first. */
export function logSumExp(row: readonly number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
}
