/**
 * The chunked loss head (chunked-head.ts) on small LM heads built with the graph builder, against
 * the logits path (nllFromLogits, float64 in JS, on the logits the unmodified graph returns); and on
 * the shared tiny-stdlib-lm with chunks smaller than its vocabulary, so that the Loop runs there too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType } from '../onnx/dtypes.js';
import { OnnxModel } from '../onnx/model.js';
import { OrtSessionFactory } from '../session/factory.js';
import type { HostTensor } from '../session/types.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { findLmHead, groupCount } from './chunked-head.js';
import { appendLossHead, LOSS_OUTPUT, LOSS_TARGETS } from './loss-head.js';
import { nllFromLogits } from './nll.js';
import { loadTokenizer } from './tokenizer.js';

const factory = new OrtSessionFactory({ device: 'cpu' });

interface HeadOptions {
  vocab: number;
  opset?: number;
  /** logits = MatMul(...) + bias[V] */
  bias?: boolean;
  /** W = Transpose(wte) instead of an initializer of its own (a tied-embedding export) */
  tied?: boolean;
  /** another node reads the logits (the head cannot go) */
  logitsReader?: boolean;
  /** W computed from an input (not an initializer) */
  computedWeight?: boolean;
}

const D = 4;
/** Two-decimal weights, so that every logit below is a short exact sum and the float32 MatMul is exact whatever its order. */
const wte = (v: number, k: number) => Math.round(40 * Math.sin(1 + v * D + k)) / 16;
const head = (k: number, v: number) => Math.round(40 * Math.cos(2 + k * 37 + v)) / 16;

/** hidden = Gather(wte [V, D], input_ids); logits = MatMul(hidden, W) (+ bias). */
function lmHeadModel(o: HeadOptions): OnnxModel {
  const V = o.vocab;
  const g = new GraphBuilder({ opset: o.opset ?? 17 });
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const embedding = g.initializer(
    'wte',
    DataType.FLOAT,
    [V, D],
    Float32Array.from({ length: V * D }, (_, i) => wte(Math.floor(i / D), i % D)),
  );
  const hidden = g.gather(embedding, ids);
  let w: string;
  if (o.tied) w = g.node('Transpose', [embedding], { perm: [1, 0] })[0];
  else if (o.computedWeight) w = g.node('Transpose', [g.input('w_in', DataType.FLOAT, [V, D])], { perm: [1, 0] })[0];
  else
    w = g.initializer(
      'lm_head.weight',
      DataType.FLOAT,
      [D, V],
      Float32Array.from({ length: D * V }, (_, i) => head(Math.floor(i / V), i % V)),
    );
  const product = g.node(
    'MatMul',
    [hidden, w],
    {},
    { name: 'lm_head', outputs: [o.bias ? 'lm_head_out' : 'logits'] },
  )[0];
  const logits = o.bias
    ? g.node(
        'Add',
        [
          product,
          g.initializer(
            'lm_head.bias',
            DataType.FLOAT,
            [V],
            Float32Array.from({ length: V }, (_, v) => ((v % 7) - 3) / 4),
          ),
        ],
        {},
        { outputs: ['logits'] },
      )[0]
    : product;
  g.output(logits, DataType.FLOAT, ['batch', 'sequence', V]);
  if (o.logitsReader) g.output(g.node('ReduceMax', [logits], { axes: [2], keepdims: 0 })[0], DataType.FLOAT);
  return g.build();
}

/** Batch 2 x 6: every id, target and chunk boundary of V = 37 / chunk 8 gets some use. */
function windows(V: number): { ids: number[]; targets: number[] } {
  const ids = Array.from({ length: 12 }, (_, i) => (i * 11 + 3) % V);
  const targets = [0, 7, 8, 15, 16, 31, 32, 35, V - 1, (V * 3) >> 2, 5, V >> 1];
  return { ids, targets };
}

const int64 = (values: number[]): HostTensor => ({
  type: 'int64',
  data: BigInt64Array.from(values, BigInt),
  dims: [2, values.length / 2],
});

async function run(
  model: OnnxModel,
  feeds: Record<string, HostTensor>,
  output: string,
  extra: Record<string, HostTensor> = {},
): Promise<HostTensor> {
  const session = await factory.create(model.toBytes());
  try {
    return (await session.run({ ...feeds, ...extra }, [output]))[output];
  } finally {
    await session.release();
  }
}

