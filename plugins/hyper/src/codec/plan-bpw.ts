/**
 * --target-bpw: per-tensor n and l chosen to meet an average bits per weight with the least error.
 *
 * 1. Per tensor, every candidate (n, l = autoL·scale) and "keep raw" (32 bits, no error) is
 *    scored on a strided sample of the tensor (auto-l.ts), with the tensor's true centre and
 *    farthest distance: MAE from the encoder's own K search, bits from the widest index that K
 *    allows, (n+1)(K+1) − 1. The encode then runs with M = max(1, K), so the real width can
 *    only be smaller than planned and the plan's budget holds on the full tensor.
 * 2. The choice is a multiple-choice knapsack: minimise Σ numel·MAE subject to
 *    Σ numel·bpw <= targetBpw·Σ numel. A Lagrange multiplier λ (bisection) gives each tensor
 *    argmin(error + λ·bits); leftover budget then goes greedily to the best error-per-bit upgrades.
 * 3. Every tensor is encoded with its choice; the returned figures are measured, side info included.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';
import { chooseAutoL, sampleLoss, samplePairs, AUTO_L_SAMPLE } from './auto-l.js';
import { indexBits } from './bits.js';
import { assertFinite, encodeTensor } from './encode.js';
import { heapAllocator, pairGeometry, passParams } from './geometry.js';
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
  n: Object.freeze([16, 64, 100, 225, 400, 900, 1600, 3600]),
  lScales: Object.freeze([0.7, 1, 1.4]),
  M: 3,
});

const defaultSideBytes = (): number => SIDE_INFO_BYTES + AUTO_L_SIDE_BYTES;

interface Option {
  /** null: raw */
  n: number | null;
  l: number;
  M: number;
  bits: number; // total bits of the tensor
  err: number; // estimated Σ|error| = numel·MAE
}

function tensorOptions(t: NamedWeights, c: PlanCandidates, sideBytes: (n: number, K: number) => number): Option[] {
  const numel = t.w.length;
  const raw: Option = { n: null, l: 0, M: 0, bits: 32 * numel, err: 0 };
  if (numel < MIN_COMPRESS_ELEMENTS) return [raw];
  assertFinite(t.name, t.w);
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
      const { loss, K } = sampleLoss(S, g, l, n, c.M, DEFAULT_LOSS);
      if (K < 0 || !Number.isFinite(loss)) continue;
      const q = passParams(g.cx, g.cy, l, c.M, g.F);
      const allInside = minX >= q.loX && maxX <= q.hiX && minY >= q.loY && maxY <= q.hiY;
      // the sample may miss the pairs outside the square: the full tensor then needs >= 1 shell
      const Kb = allInside ? 0 : Math.max(1, K);
      const width = indexBits((n + 1) * (Kb + 1) - 1);
      const bits = Math.ceil((g.pairs * width) / 8) * 8 + 8 * sideBytes(n, Kb);
      options.push({ n, l, M: Math.max(1, Kb), bits, err: loss * numel });
    }
  }
  return options;
}

/** Per tensor, the option minimising err + λ·bits (ties: fewer bits). */
function pick(options: Option[][], lambda: number): number[] {
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

const totalBits = (options: Option[][], choice: number[]): number => choice.reduce((s, o, i) => s + options[i][o].bits, 0);

function solve(options: Option[][], budget: number): number[] {
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
    throw new UserError(ErrorCodes.BAD_PARAM, `hyper: target bits per weight must be a positive number, got ${targetBpw}`, {
      hint: 'e.g. --target-bpw 5',
    });
  }
  if (candidates.n.length === 0 || candidates.lScales.length === 0) {
    throw new UserError(ErrorCodes.BAD_PARAM, 'hyper: the planner needs at least one n and one l scale', { hint: 'e.g. n [225, 1600], lScales [1]' });
  }
  const sideBytes = candidates.sideBytes ?? defaultSideBytes;
  const options = tensors.map((t) => tensorOptions(t, candidates, sideBytes));
  const numel = tensors.reduce((s, t) => s + t.w.length, 0);
  const choice = solve(options, targetBpw * numel);
  let bitsSum = 0;
  let errSum = 0;
  const plans: TensorPlan[] = tensors.map((t, i) => {
    const o = options[i][choice[i]];
    const N = t.w.length;
    if (o.n === null) {
      const reason = N < MIN_COMPRESS_ELEMENTS ? 'too-small' : 'planner';
      const encoded: EncodedTensor = { kind: 'raw', name: t.name, numel: N, reason };
      bitsSum += 32 * N;
      return { name: t.name, numel: N, settings: null, bpw: 32, mae: 0, encoded };
    }
    const settings = { l: o.l, U: [o.n], M: o.M };
    const encoded = encodeTensor(t.name, t.w, settings);
    const bits = encoded.kind === 'hyper' ? encoded.bytes.length * 8 + 8 * sideBytes(encoded.n, encoded.K) : 32 * N;
    const mae = encoded.kind === 'hyper' ? encoded.mae : 0;
    bitsSum += bits;
    errSum += mae * N;
    return { name: t.name, numel: N, settings, bpw: bits / N, mae, encoded };
  });
  const bpw = numel > 0 ? bitsSum / numel : 0;
  return { tensors: plans, bpw, mae: numel > 0 ? errSum / numel : 0, met: bpw <= targetBpw };
};
