/** Validation and defaults of HyperSettings: every bad value is the user's mistake, named. */
import { ErrorCodes, UserError } from '@mc-kit/core';
import { MAX_INDEX_BITS } from './bits.js';
import type { HyperSettings } from './types.js';

/** `loss_max` and `loss_threshold` of all three reference settings (spec §6.1). */
export const DEFAULT_LOSS = 1e-3;

/** Settings with every optional field filled in. */
export interface ResolvedSettings {
  readonly l: number | 'auto';
  readonly U: readonly number[];
  readonly M: number;
  readonly maxMae: number | null;
  readonly lossMax: number;
  readonly lossThreshold: number;
}

export function resolveSettings(s: HyperSettings): ResolvedSettings {
  const bad = (message: string, hint: string): never => {
    throw new UserError(ErrorCodes.BAD_PARAM, message, { hint });
  };
  if (s.l !== 'auto' && !(typeof s.l === 'number' && Number.isFinite(s.l) && s.l > 0)) {
    bad(
      `hyper: l must be a positive number or 'auto', got ${String(s.l)}`,
      'the reference uses --l 0.1 (UNet, LLaMA) or 0.8 (MobileNetV3)',
    );
  }
  if (!Array.isArray(s.U) || s.U.length === 0 || s.U.length > 255)
    bad('hyper: U (the list of n) must hold 1..255 values', 'e.g. --n 225 or --n 1600');
  if (!Number.isInteger(s.M) || s.M < 1 || s.M > 255)
    bad(`hyper: M must be an integer 1..255, got ${s.M}`, 'the reference uses --m 3 or 4');
  for (const n of s.U) {
    if (!Number.isInteger(n) || n < 1)
      bad(`hyper: every n must be a positive integer, got ${n}`, 'e.g. --n 225 or --n 1600');
    // widest index (n+1)(M+1) − 1 must fit the packed width the decoders support
    if ((n + 1) * (s.M + 1) > 2 ** MAX_INDEX_BITS) {
      bad(
        `hyper: n=${n} with M=${s.M} needs indices wider than ${MAX_INDEX_BITS} bits`,
        `keep (n+1)·(M+1) <= ${2 ** MAX_INDEX_BITS}`,
      );
    }
  }
  const maxMae = s.maxMae ?? null;
  if (maxMae !== null && !(Number.isFinite(maxMae) && maxMae >= 0))
    bad(`hyper: maxMae must be >= 0, got ${maxMae}`, 'the LLaMA setting is 0.006');
  const lossMax = s.lossMax ?? DEFAULT_LOSS;
  const lossThreshold = s.lossThreshold ?? DEFAULT_LOSS;
  if (!(lossMax >= 0) || !(lossThreshold >= 0))
    bad('hyper: lossMax and lossThreshold must be >= 0', 'the reference uses 0.001');
  return { l: s.l, U: [...s.U], M: s.M, maxMae, lossMax, lossThreshold };
}
