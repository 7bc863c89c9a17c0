import { TopKCounter, proportion } from './topk.js';

describe('TopKCounter', () => {
  // 7 classes, so k = 5 and a label can be outside the top 5.
  const rows = [
    [7, 6, 5, 4, 3, 2, 1], // label 0: nothing larger -> top1, top5
    [7, 6, 5, 4, 3, 2, 1], // label 4: 4 larger -> top5 only
    [7, 6, 5, 4, 3, 2, 1], // label 5: 5 larger -> neither
    [1, 3, 3, 0, 0, 0, 0], // label 2: tied with class 1 at the max -> top1 (tie goes to the label)
    [0, 0, 0, 0, 0, 0, 0], // label 6: all tied -> top1, top5
    [2, 2, 2, 2, 2, 1, 1], // label 6: 5 classes strictly larger -> neither, even though ties
    [NaN, 0, 9, 0, 0, 0, 0], // label 2: a NaN row counts as wrong
  ];
  const labels = [0, 4, 5, 2, 6, 6, 2];
  const logits = Float32Array.from(rows.flat());

  it('counts top-1 and top-5 with ties resolved for the label, NaN rows wrong', () => {
    const c = new TopKCounter(7, 7);
    c.add(logits, labels, rows.length);
    const s = c.sums();
    expect(c.k).toBe(5);
    expect(s).toMatchObject({ correctTop1: 2 + 1, correctTopK: 4, samples: 7, nanRows: 1 });
    expect(s.perClassCount).toEqual([1, 0, 2, 0, 1, 1, 2]);
    expect(s.perClassCorrect).toEqual([1, 0, 1, 0, 0, 0, 1]);
    // predicted = label when it ties for the max, else the first largest logit (NaN skipped)
    expect(s.confusion![2]).toEqual([0, 0, 2, 0, 0, 0, 0]);
    expect(s.confusion![6]).toEqual([1, 0, 0, 0, 0, 0, 1]);
    expect(s.confusion![5]).toEqual([1, 0, 0, 0, 0, 0, 0]);
    // per-item top-1 scores in row order, the rows above by hand (mc report pairs these across models)
    expect(s.top1Hits).toEqual([1, 0, 0, 1, 1, 0, 0]);
  });

  it('gives the same sums fed in one call or row by row (sums merge exactly)', () => {
    const whole = new TopKCounter(7, 7);
    whole.add(logits, labels, rows.length);
    const parts = new TopKCounter(7, 7);
    for (let i = 0; i < rows.length; i++) parts.add(logits.subarray(i * 7, i * 7 + 7), labels.slice(i, i + 1), 1);
    expect(parts.sums()).toEqual(whole.sums());
  });

  it('uses k = classes when there are fewer than 5, and drops the confusion matrix past 20 classes', () => {
    const c = new TopKCounter(3, 3);
    c.add(Float32Array.from([3, 2, 1]), [2], 1);
    expect([c.k, c.sums().correctTopK, c.sums().correctTop1]).toEqual([3, 1, 0]);
    expect(new TopKCounter(21, 21).sums().confusion).toBeUndefined();
    expect(new TopKCounter(20, 20).sums().confusion).toHaveLength(20);
  });

  it('rejects labels outside the classes and a wrong logit count', () => {
    expect(() => new TopKCounter(3, 3).add(Float32Array.from([1, 2, 3]), [3], 1)).toThrow(RangeError);
    expect(() => new TopKCounter(3, 3).add(Float32Array.from([1, 2]), [0], 1)).toThrow(RangeError);
    expect(() => new TopKCounter(3, 4)).toThrow(RangeError);
  });
});

describe('proportion', () => {
  it('is correct/samples with the binomial standard error', () => {
    expect(proportion(5, 10)).toEqual({ value: 0.5, stderr: Math.sqrt(0.025) });
    expect(proportion(1972, 2000).stderr).toBeCloseTo(Math.sqrt((0.986 * 0.014) / 2000), 15);
    expect(proportion(10, 10)).toEqual({ value: 1, stderr: 0 });
  });
});
