import { fileURLToPath } from 'node:url';
import { describeParam, parseParams, typedParams, validateParamSpecs, type ParamSpec } from './params.js';

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
    expect(parseParams(specs, {}, 'int4')).toEqual({
      bits: 4,
      ratio: 0.5,
      scheme: 'sym',
      search: false,
      include: [],
      name: undefined,
    });
  });

  it('coerces strings from flags into typed values', () => {
    const p = parseParams(
      specs,
      { bits: '3', ratio: '0.25', scheme: 'asym', search: 'true', include: 'a.*, b.*', name: 'x' },
      'int4',
    );
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
    expect(() => validateParamSpecs([{ name: 'BlockSize', type: 'integer', description: '' }], 'p')).toThrow(
      /kebab-case/,
    );
    expect(() => validateParamSpecs([{ name: 'out', type: 'string', description: '' }], 'p')).toThrow(/reserved/);
    expect(() =>
      validateParamSpecs(
        [
          { name: 'a', type: 'string', description: '' },
          { name: 'a', type: 'string', description: '' },
        ],
        'p',
      ),
    ).toThrow(/twice/);
    expect(() => validateParamSpecs([{ name: 'e', type: 'enum', description: '' }], 'p')).toThrow(/needs options/);
    expect(() =>
      validateParamSpecs([{ name: 'b', type: 'integer', description: '', default: 20, max: 8 }], 'p'),
    ).toThrow(/--b must be at most 8 \(got 20\)/);
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

describe('relations between parameters (issue 17: refuse conflicting or meaningless flags)', () => {
  const specs: ParamSpec[] = [
    { name: 'algo', type: 'enum', options: ['magnitude', 'channel'], default: 'magnitude', description: 'algorithm' },
    {
      name: 'sparsity',
      type: 'number',
      min: 0,
      max: 0.95,
      default: 0.5,
      description: 'fraction zeroed',
      onlyWith: { algo: ['magnitude'] },
      conflictsWith: ['pattern'],
    },
    {
      name: 'pattern',
      type: 'string',
      default: '',
      description: 'N:M',
      validate: (v) => (v === '' || /^\d+:\d+$/.test(String(v)) ? undefined : 'must be N:M'),
    },
    {
      name: 'ratio',
      type: 'number',
      min: 0,
      max: 1,
      default: 0.25,
      description: 'channels removed',
      onlyWith: { algo: ['channel'] },
    },
    { name: 'block', type: 'integer', min: 2, default: 1900, description: 'window' },
    {
      name: 'stride',
      type: 'integer',
      min: 1,
      default: 512,
      description: 'step',
      atMost: { param: 'block', why: 'tokens between windows would go unscored' },
    },
  ];

  it('refuses a flag that another flag (or its default) makes meaningless, naming both', () => {
    expect(() => parseParams(specs, { ratio: '0.3' }, 'prune')).toThrow(
      'prune: --ratio applies only with --algo channel, and --algo magnitude (the default) is in effect',
    );
    expect(parseParams(specs, { algo: 'channel', ratio: '0.3' }, 'prune').ratio).toBe(0.3);
    expect(() => parseParams(specs, { algo: 'channel', sparsity: '0.3' }, 'prune')).toThrow(
      '--sparsity applies only with --algo magnitude, and --algo channel is in effect',
    );
  });

  it('refuses two flags that cannot be given together; one alone is fine', () => {
    expect(() => parseParams(specs, { sparsity: '0.3', pattern: '2:4' }, 'prune')).toThrow(
      'prune: --sparsity and --pattern cannot be given together',
    );
    expect(parseParams(specs, { pattern: '2:4' }, 'prune')).toMatchObject({ pattern: '2:4', sparsity: 0.5 });
  });

  it('compares a bound with the other value, defaults included', () => {
    expect(() => parseParams(specs, { block: '64', stride: '128' }, 'bpc')).toThrow(
      'bpc: --stride 128 must be at most --block 64: tokens between windows would go unscored',
    );
    expect(() => parseParams(specs, { block: '64' }, 'bpc')).toThrow(
      '--stride 512 (the default) must be at most --block 64',
    );
    expect(parseParams(specs, { block: '64', stride: '64' }, 'bpc').stride).toBe(64);
  });

  it('runs a value check beyond type and range', () => {
    expect(() => parseParams(specs, { pattern: '2-4' }, 'prune')).toThrow('prune: --pattern 2-4: must be N:M');
  });

  it('says so in the help, and a relation to an unknown parameter is a plugin bug', () => {
    expect(describeParam(specs[1])).toBe(
      'number, 0..0.95, default 0.5, only with --algo magnitude, not with --pattern',
    );
    expect(describeParam(specs[5])).toBe('integer, 1..∞, default 512, at most --block');
    expect(() =>
      validateParamSpecs([{ name: 'a', type: 'number', description: 'x', conflictsWith: ['nope'] }], 'p'),
    ).toThrow('p: parameter a refers to nope');
    expect(() => validateParamSpecs(specs, 'p')).not.toThrow();
  });
});

describe('typedParams', () => {
  const SPEC = [
    { name: 'bits', type: 'integer', min: 2, max: 8, default: 4, description: 'bits' },
    { name: 'algo', type: 'enum', options: ['magnitude', 'wanda'], default: 'magnitude', description: 'algo' },
    { name: 'target', type: 'number', description: 'no default' },
    { name: 'include', type: 'string[]', default: ['a'], description: 'globs' },
    { name: 'names', type: 'string[]', description: 'no default' },
  ] as const satisfies readonly ParamSpec[];
  const read = typedParams(SPEC);

  it('returns the parsed params themselves, defaults applied once by parseParams', () => {
    const parsed = parseParams(SPEC, { algo: 'wanda' }, 'prune');
    const p = read(parsed);
    expect(p).toBe(parsed);
    expect(p).toEqual({ bits: 4, algo: 'wanda', target: undefined, include: ['a'], names: [] });
  });

  it('throws BugError (exit 1) on params that did not come from parseParams', () => {
    expect(codeOf(() => read({}))).toBe('E_BUG');
    expect(() => read({ bits: '4', algo: 'wanda', include: [], names: [] })).toThrow(/--bits is "4"/);
    expect(() => read({ bits: 4, algo: 'channel', include: [], names: [] })).toThrow(/--algo is "channel"/);
    expect(() => read({ bits: 4, algo: 'wanda', include: [] })).toThrow(/--names is undefined/);
    expect(read({ bits: 4, algo: 'wanda', include: [], names: [], target: 0.5 }).target).toBe(0.5);
  });

  it('types the view from the spec (params.types.fixture.ts compiles, every @ts-expect-error still an error)', async () => {
    const ts = (await import('typescript')).default;
    const file = fileURLToPath(new URL('./params.types.fixture.ts', import.meta.url));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: [],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.endsWith('params.types.fixture.ts') || d.file === undefined)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 60_000);
});
