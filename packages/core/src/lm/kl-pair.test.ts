/**
 * The KL head (kl-head.ts) run through loadKlPair on small LM heads built with the graph builder:
 * exactly 0 for a model against itself, hand-computed values on a 2-token vocabulary, and equal to
 * the JS reference (kl-math.ts over the unmodified graphs' logits) with the vocabulary in chunks.
 */
import { createRunContext } from '../context.js';
import { DataType } from '../onnx/dtypes.js';
import { type OnnxModel } from '../onnx/model.js';
import { loadModelRef } from '../model-ref.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { modelFolder } from './bigram.fixture.js';
import { appendKlHead, cutAtLmHead, KL_OUTPUTS } from './kl-head.js';
import { loadKlPair } from './kl-pair.js';
import type { TokenKl } from './kl-math.js';
import type { TokenWindows } from './types.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const D = 4;

interface HeadOptions {
  vocab: number;
  /** added to every head weight (0: the dense model) */
  shift?: number;
  opset?: number;
  bias?: boolean;
  /** W = Transpose(wte) */
  tied?: boolean;
  /** W computed by a node (Mul of an initializer), so the head is not sliceable: the KL head computes its logits whole */
  computedWeight?: boolean;
}

/** hidden = Gather(wte [V, D], ids); logits = MatMul(hidden, W) (+ bias). */
function headModel(o: HeadOptions): OnnxModel {
  const V = o.vocab;
  const s = o.shift ?? 0;
  const g = new GraphBuilder({ opset: o.opset ?? 17 });
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const wte = g.initializer(
    'wte',
    DataType.FLOAT,
    [V, D],
    Float32Array.from({ length: V * D }, (_, i) => Math.sin(1 + i) + (o.tied ? s * Math.cos(i) : 0)),
  );
  const hidden = g.gather(wte, ids);
  let w: string;
  if (o.tied) w = g.node('Transpose', [wte], { perm: [1, 0] })[0];
  else {
    const init = g.initializer(
      'lm_head.weight',
      DataType.FLOAT,
      [D, V],
      Float32Array.from({ length: D * V }, (_, i) => 2 * Math.cos(2 + i * 37) + s * Math.sin(3 * i)),
    );
    w = o.computedWeight ? g.mul(init, g.initializer('one', DataType.FLOAT, [], Float32Array.of(1))) : init;
  }
  const product = g.node('MatMul', [hidden, w], {}, { outputs: [o.bias ? 'lm_head_out' : 'logits'] })[0];
  const logits = o.bias
    ? g.node(
        'Add',
        [
          product,
          g.initializer(
            'lm_head.bias',
            DataType.FLOAT,
            [V],
            Float32Array.from({ length: V }, (_, v) => ((v % 7) - 3) / 4 + s * Math.cos(v)),
          ),
        ],
        {},
        { outputs: ['logits'] },
      )[0]
    : product;
  g.output(logits, DataType.FLOAT, ['batch', 'sequence', V]);
  return g.build();
}

const folder = (m: OnnxModel) => modelFolder(m, { n_positions: 64 });

function windows(V: number): TokenWindows {
  const ids = Array.from({ length: 12 }, (_, i) => (i * 11 + 3) % V);
  const targets = [0, 7, 8, 15, 16, 31, 32, 35, V - 1, (V * 3) >> 2, 5, V >> 1].map((t) => t % V);
  return { batch: 2, length: 6, inputs: Int32Array.from(ids), targets: Int32Array.from(targets) };
}

