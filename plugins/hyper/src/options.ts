/**
 * CLI params -> codec settings for `--method hyper`. A preset (spec §6.1) gives every setting; plain
 * --l / --n / --m / --max-mae override single fields. The codec's resolveSettings validates the
 * result (n >= 1, l > 0, 1 <= M <= 255, index width), so each bad value is one named UserError.
 */
import { ErrorCodes, UserError, typedParams, type Params } from '@mc-kit/core';
import { PRESETS, resolveSettings, type HyperSettings } from './codec/index.js';
import { HYPER_PARAMS } from './plugin.js';

/** How the decode subgraph runs: folded once at session start, or per inference. */
export type DecodeMode = 'load' | 'run';

/**
 * --decode-table: which table the decode subgraph looks indices up in (spec §9.2).
 * exact: option A, the full float32 table of (n+1)(K+1) decoded pairs (bit-exact);
 * compact: option B, the n+1 codebook points and K+1 shell scales, combined in float32 (a few ulps off);
 * auto: exact whenever it costs less than float32, else compact when that does, else float32.
 */
export type DecodeTablePolicy = 'auto' | 'exact' | 'compact';

export interface HyperOptions {
  readonly settings: HyperSettings;
  /** --target-bpw: plan per-tensor settings for this average (undefined: use `settings` everywhere). */
  readonly targetBpw?: number;
  readonly decode: DecodeMode;
  readonly decodeTable: DecodeTablePolicy;
  readonly minSize: number;
  /** also the rank-1 parameters (biases, norm scales): the reference's tensor set */
  readonly vectors: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

const badParam = (message: string, hint: string): never => {
  throw new UserError(ErrorCodes.BAD_PARAM, `--method hyper: ${message}`, { hint });
};

/** --l: a positive number or 'auto'. */
export function parseL(raw: unknown): number | 'auto' {
  if (raw === 'auto') return 'auto';
  const l = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(l) || l <= 0)
    badParam(
      `--l must be a positive number or 'auto' (got ${String(raw)})`,
      'the reference uses --l 0.1 (UNet, LLaMA) or 0.8 (MobileNetV3); auto picks l per tensor',
    );
  return l;
}

/** --n: one or more codebook sizes (comma-separated or repeated), each an integer >= 1. */
export function parseN(raw: readonly string[]): number[] {
  const parts = raw
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) badParam('--n needs at least one codebook size', 'e.g. --n 225 or --n 225,1600');
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1)
      badParam(
        `--n values must be integers >= 1 (got ${p})`,
        'the reference uses --n 225 (UNet) or --n 1600 (MobileNetV3, LLaMA)',
      );
    return n;
  });
}

/** Settings from parsed params: the preset's, with each of --l/--n/--m/--max-mae that was given in its place. */
export function hyperOptions(params: Params): HyperOptions {
  // read at call time: plugin.ts (which declares HYPER_PARAMS) imports this module
  const p = typedParams(HYPER_PARAMS)(params);
  const preset = PRESETS[p.preset];
  const settings: HyperSettings = {
    ...preset,
    l: p.l === undefined ? preset.l : parseL(p.l),
    U: p.n.length === 0 ? preset.U : parseN(p.n),
    M: p.m ?? preset.M, // parseParams checked 1..255
    maxMae: p['max-mae'] ?? preset.maxMae,
  };
  resolveSettings(settings); // throws E_BAD_PARAM naming the bad field (e.g. an index wider than 17 bits)
  return {
    settings,
    targetBpw: p['target-bpw'],
    decode: p.decode,
    decodeTable: p['decode-table'],
    minSize: p['min-size'],
    vectors: p.vectors,
    include: p.include,
    exclude: p.exclude,
  };
}
