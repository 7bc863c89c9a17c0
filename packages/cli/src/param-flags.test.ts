import { flagsForParams, flagValuesFromArgv, rawParamsFor } from './param-flags.js';

describe('flagValuesFromArgv', () => {
  it('reads --name X, --name=X and -c X, in order', () => {
    const argv = ['model.onnx', '--method', 'prune', '-m', 'int8', '--method=int4', '--out', 'x.onnx'];
    expect(flagValuesFromArgv(argv, 'method', 'm')).toEqual(['prune', 'int8', 'int4']);
    expect(flagValuesFromArgv(argv, 'metric')).toEqual([]);
    expect(flagValuesFromArgv(['--metric'], 'metric')).toEqual([]); // a flag with no value is oclif's to report
  });
});

describe('ParamSpec -> flags', () => {
  const specs = [
    { name: 'scheme', type: 'enum' as const, description: 'scheme', options: ['sym', 'asym'], default: 'sym' },
    { name: 'include', type: 'string[]' as const, description: 'globs', default: [] },
    { name: 'search', type: 'boolean' as const, description: 'search' },
  ];

  it('makes one flag per parameter, with the range and default in its help', () => {
    const flags = flagsForParams([{ owner: 'INT8 FLAGS', params: specs }]);
    expect(Object.keys(flags)).toEqual(['scheme', 'include', 'search']);
    expect(flags.scheme.description).toBe('scheme (one of sym|asym, default sym)');
    expect(flags.scheme.helpGroup).toBe('INT8 FLAGS');
    expect(flags.search.type).toBe('boolean');
  });

  it('passes only given values on, splitting comma lists', () => {
    expect(rawParamsFor(specs, { scheme: 'asym', include: ['a.*,b.*', 'c'], unrelated: 1 })).toEqual({
      scheme: 'asym',
      include: ['a.*', 'b.*', 'c'],
    });
    expect(rawParamsFor(specs, {})).toEqual({});
  });
});

describe('flags of chained methods', () => {
  const prune = [
    {
      name: 'granularity',
      type: 'enum' as const,
      description: 'prune granularity',
      options: ['auto', 'row'],
      default: 'auto',
    },
    { name: 'sparsity', type: 'number' as const, description: 'sparsity', default: 0.5 },
  ];
  const int8 = [
    {
      name: 'granularity',
      type: 'enum' as const,
      description: 'int8 granularity',
      options: ['channel', 'tensor'],
      default: 'channel',
    },
  ];
  const flags = flagsForParams([
    { owner: 'PRUNE FLAGS', params: prune, scope: 'prune' },
    { owner: 'INT8 FLAGS', params: int8, scope: 'int8' },
  ]);

  it('one shared flag per name, and one per method; the scoped ones are listed where the name is shared', () => {
    expect(Object.keys(flags).sort()).toEqual([
      'granularity',
      'int8.granularity',
      'prune.granularity',
      'prune.sparsity',
      'sparsity',
    ]);
    expect(flags.granularity.description).toMatch(
      /shared by prune, int8: --prune\.granularity sets it for prune alone/,
    );
    expect(flags['int8.granularity'].hidden).toBe(false);
    expect(flags['prune.sparsity'].hidden).toBe(true); // accepted, not listed: nobody else takes --sparsity
    expect(flags.sparsity.description).not.toMatch(/shared/);
  });

  it('a scoped value wins over the shared one for its method only', () => {
    const parsed = { granularity: 'row', 'int8.granularity': 'tensor' };
    expect(rawParamsFor(prune, parsed, 'prune')).toEqual({ granularity: 'row' });
    expect(rawParamsFor(int8, parsed, 'int8')).toEqual({ granularity: 'tensor' });
    expect(rawParamsFor(int8, { granularity: 'channel' }, 'int8')).toEqual({ granularity: 'channel' });
  });
});
