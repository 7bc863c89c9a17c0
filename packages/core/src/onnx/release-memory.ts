/**
 * Ask V8 for a full collection now. Used once after a large model is loaded: the buffer holding the
 * whole file is garbage by then (defer-raw-data.ts), but V8 collects on its own schedule, and the
 * first weight a compressor reads would otherwise be allocated while the file is still resident,
 * putting the peak at file + weight instead of weight. `--expose-gc` set at run time is V8's own
 * switch for this; where it is unavailable, nothing happens.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/**
 * A full collection now, synchronously: used before a large initializer is stored, when the weight
 * it replaces (read by the compressor a moment ago) is garbage but still resident.
 */
export function collectGarbageNow(): void {
  collector()?.();
}

/** Resolves once the collection ran and V8's background sweeper had a turn to free the buffers. */
export async function collectGarbage(): Promise<void> {
  collector()?.();
  await new Promise((resolve) => setTimeout(resolve, 0));
  collector()?.();
}
