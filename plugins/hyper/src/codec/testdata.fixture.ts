/** Test-only: deterministic heavy-tailed weights (Student-t with 3 degrees of freedom). */
export function studentT(count: number, scale: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const gauss = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const w = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const chi2 = gauss() ** 2 + gauss() ** 2 + gauss() ** 2;
    w[i] = (scale * gauss()) / Math.sqrt(chi2 / 3);
  }
  return w;
}
