/**
 * The Pareto front of size against quality: a point is on it when no other point is at most as large
 * and at least as good, and strictly one of the two. Ties (same size and quality) are all on it.
 */
export function paretoFront(
  points: readonly { readonly x: number; readonly y: number }[],
  higherIsBetter: boolean,
): boolean[] {
  const better = (a: number, b: number) => (higherIsBetter ? a > b : a < b);
  return points.map(
    (p, i) => !points.some((q, j) => j !== i && q.x <= p.x && !better(p.y, q.y) && (q.x < p.x || better(q.y, p.y))),
  );
}
