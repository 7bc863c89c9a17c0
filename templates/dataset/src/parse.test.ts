import { parseImageCsv } from './parse.js';

describe('parseImageCsv', () => {
  it('reads label,pixels rows of square images, with or without a header', () => {
    const text = 'label,1x1,1x2,2x1,2x2\n3,0,255,16,1\r\n0,9,8,7,6\n\n';
    const p = parseImageCsv(text, 't.csv');
    expect(p).toEqual({
      count: 2,
      side: 2,
      pixels: new Uint8Array([0, 255, 16, 1, 9, 8, 7, 6]),
      labels: new Uint8Array([3, 0]),
    });
    expect(parseImageCsv('1,5\n2,6\n', 't.csv')).toEqual({
      count: 2,
      side: 1,
      pixels: new Uint8Array([5, 6]),
      labels: new Uint8Array([1, 2]),
    });
  });

  it('keeps the first rows under a limit', () => {
    expect(parseImageCsv('1,5\n2,6\n3,7\n', 't.csv', 2).labels).toEqual(new Uint8Array([1, 2]));
  });

  it('names the line of a bad row, with a user error (exit 2)', () => {
    const cases: [string, RegExp][] = [
      ['', /t\.csv: the file is empty/],
      ['label,a,b\n', /no image rows/],
      ['1,2,3\n', /line 1: 2 pixel columns is not a square image/],
      ['1,2\n1,2,3\n', /line 2: 2 pixel columns, the first row has 1/],
      ['1,2\n1,256\n', /line 2: pixel "256" is not an integer in 0\.\.255/],
      ['1,2\nx,2\n', /line 2: label "x"/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseImageCsv(text, 't.csv')).toThrow(message);
      expect(() => parseImageCsv(text, 't.csv')).toThrow(
        expect.objectContaining({ code: 'E_BAD_DATASET', exitCode: 2 }),
      );
    }
  });
});
