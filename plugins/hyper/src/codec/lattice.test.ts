/**
 * The O(1) nearest-point search (spec §3.2) against brute force on random queries: same index, or
 * (only at an exact tie) the same distance.
 */
import { buildCodebook, buildLattice, nearestBrute, nearestLattice } from './kernel.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0; // mulberry32
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const d2 = (T: Float64Array, j: number, x: number, y: number): number => (T[2 * j] - x) ** 2 + (T[2 * j + 1] - y) ** 2;

describe('nearestLattice == brute force', () => {
  const settings: [number, number, number, number][] = [
    // n, l, cx, cy: the three presets, the wrap case, non-square n, tiny n, an offset centre
    [225, 0.1, 0, 0],
    [1600, 0.8, 0.013, -0.2],
    [1600, 0.1, 0, 0],
    [4, 0.1, 0.0405, -0.0252],
    [100, 0.05, -0.001, 0.002],
    [400, 0.05, 0, 0],
    [64, 0.1, 0, 0],
    [300, 0.1, 0, 0],
    [2, 0.3, 0, 0],
    [1, 0.1, 0, 0],
    [3600, 0.02, 0.5, 0.5],
    [225, 0.037, 1e-3, -7e-4],
  ];
  it.each(settings)('n=%d l=%d centre (%d, %d)', (n, l, cx, cy) => {
    const T = buildCodebook(n, l, cx, cy);
    const L = buildLattice(T, n, l);
    if (Math.sqrt(n) % 1 === 0 && n >= 4) expect(L.regular).toBe(true); // the fast path is really taken
    const rand = rng(n * 7919 + Math.round(l * 1e6));
    for (let t = 0; t < 20000; t++) {
      // inside the square, a margin around it, and exactly on lattice points / the centre
      let x = cx + (rand() - 0.5) * l * 1.2;
      let y = cy + (rand() - 0.5) * l * 1.2;
      if (t % 10 === 0) {
        const j = Math.floor(rand() * (n + 1));
        x = T[2 * j];
        y = T[2 * j + 1];
      }
      const a = nearestLattice(L, x, y);
      const b = nearestBrute(T, x, y);
      if (a !== b) expect(d2(T, a, x, y)).toBe(d2(T, b, x, y));
    }
  });

  // The encoder's shell scaling sends most outer pairs close to the centre, where the extra point
  // T[0] competes with the winding points: there the index itself must match (index 0 wins ties).
  it.each([
    [225, 0.1],
    [1600, 0.1],
    [1600, 0.8],
    [400, 0.05],
  ])('near the centre (n=%d l=%d): the very same index as brute force', (n, l) => {
    const cx = 0.0031;
    const cy = -0.0017;
    const T = buildCodebook(n, l, cx, cy);
    const L = buildLattice(T, n, l);
    const h = l / Math.ceil(Math.sqrt(n));
    const rand = rng(n + 17);
    let centreWins = 0;
    for (let t = 0; t < 20000; t++) {
      let x = cx + (rand() - 0.5) * 4 * h;
      let y = cy + (rand() - 0.5) * 4 * h;
      if (t % 7 === 0) {
        // midway between the centre and a nearby winding point: an exact tie, or within an ulp of one
        const j = 1 + Math.floor(rand() * n);
        x = (T[0] + T[2 * j]) / 2;
        y = (T[1] + T[2 * j + 1]) / 2;
      }
      if (t % 11 === 0) {
        x = T[0];
        y = T[1];
      }
      const b = nearestBrute(T, x, y);
      if (b === 0) centreWins++;
      expect(nearestLattice(L, x, y)).toBe(b);
    }
    expect(centreWins).toBeGreaterThan(1000); // the centre really competes in these queries
  });

  it('exact ties go to the lowest index, as brute force does', () => {
    const T = buildCodebook(1600, 0.8, 0, 0);
    const L = buildLattice(T, 1600, 0.8);
    // midway between two points of one row: both at the same distance
    const x = (T[2 * 2] + T[2 * 42]) / 2;
    const y = T[2 * 2 + 1];
    expect(nearestLattice(L, x, y)).toBe(nearestBrute(T, x, y));
  });
});
