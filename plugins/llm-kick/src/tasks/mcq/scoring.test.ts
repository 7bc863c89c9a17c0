import { bestLetter, letterTokenIds, predictedLetter } from './scoring.js';

describe('kick-mcq answer reading', () => {
  it('greedy: faithful takes the last character of prompt + token, clean the token itself', () => {
    expect(predictedLetter('Answer:', ' B', true)).toBe('B');
    expect(predictedLetter('Answer:', 'AB', true)).toBe('B');
    expect(predictedLetter('Answer:', '', true)).toBe(':');
    expect(predictedLetter('Answer:', 'AB', false)).toBe('AB');
    expect(predictedLetter('Answer:', ' B', false)).toBe('B');
  });

  it('letters: the single tokens that spell each letter, with and without a space', () => {
    const vocab: Record<string, number[]> = {
      ' A': [10],
      A: [11],
      ' B': [12],
      B: [13],
      ' C': [14],
      C: [15],
      ' D': [16],
      D: [2, 3],
    };
    expect(letterTokenIds((t) => vocab[t] ?? [0, 0])).toEqual([[10, 11], [12, 13], [14, 15], [16]]);
    expect(() => letterTokenIds(() => [1, 2])).toThrow(/no single token for "A"/);
  });

  it('letters: highest logit among the letter tokens wins, whatever the greedy token is', () => {
    const ids = [[1], [2], [3], [4]];
    // token 0 ("\n") has the largest logit overall; among the letters C (3) is highest
    expect(bestLetter([9, 0.1, 0.2, 0.7, 0.3], ids)).toBe('C');
    // a letter's best spelling counts: B via its second id
    expect(bestLetter([0, 0.5, 0.1, 0.2, 0.3, 0.9], [[1], [2, 5], [3], [4]])).toBe('B');
    // tie -> the first letter (torch.argmax)
    expect(bestLetter([0, 1, 1, 1, 1], ids)).toBe('A');
  });
});
