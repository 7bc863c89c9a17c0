import {
  answerStatistics,
  containmentMatch,
  distinctN,
  emptyRate,
  maxOverTruths,
  normalizeAnswer,
  rougeScores,
  strictMatch,
  tokenF1,
  uniqueTokenRatio,
} from './index.js';

describe('normalizeAnswer (triviaqa_evaluation.py)', () => {
  it('underscores, case, punctuation, articles, whitespace', () => {
    expect(normalizeAnswer('The_Beatles!')).toBe('beatles');
    expect(normalizeAnswer('  An apple, a day ‘keeps’ `the` doctor ')).toBe('apple day keeps doctor');
    expect(normalizeAnswer("Rock'n'Roll")).toBe('rock n roll');
    expect(normalizeAnswer('theatre')).toBe('theatre'); // "the" only as a word
  });
});

describe('containment EM (main_icrqa.py)', () => {
  it('holds either way round after normalization', () => {
    expect(containmentMatch('It was Paris, France.', 'paris', false)).toBe(true);
    expect(containmentMatch('Paris', 'Paris France', false)).toBe(true);
    expect(containmentMatch('Lyon', 'Paris', false)).toBe(false);
  });

  it('an empty prediction is a hit only in faithful mode ("" in x is True in Python)', () => {
    expect(containmentMatch('', 'Paris', true)).toBe(true);
    expect(containmentMatch('the .', 'Paris', true)).toBe(true); // normalizes to ""
    expect(containmentMatch('', 'Paris', false)).toBe(false);
    expect(containmentMatch('the .', 'Paris', false)).toBe(false);
  });

  it('strict match is equality after normalization', () => {
    expect(strictMatch('The Paris!', 'paris')).toBe(true);
    expect(strictMatch('Paris France', 'paris')).toBe(false);
  });
});

describe('SQuAD token F1', () => {
  it('hand-computed: 2 shared of 3 predicted and 4 true tokens -> P 2/3, R 1/2, F1 4/7', () => {
    expect(tokenF1('new york city', 'the city of new jersey')).toBeCloseTo(
      (2 * (2 / 3) * (1 / 2)) / (2 / 3 + 1 / 2),
      12,
    );
  });
  it('counts repeated tokens at most as often as they occur in both', () => {
    // pred a a b, truth a b b: common a:1 b:1 -> P 2/3, R 2/3
    expect(tokenF1('x x y', 'x y y')).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('', 'paris')).toBe(0);
  });
  it('max over aliases', () => {
    expect(maxOverTruths((t) => tokenF1('new york', t), ['york', 'new york', 'boston'])).toBe(1);
    expect(maxOverTruths((t) => containmentMatch('boston', t, false), ['york'])).toBe(0);
  });
});

describe('diversity and ROUGE', () => {
  it('distinct-n over all outputs', () => {
    // unigrams: a b a | a c -> 5 total, {a,b,c} 3 distinct; bigrams: ab ba | ac -> 3 of 3
    expect(distinctN(['a b a', 'A c'], 1)).toBeCloseTo(3 / 5, 12);
    expect(distinctN(['a b a', 'a c'], 2)).toBe(1);
    expect(distinctN(['', 'x'], 2)).toBe(0);
    expect(uniqueTokenRatio('to be or not to be')).toBeCloseTo(4 / 6, 12);
    expect(emptyRate(['', '  ', 'x', 'y'])).toBe(0.5);
  });

  it('ROUGE-1/2/L F1, hand-computed; empty outputs score 0', () => {
    // cand "the cat sat" vs ref "the cat sat down": R1 P 3/3 R 3/4 -> 6/7; R2 P 2/2 R 2/3 -> 0.8; LCS 3 -> 6/7
    const r = rougeScores('The cat sat', 'the cat sat down');
    expect(r.rouge1).toBeCloseTo(6 / 7, 10);
    expect(r.rouge2).toBeCloseTo(0.8, 10);
    expect(r.rougeL).toBeCloseTo(6 / 7, 10);
    expect(rougeScores('', 'a summary')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
    expect(rougeScores('word', 'other words here').rouge2).toBe(0);
  });

  it('answer statistics divide by every answer, whatever the judge scored (issue 17 audit)', () => {
    // three answers: "to be or not to be" (4/6 unique), "" (0), "x y" (1); ROUGE-L 0.5, 0, 1
    const texts = ['to be or not to be', '', 'x y'];
    const rouge = [
      { rouge1: 0.6, rouge2: 0.3, rougeL: 0.5 },
      { rouge1: 0, rouge2: 0, rougeL: 0 },
      { rouge1: 1, rouge2: 1, rougeL: 1 },
    ];
    const s = answerStatistics(texts, rouge);
    expect(s.unique_token_ratio).toBeCloseTo((4 / 6 + 0 + 1) / 3, 12);
    expect(s.rougeL).toBeCloseTo(1.5 / 3, 12);
    expect(s.rouge1).toBeCloseTo(1.6 / 3, 12);
    expect(s.rouge2).toBeCloseTo(1.3 / 3, 12);
    expect(s.empty_rate).toBeCloseTo(1 / 3, 12);
    expect(answerStatistics(texts)).not.toHaveProperty('rougeL');
    expect(() => answerStatistics(texts, rouge.slice(1))).toThrow(/2 ROUGE scores for 3 answers/);
  });
});
