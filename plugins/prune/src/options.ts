/**
 * The prune method's parameters (declared once, STYLE.md §6) and the checks a ParamSpec cannot
 * express: the N:M pattern's syntax, calibration for Wanda/SparseGPT, a ratio that keeps a channel.
 */
import { ErrorCodes, SELECTION_PARAMS, UserError, typedParams, type ParamSpec, type Params } from '@mc-kit/core';

/** The algorithms that zero single weights (the others remove whole channels). */
const UNSTRUCTURED = ['magnitude', 'wanda', 'sparsegpt'] as const;

export const PRUNE_PARAMS = Object.freeze([
  {
    name: 'algo',
    type: 'enum',
    options: ['magnitude', 'wanda', 'sparsegpt', 'channel'],
    default: 'magnitude',
    description:
      'magnitude: |W|; wanda: |W| * ||X_j|| (needs --calib-dataset); sparsegpt: OBS updates from X^T X (needs --calib-dataset); channel: remove whole Conv output channels (--ratio), repaired from --calib-dataset as --recover says',
  },
  {
    name: 'sparsity',
    type: 'number',
    min: 0,
    max: 0.95,
    default: 0.5,
    description: 'fraction of each group of weights set to zero (unstructured)',
    onlyWith: { algo: UNSTRUCTURED },
    conflictsWith: ['pattern'],
  },
  {
    name: 'pattern',
    type: 'string',
    default: '',
    description:
      'N:M instead of --sparsity: prune N of every M consecutive inputs (1:2, 2:4, 4:8); K must be a multiple of M',
    onlyWith: { algo: UNSTRUCTURED },
    validate: patternProblem,
  },
  {
    name: 'granularity',
    onlyWith: { algo: UNSTRUCTURED },
    type: 'enum',
    options: ['auto', 'row', 'layer'],
    default: 'auto',
    description:
      'row: floor(s*K) per output row (Wanda/SparseGPT setting); layer: LLM-KICK prune_magnitude rule, |W| <= the floor(numel*s)-th smallest (ties may add sparsity); auto: layer for magnitude, row for wanda (sparsegpt chooses per 128-column block)',
  },
  {
    name: 'ratio',
    type: 'number',
    min: 0,
    max: 1,
    default: 0.25,
    description: "--algo channel: fraction of each Conv's output channels removed (which ones: see --recover); below 1",
    onlyWith: { algo: ['channel'] },
    validate: (v) =>
      typeof v === 'number' && v >= 1
        ? 'would remove every output channel of every Conv; use a ratio below 1, e.g. --ratio 0.25'
        : undefined,
  },
  {
    name: 'recover',
    type: 'enum',
    options: ['auto', 'obs', 'refit', 'none'],
    default: 'auto',
    onlyWith: { algo: ['channel'] },
    description:
      "channel: obs: channels chosen by greedy OBS on the calibration statistics (their cost to the next layers' output after refit), then every layer reading them refit by least squares, bias included; refit: L1 choice, then the same refit; none: L1 choice, no refit (quality often collapses); auto: obs with --calib-dataset, none without",
  },
  {
    name: 'store',
    type: 'enum',
    options: ['dense', 'sparse'],
    default: 'dense',
    description:
      'dense: zeros stay in the tensor (the file does not shrink by itself); sparse: pruned tensors become ONNX sparse_initializers where that is smaller (onnxruntime densifies them at load)',
  },
  {
    name: 'column-block',
    type: 'integer',
    min: 1,
    max: 4096,
    default: 128,
    description: 'sparsegpt: columns per block (mask choice and lazy updates), 128 in the reference',
    onlyWith: { algo: ['sparsegpt'] },
  },
  {
    name: 'damp',
    type: 'number',
    min: 0,
    max: 1,
    default: 0.01,
    description:
      "sparsegpt, and channel's refit: dampening added to diag(H), as a fraction of its mean (0.01 in the reference)",
    onlyWith: { algo: ['sparsegpt', 'channel'] },
  },
  ...SELECTION_PARAMS,
] as const satisfies readonly ParamSpec[]);

const pruneParams = typedParams(PRUNE_PARAMS);
type PruneParams = ReturnType<typeof pruneParams>;
export type Algo = PruneParams['algo'];
export type Granularity = Exclude<PruneParams['granularity'], 'auto'>;
export type Store = PruneParams['store'];
export type Recover = PruneParams['recover'];

export interface PruneOptions {
  readonly algo: Algo;
  readonly sparsity: number;
  readonly nm?: { readonly n: number; readonly m: number };
  readonly granularity: Granularity;
  readonly ratio: number;
  readonly recover: Recover;
  readonly store: Store;
  readonly columnBlock: number;
  readonly damp: number;
  readonly minSize: number;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** What is wrong with a --pattern value (checked when flags are parsed, before any work), or undefined. */
function patternProblem(v: unknown): string | undefined {
  const text = String(v);
  if (text === '') return undefined;
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) return 'must be N:M (e.g. 2:4)';
  const n = Number(match[1]);
  const m = Number(match[2]);
  if (m < 2 || n < 1 || n >= m) return 'N must be at least 1 and below M (N of every M weights are pruned)';
  return undefined;
}

/** `N:M` -> {n, m}; one line (exit 2) for anything else. */
export function parsePattern(text: string): { n: number; m: number } | undefined {
  const problem = patternProblem(text);
  if (problem)
    throw new UserError(ErrorCodes.BAD_PARAM, `--pattern ${text}: ${problem}`, {
      hint: 'N weights are pruned in every run of M consecutive inputs: 1:2, 2:4, 4:8',
    });
  if (text === '') return undefined;
  const [n, m] = text.trim().split(':').map(Number);
  return { n, m };
}

export function pruneOptions(params: Params): PruneOptions {
  const p = pruneParams(params);
  const { algo, ratio } = p;
  if (algo === 'channel' && ratio >= 1) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--ratio ${ratio} would remove every output channel of every Conv`, {
      hint: 'use a ratio below 1, e.g. --ratio 0.25',
    });
  }
  const nm = parsePattern(p.pattern);
  const g = p.granularity;
  return {
    algo,
    sparsity: nm ? nm.n / nm.m : p.sparsity,
    nm,
    granularity: g === 'auto' ? (algo === 'magnitude' ? 'layer' : 'row') : g,
    ratio,
    recover: p.recover,
    store: p.store,
    columnBlock: p['column-block'],
    damp: p.damp,
    minSize: p['min-size'],
    include: p.include,
    exclude: p.exclude,
  };
}