async function score(
  base: OnnxModel,
  model: OnnxModel,
  w: TokenWindows,
  options: { path?: 'fused' | 'logits'; chunk?: number } = {},
): Promise<TokenKl & { head: string }> {
  const pair = await loadKlPair(
    await loadModelRef(await folder(base)),
    await loadModelRef(await folder(model)),
    ctx,
    options,
  );
  try {
    return { ...(await pair.tokenKl(w)), head: pair.head };
  } finally {
    await pair.release();
  }
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('KL head', () => {
  it.each([
    ['V = 37 in chunks of 8 (the last one 5 wide)', { vocab: 37 }, 8],
    ['a bias', { vocab: 37, bias: true }, 8],
    ['a tied Transpose(wte)', { vocab: 37, tied: true }, 8],
    ['one chunk (V <= chunk)', { vocab: 37 }, 4096],
  ] as [string, HeadOptions, number][])(
    'is exactly 0, with the same NLLs and top tokens, for a model against itself: %s',
    async (_label, o, chunk) => {
      const r = await score(headModel(o), headModel(o), windows(o.vocab), { chunk });
      expect(r.head).toBe('sliced');
      expect(Array.from(r.kl)).toEqual(new Array(12).fill(0));
      expect(Array.from(r.nll)).toEqual(Array.from(r.nllBase));
      expect(Array.from(r.top)).toEqual(Array.from(r.topBase));
    },
  );

  it.each([
    ['sliced head, V = 37 in chunks of 8', { vocab: 37 }, 8],
    ['sliced head with a bias', { vocab: 37, bias: true }, 8],
    ['tied embeddings', { vocab: 37, tied: true }, 8],
    ['a head that cannot be sliced (its logits computed whole)', { vocab: 37, computedWeight: true }, 8],
    ['opset 11 (axes as attributes)', { vocab: 37, opset: 11, bias: true }, 8],
    ['opset 18 (axes as inputs)', { vocab: 40, opset: 18 }, 8],
  ] as [string, HeadOptions, number][])(
    'equals the JS reference over full logits within 1e-6: %s',
    async (_label, o, chunk) => {
      const base = headModel({ ...o, computedWeight: false });
      const model = headModel({ ...o, shift: 0.3 });
      const w = windows(o.vocab);
      const [fused, reference] = [
        await score(base, model, w, { chunk }),
        await score(base, model, w, { path: 'logits' }),
      ];
      expect(fused.head).toBe(o.computedWeight ? 'full' : 'sliced');
      expect(reference.head).toBe('logits');
      expect(Math.min(...reference.kl)).toBeGreaterThan(1e-3); // the shift is large enough to matter
      expect(maxAbsDiff(fused.kl, reference.kl)).toBeLessThanOrEqual(1e-6);
      expect(maxAbsDiff(fused.nll, reference.nll)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(fused.nllBase, reference.nllBase)).toBeLessThanOrEqual(1e-5);
      expect(Array.from(fused.top)).toEqual(Array.from(reference.top));
      expect(Array.from(fused.topBase)).toEqual(Array.from(reference.topBase));
    },
  );

  it.each([
    ['V = 40: MatMulNBits sliced into chunks of 8 (a divisor of V)', 40, false, 'sliced'],
    ['with zero points', 40, true, 'sliced'],
    ['V = 37 (prime: no chunk divides it, the head is computed whole)', 37, false, 'full'],
  ] as [string, number, boolean, string][])(
    'equals the JS reference for an int4 (MatMulNBits) head: %s',
    async (_label, V, zp, head) => {
      // hidden as in headModel; the head MatMulNBits(hidden, B [V, 1, 8], scales [V]) with K = D = 4 in one block of 16
      const g = new GraphBuilder({ opset: 17 });
      const hidden = g.gather(
        g.initializer(
          'wte',
          DataType.FLOAT,
          [V, D],
          Float32Array.from({ length: V * D }, (_, i) => Math.sin(1 + i)),
        ),
        g.input('input_ids', DataType.INT64, ['batch', 'sequence']),
      );
      const inputs = [
        hidden,
        g.initializer(
          'lm_head.weight_q4',
          DataType.UINT8,
          [V, 1, 8],
          Uint8Array.from({ length: V * 8 }, (_, i) => (i * 37 + 11) % 256),
        ),
        g.initializer(
          'lm_head.weight_scales',
          DataType.FLOAT,
          [V],
          Float32Array.from({ length: V }, (_, v) => 0.1 + (v % 5) / 20),
        ),
      ];
      if (zp)
        inputs.push(
          g.initializer(
            'lm_head.weight_zp',
            DataType.UINT8,
            [V],
            Uint8Array.from({ length: V }, (_, v) => v % 16),
          ),
        );
      const logits = g.node(
        'MatMulNBits',
        inputs,
        { K: D, N: V, bits: 4, block_size: 16, accuracy_level: 0 },
        { domain: 'com.microsoft', outputs: ['logits'] },
      )[0];
      g.output(logits, DataType.FLOAT, ['batch', 'sequence', V]);
      const model = g.build();
      const w = windows(V);
      const [fused, reference] = [
        await score(headModel({ vocab: V }), model, w, { chunk: 8 }),
        await score(headModel({ vocab: V }), model, w, { path: 'logits' }),
      ];
      expect(fused.head).toBe(head);
      expect(Math.min(...reference.kl)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(fused.kl, reference.kl)).toBeLessThanOrEqual(1e-6);
      expect(maxAbsDiff(fused.nll, reference.nll)).toBeLessThanOrEqual(1e-5);
      expect(Array.from(fused.top)).toEqual(Array.from(reference.top));
    },
  );

  it('matches hand-computed values on a 2-token vocabulary, both paths', async () => {
    // one-hot hidden states: after token i the logits are row i of W^T. Dense: after 0 [0, ln 3]
    // (p = 1/4, 3/4), after 1 [0, 0]; compressed: the two rows swapped.
    const twoToken = (w: number[]) => {
      const g = new GraphBuilder({ opset: 17 });
      const hidden = g.gather(
        g.initializer('wte', DataType.FLOAT, [2, 2], Float32Array.of(1, 0, 0, 1)),
        g.input('input_ids', DataType.INT64, ['batch', 'sequence']),
      );
      g.output(
        g.node(
          'MatMul',
          [hidden, g.initializer('lm_head.weight', DataType.FLOAT, [2, 2], Float32Array.from(w))],
          {},
          { outputs: ['logits'] },
        )[0],
        DataType.FLOAT,
        ['batch', 'sequence', 2],
      );
      return g.build();
    };
    const ln3 = Math.log(3);
    const dense = twoToken([0, ln3, 0, 0]); // W [d, V]: row k is hidden unit k's weights
    const comp = twoToken([0, 0, 0, ln3]);
    const w: TokenWindows = { batch: 1, length: 3, inputs: Int32Array.of(0, 1, 0), targets: Int32Array.of(1, 0, 1) };
    // KL([1/4, 3/4] ‖ [1/2, 1/2]) = 1/4 ln(1/2) + 3/4 ln(3/2); KL([1/2, 1/2] ‖ [1/4, 3/4]) = 1/2 ln 2 + 1/2 ln(2/3)
    const klAfter0 = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5);
    const klAfter1 = 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3);
    expect(klAfter0).toBeCloseTo(0.130812, 6);
    expect(klAfter1).toBeCloseTo(0.143841, 6);
    for (const path of ['fused', 'logits'] as const) {
      const r = await score(dense, comp, w, { path, chunk: 1 });
      expect(r.head).toBe(path === 'fused' ? 'sliced' : 'logits');
      expect(maxAbsDiff(r.kl, [klAfter0, klAfter1, klAfter0])).toBeLessThan(1e-7);
      expect(maxAbsDiff(r.nllBase, [-Math.log(0.75), -Math.log(0.5), -Math.log(0.75)])).toBeLessThan(1e-7);
      expect(maxAbsDiff(r.nll, [-Math.log(0.5), -Math.log(0.25), -Math.log(0.5)])).toBeLessThan(1e-7);
      // ties go to the first token: dense after 1 and compressed after 0 pick token 0
      expect(Array.from(r.topBase)).toEqual([1, 0, 1]);
      expect(Array.from(r.top)).toEqual([0, 1, 0]);
    }
  });

  it('leaves no [T, V] tensor outside the Loop body, and returns only [B, T] outputs', () => {
    const dense = headModel({ vocab: 37, bias: true });
    const cut = cutAtLmHead(dense);
    expect(cut).toMatchObject({ vocab: 37, dModel: D, transposed: false });
    expect(dense.outputs.map((o) => o.name)).toEqual([cut?.hidden]);
    expect(dense.nodes.map((n) => n.opType)).not.toContain('MatMul');

    const model = headModel({ vocab: 37, bias: true, shift: 0.3 });
    expect(appendKlHead(model, cut!, { chunk: 8 })).toEqual({ compressedHead: 'sliced', chunk: 8 });
    expect(model.outputs.map((o) => o.name)).toEqual(Object.values(KL_OUTPUTS));
    for (const o of model.outputs) expect(o.type?.tensorType?.shape?.dim).toHaveLength(2);
    const ops = model.nodes.map((n) => n.opType);
    expect(ops).not.toContain('MatMul');
    expect(ops).not.toContain('Gemm');
    expect(ops.filter((op) => op === 'Loop')).toHaveLength(1);
    // both head weights are read only by Slices inside the Loop body
    for (const weight of [
      'lm_head.weight',
      ...model.initializerNames().filter((n) => n.includes('dense_head_weight')),
    ]) {
      expect(model.consumers(weight).map((c) => c.node.opType)).toEqual(['Slice']);
      expect(model.nodes.some((n) => n.input?.includes(weight))).toBe(false);
    }
  });

  it('refuses two models over different vocabularies', async () => {
    await expect(score(headModel({ vocab: 37 }), headModel({ vocab: 40 }), windows(37))).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      message: expect.stringMatching(/vocabulary \(40\) differs from the baseline's \(37\)/),
    });
    await expect(
      score(headModel({ vocab: 37 }), headModel({ vocab: 40 }), windows(37), { path: 'logits' }),
    ).rejects.toMatchObject({ code: 'E_BAD_MODEL' });
  });
});
