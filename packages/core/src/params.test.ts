import { describeParam, parseParams, validateParamSpecs, type ParamSpec } from './params.js';

const specs: ParamSpec[] = [
  { name: 'bits', type: 'integer', description: 'bits', default: 4, min: 2, max: 8 },
  { name: 'ratio', type: 'number', description: 'ratio', default: 0.5, min: 0, max: 0.95 },
  { name: 'scheme', type: 'enum', description: 'scheme', default: 'sym', options: ['sym', 'asym'] },
  { name: 'search', type: 'boolean', description: 'search', default: false },
  { name: 'include', type: 'string[]', description: 'globs', default: [] },
  { name: 'name', type: 'string', description: 'a name' },
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('parseParams', () => {
  it('applies defaults for everything not given', () => {
    expect(parseParams(specs, {}, 'int4')).toEqual({ bits: 4, ratio: 0.5, scheme: 'sym', search: false, include: [], name: undefined });
  });

  it('coerces strings from flags into typed values', () => {
    const p = parseParams(specs, { bits: '3', ratio: '0.25', scheme: 'asym', search: 'true', include: 'a.*, b.*', name: 'x' }, 'int4');
    expect(p).toEqual({ bits: 3, ratio: 0.25, scheme: 'asym', search: true, include: ['a.*', 'b.*'], name: 'x' });
  });

  it('keeps arrays given as arrays, and does not share the default array', () => {
    const a = parseParams(specs, {}, 'x');
    (a.include as string[]).push('mutated');
    expect(parseParams(specs, {}, 'x').include).toEqual([]);
    expect(parseParams(specs, { include: ['p', 'q'] }, 'x').include).toEqual(['p', 'q']);
  });

  it.each([
    [{ bits: '9' }, /--bits must be between 2 and 8 \(got 9\)/],
    [{ bits: '2.5' }, /--bits must be an integer/],
    [{ bits: 'four' }, /--bits must be a number/],
    [{ ratio: '0.96' }, /--ratio must be between 0 and 0.95/],
    [{ scheme: 'zig' }, /--scheme must be one of sym, asym/],
    [{ search: 'maybe' }, /--search must be true or false/],
    [{ nope: '1' }, /unknown parameter --nope/],
  ])('rejects %j as a user error naming the flag', (raw, message) => {
    expect(() => parseParams(specs, raw, 'int4')).toThrow(message);
    expect(codeOf(() => parseParams(specs, raw, 'int4'))).toBe('E_BAD_PARAM');
  });

  it('accepts the bounds themselves (inclusive)', () => {
    expect(parseParams(specs, { bits: 2, ratio: 0 }, 'x')).toMatchObject({ bits: 2, ratio: 0 });
    expect(parseParams(specs, { bits: 8, ratio: 0.95 }, 'x')).toMatchObject({ bits: 8, ratio: 0.95 });
  });
});

describe('validateParamSpecs', () => {
  it('rejects bad names, reserved names, duplicates, empty enums and defaults out of range', () => {
    expect(() => validateParamSpecs([{ name: 'BlockSize', type: 'integer', description: '' }], 'p')).toThrow(/kebab-case/);
    expect(() => validateParamSpecs([{ name: 'out', type: 'string', description: '' }], 'p')).toThrow(/reserved/);
    expect(() => validateParamSpecs([{ name: 'a', type: 'string', description: '' }, { name: 'a', type: 'string', description: '' }], 'p')).toThrow(/twice/);
    expect(() => validateParamSpecs([{ name: 'e', type: 'enum', description: '' }], 'p')).toThrow(/needs options/);
    expect(() => validateParamSpecs([{ name: 'b', type: 'integer', description: '', default: 20, max: 8 }], 'p')).toThrow(/--b must be at most 8 \(got 20\)/);
    expect(() => validateParamSpecs(specs, 'p')).not.toThrow();
  });
});

describe('describeParam', () => {
  it('says type, range and default in one phrase', () => {
    expect(describeParam(specs[0])).toBe('integer, 2..8, default 4');
    expect(describeParam(specs[2])).toBe('one of sym|asym, default sym');
    expect(describeParam(specs[4])).toBe('string[], default (none)');
  });
});
