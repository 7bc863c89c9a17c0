/** oclif's real parse errors (its own parser, on real flag declarations) turned into one line each. */
import { Flags, Parser } from '@oclif/core';
import { explainParseError, type ParseErrorLike } from './parse-errors.js';

const FLAGS = {
  out: Flags.string({ char: 'o', description: 'Output: a .onnx file. Never the input.', required: true }),
  scheme: Flags.string({ description: 'sym or asym codes' }),
  'int8.scheme': Flags.string({ description: 'sym or asym codes, for int8 only', hidden: true }),
  kind: Flags.string({ description: 'Only this kind.', options: ['method', 'metric', 'dataset'] }),
  method: Flags.string({ description: 'Compression method id.', required: true }),
};

async function parseError(argv: string[]): Promise<ParseErrorLike> {
  try {
    await Parser.parse(argv, { flags: FLAGS, strict: true });
  } catch (e) {
    return e as ParseErrorLike;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('explainParseError', () => {
  it('suggests the closest flag for a misspelt one, scoped flags included', async () => {
    const err = await parseError(['--method', 'int8', '--out', 'x.onnx', '--sheme', 'asym']);
    expect(explainParseError(err, FLAGS)).toBe('unknown flag --sheme (did you mean --scheme?)');
    const scoped = await parseError(['--method', 'int8', '--out', 'x.onnx', '--int8.sheme=asym']);
    expect(explainParseError(scoped, FLAGS)).toBe('unknown flag --int8.sheme (did you mean --int8.scheme?)');
  });

  it('names an unknown flag without a guess when nothing is close', async () => {
    const err = await parseError(['--method', 'int8', '--out', 'x.onnx', '--temperature', '3']);
    expect(explainParseError(err, FLAGS)).toBe('unknown flag --temperature');
  });

  it('says a missing required flag in one line with what the flag is for', async () => {
    const err = await parseError(['--method', 'int8']);
    expect(err.message).toMatch(/The following error occurred/); // what oclif says
    expect(explainParseError(err, FLAGS)).toBe('missing --out: Output: a .onnx file. Never the input');
    const both = await parseError([]);
    expect(explainParseError(both, FLAGS)?.split('; ').sort()).toEqual([
      'missing --method: Compression method id',
      'missing --out: Output: a .onnx file. Never the input',
    ]);
  });

  it('says which flag wants a value', async () => {
    const err = await parseError(['--method', 'int8', '--out']);
    expect(explainParseError(err, FLAGS)).toBe('--out needs a value: Output: a .onnx file. Never the input');
  });

  it('offers the closest option of a flag with options', async () => {
    const err = await parseError(['--method', 'int8', '--out', 'x', '--kind', 'metrc']);
    expect(explainParseError(err, FLAGS)).toBe(
      '--kind metrc is not one of method, metric, dataset (did you mean --kind metric?)',
    );
  });

  it('leaves other errors to the caller', () => {
    expect(explainParseError({ message: 'Unexpected argument: extra\nSee more help with --help' }, FLAGS)).toBe(
      undefined,
    );
  });
});