/** The reference: the unmodified graph's logits, log-softmax in float64. */
async function logitsPathNll(o: HeadOptions, extra: Record<string, HostTensor> = {}): Promise<Float32Array> {
  const { ids, targets } = windows(o.vocab);
  const logits = await run(lmHeadModel(o), { input_ids: int64(ids) }, 'logits', extra);
  return nllFromLogits(logits.data as Float32Array, ids.length, o.vocab, targets);
}

async function fusedNll(model: OnnxModel, V: number, extra: Record<string, HostTensor> = {}): Promise<Float32Array> {
  const { ids, targets } = windows(V);
  const out = await run(model, { input_ids: int64(ids), [LOSS_TARGETS]: int64(targets) }, LOSS_OUTPUT, extra);
  expect(out.dims).toEqual([2, 6]);
  return out.data as Float32Array;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('chunked loss head', () => {
  it.each([
    ['V = 37, chunk 8 (4 chunks in the Loop + a tail of 5)', { vocab: 37 }, 8],
    ['V = 40, chunk 8 (5 chunks, no tail)', { vocab: 40 }, 8],
    ['V = 37, chunk 36 (1 chunk + a tail of 1)', { vocab: 37 }, 36],
    ['V = 600, chunk 512 (LogSoftmax rows of 256, a tail of 88)', { vocab: 600, bias: true }, 512],
    ['a bias', { vocab: 37, bias: true }, 8],
    ['a tied Transpose(wte)', { vocab: 37, tied: true }, 8],
    ['a tied Transpose(wte) and a bias', { vocab: 37, tied: true, bias: true }, 8],
    ['opset 11 (axes as attributes)', { vocab: 37, opset: 11 }, 8],
    ['opset 13', { vocab: 37, opset: 13, bias: true }, 8],
    ['opset 18 (ReduceLogSumExp axes as input)', { vocab: 37, opset: 18, tied: true }, 8],
  ] as [string, HeadOptions, number][])('equals the logits path within 1e-6: %s', async (_label, o, chunk) => {
    const model = lmHeadModel(o);
    expect(appendLossHead(model, { chunk })).toEqual({
      logits: 'logits',
      removedOutputs: ['logits'],
      head: { mode: 'chunked', chunk },
    });
    // the head's MatMul and Add are gone, and W is only ever read a chunk at a time
    expect(model.nodes.map((n) => n.opType)).not.toContain('MatMul');
    expect(model.nodes.some((n) => n.name === 'lm_head' || (n.output ?? []).includes('logits'))).toBe(false);
    expect(model.nodes.filter((n) => n.opType === 'Loop')).toHaveLength(1);
    const weight = o.tied ? 'wte' : 'lm_head.weight';
    const readers = model.consumers(weight).map((c) => c.node.opType);
    expect(readers.filter((op) => op !== 'Slice')).toEqual(o.tied ? ['Gather'] : []); // the embedding lookup
    expect(readers.filter((op) => op === 'Slice')).toHaveLength(o.vocab % chunk ? 2 : 1); // Loop body (+ tail)
    if (o.tied) expect(model.nodes.map((n) => n.opType)).not.toContain('Transpose');

    const [fused, reference] = await Promise.all([fusedNll(model, o.vocab), logitsPathNll(o)]);
    expect(maxAbsDiff(fused, reference)).toBeLessThanOrEqual(1e-6);
  });

  it('takes the whole vocabulary as one chunk, without a Loop, when V <= chunk', async () => {
    for (const chunk of [37, 4096]) {
      const model = lmHeadModel({ vocab: 37, bias: true });
      expect(appendLossHead(model, { chunk })).toMatchObject({ head: { mode: 'chunked', chunk: 37 } });
      const ops = model.nodes.map((n) => n.opType);
      expect(ops).not.toContain('Loop');
      expect(ops).not.toContain('MatMul');
      expect(maxAbsDiff(await fusedNll(model, 37), await logitsPathNll({ vocab: 37, bias: true }))).toBeLessThanOrEqual(
        1e-6,
      );
    }
  });

  it('keeps the full head where the logits do not come from a recognisable LM head', async () => {
    const reader = lmHeadModel({ vocab: 37, logitsReader: true });
    expect(findLmHead(reader, 'logits')).toBeUndefined();
    expect(appendLossHead(reader, { chunk: 8 })).toMatchObject({ head: { mode: 'full' } });
    expect(reader.nodes.map((n) => n.opType)).toContain('MatMul');

    const computed = lmHeadModel({ vocab: 37, computedWeight: true });
    expect(appendLossHead(computed, { chunk: 8 })).toMatchObject({ head: { mode: 'full' } });
    const w = {
      w_in: {
        type: 'float32' as const,
        data: Float32Array.from({ length: 37 * D }, (_, i) => wte(i % 37, Math.floor(i / 37))),
        dims: [37, D],
      },
    };
    expect(
      maxAbsDiff(await fusedNll(computed, 37, w), await logitsPathNll({ vocab: 37, computedWeight: true }, w)),
    ).toBeLessThanOrEqual(1e-6);

    const declined = lmHeadModel({ vocab: 37 });
    expect(appendLossHead(declined, { chunk: 8, chunked: false })).toEqual({
      logits: 'logits',
      removedOutputs: ['logits'],
      head: { mode: 'full' },
    });
    expect(declined.nodes.map((n) => n.opType)).toEqual([
      'Gather',
      'MatMul',
      'ReduceLogSumExp',
      'Unsqueeze',
      'GatherElements',
      'Sub',
      'Squeeze',
    ]);
  });

  it('recognises the head: weight, orientation, bias, vocabulary', () => {
    expect(findLmHead(lmHeadModel({ vocab: 37, bias: true }), 'logits')).toMatchObject({
      hidden: 'Gather_0_out',
      weight: 'lm_head.weight',
      transposed: false,
      bias: 'lm_head.bias',
      vocab: 37,
      dModel: D,
    });
    expect(findLmHead(lmHeadModel({ vocab: 37, tied: true }), 'logits')).toMatchObject({
      weight: 'wte',
      transposed: true,
      vocab: 37,
      dModel: D,
    });
    // a declared vocabulary that disagrees with the weight
    expect(findLmHead(lmHeadModel({ vocab: 37 }), 'logits', 36)).toBeUndefined();
  });

  it('splits a chunk into LogSoftmax rows of about 256 columns', () => {
    expect(groupCount(4096)).toBe(16);
    expect(groupCount(8192)).toBe(32);
    expect(groupCount(3750)).toBe(15); // 250 wide
    expect(groupCount(1733)).toBe(1); // prime
    expect(groupCount(37)).toBe(1);
    expect(groupCount(8)).toBe(1);
  });
});

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const VALID = join(SHARED, 'data/stdlib-text/valid.jsonl');
const present = existsSync(join(LM, 'model.onnx')) && existsSync(VALID);

(present ? describe : describe.skip)('chunked loss head on the shared tiny-stdlib-lm', () => {
  // 4096 = 4 x 1024 (Loop only), 3 x 1200 + 496 (Loop + tail). Tolerance as in causal-lm.shared.test.ts:
  // the chunks' GEMM reads a Slice of the weight, which onnxruntime does not pre-pack, so the logits
  // differ from the unmodified graph's by a few float32 ulps (measured: 4.8e-6 in NLL at most, while
  // the chunked NLL is the nearer one to a float64 product of the same hidden state).
  it.each([1024, 1200])('chunk %i equals the logits path within 1e-5 on a 512-token window', async (chunk) => {
    const record = (JSON.parse(readFileSync(VALID, 'utf8').split('\n')[0]) as { content: string }).content;
    const ids = (await loadTokenizer(LM)).encode(record).slice(0, 513);
    const T = 512;
    const feeds: Record<string, HostTensor> = {
      input_ids: { type: 'int64', data: BigInt64Array.from(ids.slice(0, T), BigInt), dims: [1, T] },
      attention_mask: { type: 'int64', data: new BigInt64Array(T).fill(1n), dims: [1, T] },
    };
    const logits = await run(await OnnxModel.load(join(LM, 'model.onnx')), feeds, 'logits');
    const reference = nllFromLogits(logits.data as Float32Array, T, 4096, ids.slice(1));

    const model = await OnnxModel.load(join(LM, 'model.onnx'));
    expect(appendLossHead(model, { chunk })).toMatchObject({ head: { mode: 'chunked', chunk } });
    const targets: HostTensor = { type: 'int64', data: BigInt64Array.from(ids.slice(1), BigInt), dims: [1, T] };
    const fused = (await run(model, { ...feeds, [LOSS_TARGETS]: targets }, LOSS_OUTPUT)).data as Float32Array;
    expect(maxAbsDiff(fused, reference)).toBeLessThan(1e-5);
  });
});
