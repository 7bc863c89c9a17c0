import { addRows, emptySums, meanNll, mergeSums, nllOfRow } from './math.js';

describe('nllOfRow', () => {
  it('is logsumexp(z) - z[label], worked out by hand', () => {
    const z = new Float32Array([0, 0, 2, 0, 0, 3]);
    expect(nllOfRow(z, 0, 2, 1)).toBeCloseTo(Math.LN2, 15); // [0, 0]: p = 1/2
    expect(nllOfRow(z, 2, 2, 0)).toBeCloseTo(Math.log(1 + Math.exp(-2)), 15); // [2, 0], label 0
    expect(nllOfRow(z, 4, 2, 0)).toBeCloseTo(Math.log(1 + Math.exp(3)), 14); // [0, 3], label 0
  });

  it('does not overflow on large logits, and refuses a label outside the row', () => {
    expect(nllOfRow(new Float32Array([1000, 1000]), 0, 2, 0)).toBeCloseTo(Math.LN2, 12);
    expect(() => nllOfRow(new Float32Array([0, 0]), 0, 2, 2)).toThrow(RangeError);
  });
});

describe('sums', () => {
  const logits = new Float32Array([0, 0, 2, 0, 0, 3]);
  const labels = [1, 0, 0];
  const each = [Math.LN2, Math.log(1 + Math.exp(-2)), Math.log(1 + Math.exp(3))];

  it('mean and standard error from the sums', () => {
    const s = emptySums();
    addRows(s, logits, 2, labels, 3);
    const mean = each.reduce((a, b) => a + b) / 3;
    const variance = each.reduce((a, x) => a + (x - mean) ** 2, 0) / 2;
    const { value, stderr } = meanNll(s);
    expect(value).toBeCloseTo(mean, 14);
    expect(stderr).toBeCloseTo(Math.sqrt(variance / 3), 14);
    expect(meanNll({ nll: 1, nllSquared: 1, samples: 1 })).toEqual({ value: 1 });
  });

  it('two shards merge into the sums of the whole', () => {
    const whole = emptySums();
    addRows(whole, logits, 2, labels, 3);
    const a = emptySums();
    const b = emptySums();
    addRows(a, logits.subarray(0, 2), 2, labels.slice(0, 1), 1);
    addRows(b, logits.subarray(2), 2, labels.slice(1), 2);
    const merged = mergeSums(a, b);
    expect(merged.samples).toBe(3);
    expect(merged.nll).toBeCloseTo(whole.nll, 14);
    expect(merged.nllSquared).toBeCloseTo(whole.nllSquared, 14);
  });
});
