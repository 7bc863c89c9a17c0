/**
 * eval --resume for the generating kick-* tasks: one record per generated prompt ({ id, generation }),
 * written after each finished batch, in a part of its own per model (and per step: the answers, the
 * judge's replies). On resume, generate() gets the recorded generations by prompt index and skips the
 * batches they wholly cover (GenerateOptions.done), so the batches left run exactly as they would have.
 */
import { openCheckpoint, type GenerateOptions, type Generation, type LoadedModel, type RunContext } from '@mc-kit/core';

interface GenerationRecord {
  /** the item id; its k-th repeat within one call (a dataset with a repeated id) is `id#k` */
  readonly id: string;
  readonly generation: Generation;
}

export interface GenerationCheckpoint {
  /** prompts an earlier run generated, over every call */
  readonly resumed: number;
  /** generate()'s `done` and `onBatch` for one call whose prompts have these item ids */
  options(itemIds: readonly string[]): Pick<GenerateOptions, 'done' | 'onBatch'>;
}

/** The checkpoint of `step` (e.g. 'generate', 'judge') of `model`; keeps nothing without --resume. */
export async function openGenerationCheckpoint(
  ctx: Pick<RunContext, 'checkpoints'>,
  step: string,
  model: Pick<LoadedModel, 'sha256'>,
): Promise<GenerationCheckpoint> {
  const checkpoint = await openCheckpoint(ctx, `${step}-${model.sha256.slice(0, 16)}`);
  const earlier = new Map((checkpoint.records as GenerationRecord[]).map((r) => [r.id, r.generation]));
  return {
    resumed: earlier.size,
    options(itemIds) {
      // A repeated id gets its own key per repeat: with sampling its draws differ from the first's.
      const seen = new Map<string, number>();
      const keys = itemIds.map((id) => {
        const k = seen.get(id) ?? 0;
        seen.set(id, k + 1);
        return k === 0 ? id : `${id}#${k}`;
      });
      const done = new Map<number, Generation>();
      keys.forEach((key, i) => {
        const g = earlier.get(key);
        if (g) done.set(i, g);
      });
      return {
        done,
        onBatch: async (results) => {
          for (const r of results)
            await checkpoint.append({ id: keys[r.index], generation: r.generation } satisfies GenerationRecord);
        },
      };
    },
  };
}
