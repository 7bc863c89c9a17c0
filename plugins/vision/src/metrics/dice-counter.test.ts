import { DiceCounter, meanImageDice, setDice } from './dice-counter.js';

/** Count from 0/1 arrays, as a user would write masks by hand. */
function count(pred: number[][], truth: number[][]) {
  const c = new DiceCounter();
  const flatPred = pred.flat();
  c.add((i) => flatPred[i] === 1, Uint8Array.from(truth.flat()), pred.length, pred[0].length);
  return c.sums();
}

describe('Dice counts (hand-computed)', () => {
  it('sums intersection and sizes over all pixels; per-image Dice separately', () => {
    // image 1: A = {0,1}, B = {0,2} -> |A∩B| = 1, Dice 2*1/(2+2) = 0.5
    // image 2: A = {0,1,2,3}, B = {1} -> |A∩B| = 1, Dice 2*1/(4+1) = 0.4
    const s = count(
      [
        [1, 1, 0, 0],
        [1, 1, 1, 1],
      ],
      [
        [1, 0, 1, 0],
        [0, 1, 0, 0],
      ],
    );
    expect(s).toMatchObject({ intersection: 2, predicted: 6, truth: 3, pixels: 8, images: 2, emptyBoth: 0 });
    expect(setDice(s)).toBeCloseTo((2 * 2) / (6 + 3), 15); // 0.4444: not the mean of 0.5 and 0.4
    expect(meanImageDice(s).value).toBeCloseTo(0.45, 15);
    // sample sd of {0.5, 0.4} = 0.0707107; / sqrt(2) = 0.05
    expect(meanImageDice(s).stderr).toBeCloseTo(0.05, 12);
  });

  it('counts an image with nothing predicted and nothing there as 1, and says how many', () => {
    const s = count(
      [
        [0, 0],
        [1, 0],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    );
    expect(s.emptyBoth).toBe(1);
    expect(meanImageDice(s).value).toBeCloseTo((1 + 2 / 3) / 2, 15);
    expect(setDice(s)).toBeCloseTo(2 / 3, 15);
  });

  it('a prediction with no overlap scores 0; nothing anywhere scores 1', () => {
    expect(setDice(count([[1, 0]], [[0, 1]]))).toBe(0);
    expect(setDice(count([[0, 0]], [[0, 0]]))).toBe(1);
  });

  it('merges shards exactly: two batches give the sums of one', () => {
    const pred = [1, 0, 1, 1, 0, 1, 0, 0, 1];
    const truth = Uint8Array.from([1, 1, 1, 0, 0, 1, 0, 1, 1]);
    const whole = new DiceCounter();
    whole.add((i) => pred[i] === 1, truth, 3, 3);
    const parts = new DiceCounter();
    parts.add((i) => pred[i] === 1, truth.subarray(0, 3), 1, 3);
    parts.add((i) => pred[3 + i] === 1, truth.subarray(3), 2, 3);
    expect(parts.sums()).toEqual(whole.sums());
  });
});
