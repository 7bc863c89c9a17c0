/**
 * Token windows for the memory benchmarks: `windows` windows of `length` ids below `vocab` from one
 * fixed LCG (the same sequence on every run and in every benchmark, so their figures compare).
 */
export function* randomWindows(windows, length, vocab) {
  let s = 1;
  for (let w = 0; w < windows; w++) {
    const inputs = new Int32Array(length);
    const targets = new Int32Array(length);
    for (let t = 0; t < length; t++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      inputs[t] = s % vocab;
      targets[t] = (s >>> 7) % vocab;
    }
    yield { batch: 1, length, inputs, targets };
  }
}
