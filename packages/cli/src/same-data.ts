/**
 * Calibrating on the data a run is then scored on flatters the data-aware methods (GPTQ, Wanda,
 * SparseGPT fit the very samples they are measured on). mc still runs, but says so in one line.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { isHubRef } from '@mc-kit/core';

/** Where a dataset reference points: a hub id as written, a path with its symlinks resolved. */
function identity(ref: string, cwd: string): string {
  if (isHubRef(ref)) return ref.trim();
  const path = resolve(cwd, ref);
  try {
    return realpathSync(path);
  } catch {
    return path; // missing: the dataset's own check says so later
  }
}

/** True when two dataset references name the same file or folder (or the same hub dataset). */
export function sameData(a: string, b: string, cwd = process.cwd()): boolean {
  return identity(a, cwd) === identity(b, cwd);
}

/** The warning a run whose calibration and evaluation (or drift-probe) data are one gets, or none. */
export function sameDataWarning(
  calibration: { flag: string; ref: string | undefined },
  scored: { flag: string; ref: string | undefined },
  consequence: string,
): string | undefined {
  if (calibration.ref === undefined || scored.ref === undefined || !sameData(calibration.ref, scored.ref))
    return undefined;
  return `${calibration.flag} and ${scored.flag} are the same data (${calibration.ref}): ${consequence}`;
}
