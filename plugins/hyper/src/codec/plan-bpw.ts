/**
 * --target-bpw: per-tensor n, l and shell count chosen to meet an average bits per weight with the
 * least relative error. Calibration-free: it sees only the weights.
 *
 * 1. Per tensor, every candidate (n, l = autoL·scale, K shells for K = 1..M, or K = 0 when every
 *    pair lies in the square) and "keep raw" (32 bits, no error) is scored on a strided sample of
 *    the tensor (auto-l.ts), with the tensor's true centre and farthest distance: MAE from the
 *    encoder's own pass, bits from the widest index, (n+1)(K+1) − 1, plus the writer's side bytes.
 *    The default n are 2^k − 1, so (n+1)(K+1) fills the index width for K = 0, 1, 3. The encode
 *    then runs with M = max(1, K) and takes the least-error K <= M, so the real width can only be
 *    smaller than planned and the plan's budget holds on the full tensor.
 * 2. Tiny tensors (protectedTiny) stay float32.
 * 3. The choice is a multiple-choice knapsack: minimise Σ √numel·MAE/mean|w| (errorWeight)
 *    subject to Σ numel·bpw <= targetBpw·Σ numel. A Lagrange multiplier λ (bisection) gives each
 *    tensor argmin(error + λ·bits); leftover budget then goes greedily to the best error-per-bit
 *    upgrades.
 * 4. Every tensor is encoded with its choice; the returned figures are measured, side info included.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';
import { chooseAutoL, samplePairs, AUTO_L_SAMPLE } from './auto-l.js';
import { indexBits } from './bits.js';
import { assertFinite, encodeTensor } from './encode.js';
import { heapAllocator, pairGeometry, passParams } from './geometry.js';
import { buildCodebook, buildLattice, scanPairs, type PassParams } from './kernel.js';
import { DEFAULT_LOSS } from './settings.js';
import {
  AUTO_L_SIDE_BYTES,
  MIN_COMPRESS_ELEMENTS,
  SIDE_INFO_BYTES,
  type EncodedTensor,
  type NamedWeights,
  type PlanCandidates,
  type PlanTargetBpwFn,
  type TensorPlan,
} from './types.js';

export const DEFAULT_PLAN_CANDIDATES: PlanCandidates = Object.freeze({
  // n + 1 a power of two: with K = 0, 1 or 3 shells the (n+1)(K+1) indices fill their width exactly
  n: Object.freeze([15, 31, 63, 127, 255, 511, 1023, 2047, 4095]),
  lScales: Object.freeze([0.7, 1, 1.4]),
  M: 3,
});

type SideBytes = NonNullable<PlanCandidates['sideBytes']>;
const defaultSideBytes: SideBytes = () => SIDE_INFO_BYTES + AUTO_L_SIDE_BYTES;

/** One way to store one tensor, as the solver sees it. */
export interface PlanOption {
  /** null: raw */
  n: number | null;
  l: number;
  M: number;
  bits: number; // total bits of the tensor
  err: number; // the objective's term: √numel·MAE / mean|w| (errorWeight)
}

/** Mean |w| in float64: the tensor's own scale (0 only when every weight is 0). */
export function meanAbs(w: Float32Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.abs(w[i]);
  return w.length ? s / w.length : 0;
}

/**
 * What one unit of MAE costs in the objective: √numel / mean|w|. Dividing by the tensor's own
 * mean |w| makes the error relative, so tensors of very different scales compete fairly (a 0.01
 * MAE is noise on a ±1 depthwise kernel and ruin on a ±0.02 projection). The √numel is a
 * compromise between counting every weight (numel: the big embeddings and heads of an LM need
 * their share) and counting every layer alike (1: a small layer's relative error reaches the
 * output as much as a big one's). Measured at 4.5 bpw (spec-free choice, see the hyper report):
 * numel starves mnist-cnn's small convs (top-1 0.53), numel^0.25 starves the LM's embeddings and
 * head (BPC 2.31 against 2.18 dense), √numel holds all three models.
 */
export function errorWeight(numel: number, scale: number): number {
  return Math.sqrt(numel) / (scale > 0 ? scale : 1);
}

const rawOption = (numel: number): PlanOption => ({ n: null, l: 0, M: 0, bits: 32 * numel, err: 0 });

/** A tensor is tiny when it holds less than this share of all the planned weights. */
export const TINY_SHARE = 0.005;
/** Tiny tensors kept float32 may take at most this share of the bit budget. */
export const TINY_BUDGET_SHARE = 0.1;

