/**
 * The codebook in the reference's float64 op order (spec §2.3) and an O(1) nearest-codebook-point
 * search that exploits its lattice structure (spec §3.2), equal to brute force.
 */

/** Winding steps (Cx, Cy) for n points in a square of side l, in numpy's op order (§2.3). */
export function windingSteps(n: number, l: number): [number, number] {
  const m = Math.ceil(Math.sqrt(n)); // np.ceil(np.sqrt(n))
  const dInner = l / m;
  const l1 = Math.sqrt(l * l + dInner * dInner); // rect_l**2 == l*l for the l's in use (spec §2.3)
  const sinA = l / l1;
  const step = l / sinA / m; // "step_size_inner"
  const ax = l / m;
  const ay = l;
  const nrm = Math.sqrt(ax * ax + ay * ay); // np.linalg.norm of a 2-vector
  return [(ax / nrm) * step, (ay / nrm) * step];
}

/**
 * The float64 codebook: n+1 points interleaved (x, y); T[0] = the centre, T[k+1] = the winding
 * after k steps wrapped into the square. Do not replace `%` by the closed-form lattice: for
 * n = 225, l = 0.1 fourteen points wrap to the TOP edge (spec §2.3, §7.2).
 */
export function buildCodebook(n: number, l: number, cx: number, cy: number): Float64Array {
  const steps = windingSteps(n, l);
  const Cx = steps[0];
  const Cy = steps[1];
  const T = new Float64Array(2 * (n + 1));
  const ldx = cx - l / 2; // node_ld = centre (float32, widened) - [l/2, l/2] in float64
  const ldy = cy - l / 2;
  T[0] = cx;
  T[1] = cy;
  for (let k = 0; k < n; k++) {
    T[2 * k + 2] = ((k * Cx) % l) + ldx; // JS % on non-negative operands == C fmod == numpy %
    T[2 * k + 3] = ((k * Cy) % l) + ldy;
  }
  return T;
}

/**
 * Nearest-point index over one codebook. The n winding points sit (up to float noise) on rows
 * y = r·h (h = l/m, r = 0..m; row m holds points that wrapped to the top edge) at
 * x = (a + (r mod m)/m)·h, column a = 0..m. For row r and column a, `left[r·W + a]` is the
 * codebook index of the nearest point of that row at column <= a (-1: none) and `right[...]` at
 * column >= a, so the two points of a row that bracket a query are two table reads, gaps or not.
 * `regular` is false when some point does not sit on its slot; then every query is brute force.
 */
export interface Lattice {
  T: Float64Array;
  n: number;
  m: number;
  invH: number;
  ldx: number;
  ldy: number;
  /** x offset of row r in units of h: (r mod m)/m */
  rowOffset: Float64Array;
  /** codebook index at (row r, column a), or -1 */
  slots: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** the centre can only be the nearest point for u, v (in units of h) within (lo, hi) */
  centreLo: number;
  centreHi: number;
  regular: boolean;
  /** (h·(1 − 1e-6))²: rows R+1 or more away from the query hold no point closer than √certified·(R+1) */
  certified: number;
}

export function buildLattice(T: Float64Array, n: number, l: number): Lattice {
  const m = Math.ceil(Math.sqrt(n));
  const h = l / m;
  const ldx = T[0] - l / 2;
  const ldy = T[1] - l / 2;
  const W = m + 1;
  const rowOffset = new Float64Array(W);
  for (let r = 0; r <= m; r++) rowOffset[r] = (r % m) / m;
  const slots = new Int32Array(W * W).fill(-1);
  // A point counts as on its slot when it is within 1e-7·h of the ideal lattice position: far
  // above float noise (1e-15·l), far below the spacing the certificate relies on.
  const tol = 1e-7;
  let regular = h > 0 && Number.isFinite(h);
  for (let j = 1; j <= n && regular; j++) {
    const x = (T[2 * j] - ldx) / h;
    const y = (T[2 * j + 1] - ldy) / h;
    const r = Math.round(y);
    if (!(r >= 0 && r <= m) || Math.abs(y - r) > tol) {
      regular = false;
      break;
    }
    const a = Math.round(x - rowOffset[r]);
    if (!(a >= 0 && a <= m) || Math.abs(x - rowOffset[r] - a) > tol || slots[r * W + a] !== -1) {
      regular = false;
      break;
    }
    slots[r * W + a] = j;
  }
  const left = new Int32Array(W * W).fill(-1);
  const right = new Int32Array(W * W).fill(-1);
  for (let r = 0; r <= m; r++) {
    let last = -1;
    for (let a = 0; a <= m; a++) left[r * W + a] = last = slots[r * W + a] >= 0 ? slots[r * W + a] : last;
    last = -1;
    for (let a = m; a >= 0; a--) right[r * W + a] = last = slots[r * W + a] >= 0 ? slots[r * W + a] : last;
  }
  // Points of rows other than the two checked are at least h away (ideal geometry); 1e-6 of
  // margin covers the float noise of the real points and of the row arithmetic.
  const c = h * (1 - 1e-6);
  // The centre sits at (m/2, m/2)·h; the nearest lattice point is always within h/√2 < 1.5·h.
  return {
    T,
    n,
    m,
    invH: 1 / h,
    ldx,
    ldy,
    rowOffset,
    slots,
    left,
    right,
    centreLo: m / 2 - 1.5,
    centreHi: m / 2 + 1.5,
    regular,
    certified: c * c,
  };
}

