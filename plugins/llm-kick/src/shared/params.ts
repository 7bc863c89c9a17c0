/**
 * The parameters every kick-* metric takes, declared once (STYLE.md §6). `--limit N` is mc's own
 * flag (DatasetRef.limit): each dataset provider documents what it keeps.
 *
 * --faithful vs the clean default: each task lists the reference's quirks (spec llm-kick.md §2: the
 * prompt scored together with the answer, N+1 questions over N, an empty prediction counted as a hit,
 * pandas turning a `None` cell into "nan", ...). The default is the clean variant each quirk names;
 * --faithful reproduces the reference code byte for byte, so numbers can be set beside the paper's.
 */
import { typedParams, type LoadedModel, type ParamSpec, type Params, type UnitRange } from '@mc-kit/core';

export const KICK_PARAMS = Object.freeze([
  {
    name: 'log-samples',
    type: 'boolean',
    description: "keep every item's prompt, output and score in the result JSON (details.samples)",
    default: false,
  },
  {
    name: 'faithful',
    type: 'boolean',
    description:
      "reproduce the LLM-KICK reference code's quirks, byte for byte (the README lists each task's), instead of the clean default",
    default: false,
  },
  {
    name: 'bootstrap-resamples',
    type: 'integer',
    description: 'paired bootstrap resamples for the --baseline interval',
    default: 10_000,
    min: 100,
    max: 1_000_000,
  },
  {
    name: 'confidence',
    type: 'number',
    description: 'confidence level of the --baseline interval',
    default: 0.95,
    min: 0.5,
    max: 0.999,
  },
] as const satisfies readonly ParamSpec[]);

/** The shared params, read once with their types. */
export interface KickOptions {
  /** eval's --baseline (MetricInputs.baseline): a dense model scored on the same items; the result adds the delta with a paired bootstrap interval and the items the two disagree on */
  readonly baseline?: LoadedModel;
  readonly logSamples: boolean;
  readonly faithful: boolean;
  readonly resamples: number;
  readonly level: number;
  /** eval --shards: the items (in score()'s order) this shard scores; absent: all of them */
  readonly range?: UnitRange;
}

const kickParams = typedParams(KICK_PARAMS);

/** `params`: any kick-* task's parsed params (each task's spec includes KICK_PARAMS). */
export function kickOptions(params: Params, baseline?: LoadedModel): KickOptions {
  const p = kickParams(params);
  return {
    baseline,
    logSamples: p['log-samples'],
    faithful: p.faithful,
    resamples: p['bootstrap-resamples'],
    level: p.confidence,
  };
}
