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
    expect(rawParamsFor(specs, { scheme: 'asym', include: ['a.*,b.*', 'c'], unrelated: 1 })).toEqual({ scheme: 'asym', include: ['a.*', 'b.*', 'c'] });
    expect(rawParamsFor(specs, {})).toEqual({});
  });
});