/**
 * Indices of the tiny tensors kept float32: each under TINY_SHARE of all weights, smallest first,
 * while together they take at most TINY_BUDGET_SHARE of the bit budget (so a model made of many
 * small tensors is still planned). Why: they cost little (a first conv, a depthwise 3×3), and
 * their outputs sum few weights each, so their errors do not average out; on mnist-cnn
 * compressing the first two 288-weight convs at 4.5 bpw costs more top-1 than any other choice.
 */
export function protectedTiny(numels: readonly number[], targetBpw: number): Set<number> {
  const total = numels.reduce((a, b) => a + b, 0);
  const order = numels
    .map((n, i) => i)
    .filter((i) => numels[i] >= MIN_COMPRESS_ELEMENTS && numels[i] < TINY_SHARE * total);
  order.sort((a, b) => numels[a] - numels[b] || a - b);
  const out = new Set<number>();
  let bits = 0;
  for (const i of order) {
    if (bits + 32 * numels[i] > TINY_BUDGET_SHARE * targetBpw * total) break;
    bits += 32 * numels[i];
    out.add(i);
  }
  return out;
}

function tensorOptions(t: NamedWeights, c: PlanCandidates, sideBytes: SideBytes): PlanOption[] {
  const numel = t.w.length;
  const raw = rawOption(numel);
  if (numel < MIN_COMPRESS_ELEMENTS) return [raw];
  assertFinite(t.name, t.w);
  const weight = errorWeight(numel, meanAbs(t.w));
  const g = pairGeometry(t.w, heapAllocator);
  const S = samplePairs(g.X, g.pairs, AUTO_L_SAMPLE);
  const mid = c.n[Math.floor(c.n.length / 2)];
  const lAuto = chooseAutoL(g, { U: [mid], M: c.M, lossThreshold: DEFAULT_LOSS });
  // bounding box of all pairs: decides exactly whether the full tensor has pairs outside a square
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < g.pairs; i++) {
    minX = Math.min(minX, g.X[2 * i]);
    maxX = Math.max(maxX, g.X[2 * i]);
    minY = Math.min(minY, g.X[2 * i + 1]);
    maxY = Math.max(maxY, g.X[2 * i + 1]);
  }
  const options = [raw];
  for (const n of c.n) {
    for (const scale of c.lScales) {
      const l = lAuto * scale;
      const q = passParams(g.cx, g.cy, l, c.M, g.F);
      const allInside = minX >= q.loX && maxX <= q.hiX && minY >= q.loY && maxY <= q.hiY;
      const losses = shellLosses(S, q, n);
      // every shell count K <= M is its own option: fewer shells, narrower indices. A tensor whose
      // pairs all sit in the square needs none; otherwise at least one, even when the sample
      // happened to miss the pairs outside.
      for (let K = allInside ? 0 : 1; K <= (allInside ? 0 : c.M); K++) {
        const loss = losses[K];
        if (!Number.isFinite(loss)) continue;
        const width = indexBits((n + 1) * (K + 1) - 1);
        const indexBytes = Math.ceil((g.pairs * width) / 8);
        const bits = 8 * indexBytes + 8 * sideBytes(n, K, indexBytes, numel);
        options.push({ n, l, M: Math.max(1, K), bits, err: loss * weight });
      }
    }
  }
  return options;
}

/**
 * The sample's MAE with K = 0..M shells (the encoder's own pass, spec §3.3): losses[0] is the MAE
 * when no sampled pair lies outside the square (else NaN); losses[K] for K >= 1 adds the outside
 * pairs' error with K shells (equal to losses[0] when the sample has none outside).
 */
function shellLosses(S: Float32Array, q: PassParams, n: number): Float64Array {
  const L = buildLattice(buildCodebook(n, q.l, q.cx, q.cy), n, q.l);
  const sums = new Float64Array(q.M + 2);
  const count = S.length >> 1;
  scanPairs(L, S, 0, count, q, sums, new Uint32Array(count));
  const losses = new Float64Array(q.M + 1);
  const outside = sums[q.M + 1] > 0;
  losses[0] = outside ? NaN : sums[0] / (2 * count); // the mean runs over both coordinates
  for (let K = 1; K <= q.M; K++) losses[K] = (sums[0] + (outside ? sums[K] : 0)) / (2 * count);
  return losses;
}

/** Per tensor, the option minimising err + λ·bits (ties: fewer bits). */
function pick(options: PlanOption[][], lambda: number): number[] {
  return options.map((opts) => {
    let best = 0;
    for (let o = 1; o < opts.length; o++) {
      const a = opts[o].err + lambda * opts[o].bits;
      const b = opts[best].err + lambda * opts[best].bits;
      if (a < b || (a === b && opts[o].bits < opts[best].bits)) best = o;
    }
    return best;
  });
}