/** Brute force: the lowest index among the points at the smallest squared distance. */
export function nearestBrute(T: Float64Array, qx: number, qy: number): number {
  let best = 0;
  let dx = T[0] - qx;
  let dy = T[1] - qy;
  let bd = dx * dx + dy * dy;
  const count = T.length >> 1;
  for (let j = 1; j < count; j++) {
    dx = T[2 * j] - qx;
    dy = T[2 * j + 1] - qy;
    const d = dx * dx + dy * dy;
    if (d < bd) {
      bd = d;
      best = j;
    }
  }
  return best;
}

/**
 * Nearest codebook index, equal to nearestBrute (lowest index on exact ties). Within one row
 * every point has the same dy, so the row's nearest point is the one at the rounded column (or,
 * next to a gap or a near-tie, one of the two bracketing the query). nearestFast answers most
 * queries with one candidate; nearestNear takes the better of the two rows around the query and
 * the centre; nearestRings visits rows further out. (Three small functions: V8 inlines the
 * first into the passes, which is most of the speed.)
 */
export function nearestLattice(L: Lattice, qx: number, qy: number): number {
  const j = nearestFast(L, qx, qy);
  return j >= 0 ? j : nearestNear(L, qx, qy);
}

/**
 * The point at the nearest row b and, in it, the nearest column a, or -1 when that is not
 * certain. In units of h it is (fx, fy) away; the rest of its row is >= 1 − |fx| > |fx| away in
 * x (|fx| < 1/2), other rows are >= 1 − |fy| away in y, so it is the nearest winding point when
 * fx² + fy² < (1 − |fy|)², i.e. fx² + 2|fy| < 1. Margins of 1e-6 cover the points' float noise.
 * Near the centre the extra point T[0] is compared with it exactly, as nearestBrute would (index 0
 * wins a tie): the encoder's shell scaling sends most outer pairs there (f = (l/2)/d_s is small
 * when the farthest point is far), so declining there sent 80 % of the queries to nearestNear.
 */
export function nearestFast(L: Lattice, qx: number, qy: number): number {
  if (!L.regular) return -1;
  const u = (qx - L.ldx) * L.invH;
  const v = (qy - L.ldy) * L.invH;
  const b = Math.floor(v + 0.5);
  if (b < 0 || b > L.m) return -1;
  const t = u - L.rowOffset[b];
  const a = Math.floor(t + 0.5);
  const fx = t - a;
  const fy = v - b;
  if (a < 0 || a > L.m || fx >= 0.499999 || fx <= -0.499999 || fx * fx + 2 * (fy < 0 ? -fy : fy) >= 0.999999) return -1;
  const j = L.slots[b * (L.m + 1) + a];
  if (j < 0 || !(u > L.centreLo && u < L.centreHi && v > L.centreLo && v < L.centreHi)) return j;
  const T = L.T;
  let dx = T[2 * j] - qx;
  let dy = T[2 * j + 1] - qy;
  const dj = dx * dx + dy * dy;
  dx = T[0] - qx;
  dy = T[1] - qy;
  return dx * dx + dy * dy <= dj ? 0 : j;
}

