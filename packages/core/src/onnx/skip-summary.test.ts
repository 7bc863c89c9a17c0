/** One line per reason, and the "no weight qualifies" hint taken from the cause of the largest skip. */
import { ErrorCodes } from '../errors.js';
import { groupSkips, nothingQualifies, skipSummaryLines, type SkipItem } from './skip-summary.js';

const small = (name: string, elements: number): SkipItem => ({
  name,
  elements,
  reason: `${elements} elements < --min-size 1024`,
  cause: 'fewer than --min-size 1024 elements',
  hint: 'lower --min-size (now 1024) to take them',
});
const opset = (name: string, elements: number): SkipItem => ({
  name,
  elements,
  reason: 'no int4 form at opset 11',
  hint: 'see mc convert',
});
const data = (name: string, elements: number): SkipItem => ({
  name,
  elements,
  reason: `not a weight input (feeds Add input 1 (${name}_add))`,
  cause: 'not a weight input (read by Add)',
});

describe('skip summary', () => {
  it('groups by cause (reason where no cause is given), the group with the largest tensor first', () => {
    const items = [small('a', 512), opset('b', 4608), small('c', 900), data('d', 64), opset('e', 1024), data('f', 16)];
    expect(groupSkips(items)).toEqual([
      {
        cause: 'no int4 form at opset 11',
        hint: 'see mc convert',
        tensors: 2,
        elements: 5632,
        largest: { name: 'b', elements: 4608 },
      },
      {
        cause: 'fewer than --min-size 1024 elements',
        hint: 'lower --min-size (now 1024) to take them',
        tensors: 2,
        elements: 1412,
        largest: { name: 'c', elements: 900 },
      },
      {
        cause: 'not a weight input (read by Add)',
        hint: undefined,
        tensors: 2,
        elements: 80,
        largest: { name: 'd', elements: 64 },
      },
    ]);
    expect(skipSummaryLines(items, 'left float')).toEqual([
      '2 tensors (5,632 elements) left float: no int4 form at opset 11 (largest: b, 4,608); see mc convert',
      '2 tensors (1,412 elements) left float: fewer than --min-size 1024 elements (largest: c, 900); lower --min-size (now 1024) to take them',
      '2 tensors (80 elements) left float: not a weight input (read by Add) (largest: d, 64)',
    ]);
    expect(skipSummaryLines([data('g', 1)])).toEqual([
      '1 tensor (1 element) skipped: not a weight input (read by Add) (g)',
    ]);
    expect(skipSummaryLines([])).toEqual([]);
  });

  it('45 tensors skipped for one reason make one line', () => {
    const items = Array.from({ length: 45 }, (_, i) => opset(`conv${i}.weight`, 1000 + i));
    expect(skipSummaryLines(items)).toEqual([
      '45 tensors (45,990 elements) skipped: no int4 form at opset 11 (largest: conv44.weight, 1,044); see mc convert',
    ]);
  });

  it('nothing qualifies: the hint names the cause that kept the largest tensor out, not the size floor', () => {
    const e = nothingQualifies('int8', [small('a', 512), opset('b', 4608), data('d', 64)], 'int8 takes ...');
    expect([e.code, e.exitCode]).toEqual([ErrorCodes.NOTHING_TO_COMPRESS, 2]);
    expect(e.message).toBe(
      'int8: no weight qualifies (3 float tensors skipped; the largest, b with 4,608 elements: no int4 form at opset 11)',
    );
    expect(e.hint).toBe('see mc convert');
  });

  it("nothing qualifies: a cause without a hint gives way to the next one that has one, then to the method's own", () => {
    expect(nothingQualifies('prune', [data('d', 5000), small('a', 512)], 'prune takes ...').hint).toBe(
      'lower --min-size (now 1024) to take them',
    );
    expect(nothingQualifies('prune', [data('d', 5000)], 'prune takes ...').hint).toBe('prune takes ...');
    expect(nothingQualifies('hyper', [], 'hyper takes ...').message).toBe(
      'hyper: no weight qualifies (the model has no float weights)',
    );
  });
});
