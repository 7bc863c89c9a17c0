/**
 * The codebook (spec §2.3) as the rest of the plugin sees it. The arithmetic lives in lattice.ts so
 * that worker threads run the very same code.
 */
import { buildCodebook, windingSteps } from './lattice.js';
import type { CodebookF32Fn, CodebookFn } from './types.js';

export { windingSteps };

/** The float64 codebook T (n+1 interleaved points, T[0] = centre) in the reference's op order. */
export const codebook: CodebookFn = (n, l, cx = 0, cy = 0) => buildCodebook(n, l, cx, cy);

/** The float64 codebook rounded once to float32 (spec §9.2 option B's `T` initializer). */
export const codebookF32: CodebookF32Fn = (n, l, cx = 0, cy = 0) => Float32Array.from(buildCodebook(n, l, cx, cy));