const totalBits = (options: PlanOption[][], choice: number[]): number =>
  choice.reduce((s, o, i) => s + options[i][o].bits, 0);

/** Per tensor, the index of the chosen option: least Σ err with Σ bits <= budget (or the fewest bits when none fits). */
export function solvePlan(options: PlanOption[][], budget: number): number[] {
  const cheapest = options.map((opts) => opts.reduce((b, o, i) => (o.bits < opts[b].bits ? i : b), 0));
  if (totalBits(options, cheapest) > budget) return cheapest; // cannot be met: the fewest bits
  let lo = 0;
  let hi = 1;
  while (totalBits(options, pick(options, hi)) > budget) hi *= 4;
  for (let it = 0; it < 64; it++) {
    const mid = (lo + hi) / 2;
    if (totalBits(options, pick(options, mid)) > budget) lo = mid;
    else hi = mid;
  }
  const choice = pick(options, hi);
  // spend what is left on the upgrades with the best error saved per extra bit
  let left = budget - totalBits(options, choice);
  for (;;) {
    let bestGain = 0;
    let at = -1;
    let to = -1;
    options.forEach((opts, i) => {
      const cur = opts[choice[i]];
      opts.forEach((o, k) => {
        const extra = o.bits - cur.bits;
        const saved = cur.err - o.err;
        if (saved > 0 && extra <= left && saved / Math.max(extra, 1) > bestGain) {
          bestGain = saved / Math.max(extra, 1);
          at = i;
          to = k;
        }
      });
    });
    if (at < 0) return choice;
    left -= options[at][to].bits - options[at][choice[at]].bits;
    choice[at] = to;
  }
}

export const planTargetBpw: PlanTargetBpwFn = (tensors, targetBpw, candidates = DEFAULT_PLAN_CANDIDATES) => {
  if (!(Number.isFinite(targetBpw) && targetBpw > 0)) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `hyper: target bits per weight must be a positive number, got ${targetBpw}`,
      {
        hint: 'e.g. --target-bpw 5',
      },
    );
  }
  if (candidates.n.length === 0 || candidates.lScales.length === 0) {
    throw new UserError(ErrorCodes.BAD_PARAM, 'hyper: the planner needs at least one n and one l scale', {
      hint: 'e.g. n [225, 1600], lScales [1]',
    });
  }
  const sideBytes = candidates.sideBytes ?? defaultSideBytes;
  const numel = tensors.reduce((s, t) => s + t.w.length, 0);
  const tiny = protectedTiny(
    tensors.map((t) => t.w.length),
    targetBpw,
  );
  const options = tensors.map((t, i) =>
    tiny.has(i) ? [rawOption(t.w.length)] : tensorOptions(t, candidates, sideBytes),
  );
  const shared = 8 * (candidates.sharedBytes ?? 0);
  const choice = solvePlan(options, targetBpw * numel - shared);
  let bitsSum = shared;
  let errSum = 0;
  let relSum = 0;
  const plans: TensorPlan[] = tensors.map((t, i) => {
    const o = options[i][choice[i]];
    const N = t.w.length;
    if (o.n === null) {
      const reason = N < MIN_COMPRESS_ELEMENTS ? 'too-small' : tiny.has(i) ? 'tiny' : 'planner';
      const encoded: EncodedTensor = { kind: 'raw', name: t.name, numel: N, reason };
      bitsSum += 32 * N;
      return { name: t.name, numel: N, settings: null, bpw: 32, mae: 0, encoded };
    }
    // lossThreshold 0: the K search takes the least error up to M shells, not the first under 1e-3
    // (an absolute bound that is coarse for a tensor whose weights are ~1e-3 themselves)
    const settings = { l: o.l, U: [o.n], M: o.M, lossThreshold: 0 };
    const encoded = encodeTensor(t.name, t.w, settings);
    const bits =
      encoded.kind === 'hyper'
        ? encoded.bytes.length * 8 + 8 * sideBytes(encoded.n, encoded.K, encoded.bytes.length, N)
        : 32 * N;
    const mae = encoded.kind === 'hyper' ? encoded.mae : 0;
    bitsSum += bits;
    errSum += mae * N;
    relSum += (mae * N) / (meanAbs(t.w) || 1);
    return { name: t.name, numel: N, settings, bpw: bits / N, mae, encoded };
  });
  const bpw = numel > 0 ? bitsSum / numel : 0;
  return {
    tensors: plans,
    bpw,
    mae: numel > 0 ? errSum / numel : 0,
    relMae: numel > 0 ? relSum / numel : 0,
    met: bpw <= targetBpw,
  };
};