/** nearestLattice's general path: the two rows around the query and the centre, then rings. */
export function nearestNear(L: Lattice, qx: number, qy: number): number {
  const T = L.T;
  if (!L.regular) return nearestBrute(T, qx, qy);
  const u = (qx - L.ldx) * L.invH;
  const v = (qy - L.ldy) * L.invH;
  const r0 = Math.floor(v);
  if (r0 >= 0 && r0 < L.m) {
    const j0 = nearestInRow(L, r0, u, qx, qy);
    const j1 = nearestInRow(L, r0 + 1, u, qx, qy);
    let best = -1;
    let bd = Infinity;
    if (j0 >= 0) {
      const dx = T[2 * j0] - qx;
      const dy = T[2 * j0 + 1] - qy;
      bd = dx * dx + dy * dy;
      best = j0;
    }
    if (j1 >= 0) {
      const dx = T[2 * j1] - qx;
      const dy = T[2 * j1 + 1] - qy;
      const d = dx * dx + dy * dy;
      if (d < bd || (d === bd && j1 < best)) {
        bd = d;
        best = j1;
      }
    }
    if (u > L.centreLo && u < L.centreHi && v > L.centreLo && v < L.centreHi) {
      const dx = T[0] - qx;
      const dy = T[1] - qy;
      const d = dx * dx + dy * dy;
      if (d <= bd) {
        bd = d;
        best = 0; // index 0 wins ties
      }
    }
    if (bd < L.certified) return best;
  }
  return nearestRings(L, qx, qy);
}

/** The nearest point of row r to a query at column coordinate u (units of h); -1 if the row is empty. */
export function nearestInRow(L: Lattice, r: number, u: number, qx: number, qy: number): number {
  const m = L.m;
  const o = r * (m + 1);
  const t = u - L.rowOffset[r];
  const a = Math.floor(t + 0.5);
  if (a >= 0 && a <= m) {
    const j = L.slots[o + a];
    const f = t - a;
    // strictly nearer than both neighbours' slots (margin >> float noise of the points)
    if (j >= 0 && f < 0.4999999 && f > -0.4999999) return j;
  }
  const a0 = Math.floor(t);
  const jl = a0 < 0 ? -1 : L.left[o + (a0 > m ? m : a0)];
  const jr = a0 + 1 > m ? -1 : L.right[o + (a0 + 1 < 0 ? 0 : a0 + 1)];
  if (jl < 0 || jr < 0) return jl < 0 ? jr : jl;
  const T = L.T;
  let dx = T[2 * jl] - qx;
  let dy = T[2 * jl + 1] - qy;
  const dl = dx * dx + dy * dy;
  dx = T[2 * jr] - qx;
  dy = T[2 * jr + 1] - qy;
  const dr = dx * dx + dy * dy;
  return dr < dl || (dr === dl && jr < jl) ? jr : jl;
}

/**
 * The general case of nearestLattice: rows are visited outward from the two around the query;
 * after rows r0−R .. r0+1+R every unvisited point is at least (R+1)·h away, so the search stops
 * once the best distance is below that, or when every row has been visited.
 */
export function nearestRings(L: Lattice, qx: number, qy: number): number {
  const T = L.T;
  const m = L.m;
  const W = m + 1;
  const u = (qx - L.ldx) * L.invH;
  const r0 = Math.floor((qy - L.ldy) * L.invH);
  if (!(r0 >= -2 && r0 <= m + 2)) return nearestBrute(T, qx, qy); // far outside the square (never in the encoder)
  let best = 0;
  let dx = T[0] - qx;
  let dy = T[1] - qy;
  let bd = dx * dx + dy * dy;
  for (let R = 0; ; R++) {
    for (let side = 0; side < 2; side++) {
      const r = side === 0 ? r0 - R : r0 + 1 + R; // the two rows this ring adds
      if (r < 0 || r > m) continue;
      const a0 = Math.floor(u - L.rowOffset[r]);
      for (let a = a0; a <= a0 + 1; a++) {
        const j =
          a < 0
            ? a === a0
              ? -1
              : L.right[r * W]
            : a > m
              ? a === a0
                ? L.left[r * W + m]
                : -1
              : a === a0
                ? L.left[r * W + a]
                : L.right[r * W + a];
        if (j < 0) continue;
        dx = T[2 * j] - qx;
        dy = T[2 * j + 1] - qy;
        const d = dx * dx + dy * dy;
        if (d < bd || (d === bd && j < best)) {
          bd = d;
          best = j;
        }
      }
    }
    if (bd < L.certified * (R + 1) * (R + 1)) return best;
    if (r0 - R <= 0 && r0 + 1 + R >= m) return best; // every row visited
  }
}
