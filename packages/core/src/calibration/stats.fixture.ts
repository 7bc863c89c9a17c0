/**
 * Test references for the capture statistics: X^T X and Σ x² summed naively in float64 over
 * explicit rows, and a closeness check scaled to the expected values (the capture sums float32
 * blocks from onnxruntime, so agreement is to a relative 1e-6, not exact).
 */

/** Naive float64 X^T X and Σ x^2 over rows of K. */
export function naive(rows: number[][]): { xtx: number[]; ss: number[] } {
  const K = rows[0].length;
  const xtx = new Array<number>(K * K).fill(0);
  const ss = new Array<number>(K).fill(0);
  for (const r of rows)
    for (let i = 0; i < K; i++) {
      ss[i] += r[i] * r[i];
      for (let j = 0; j < K; j++) xtx[i * K + j] += r[i] * r[j];
    }
  return { xtx, ss };
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(rel * scale);
}
