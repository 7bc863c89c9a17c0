/**
 * Every user mistake the foundation issue lists, driven through bin/mc as a subprocess: one line on
 * stderr, exit code 2, no stack trace (it appears with --verbose), and no output file left behind.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES, expectOneLineRefusal, filesIn, lines, runMc, tempDir } from './helpers/cli.js';

const MODEL = join(EXAMPLES, 'mnist-cnn', 'model.onnx');
const DATA = join(EXAMPLES, 'mnist-test');
const STACK = /\n\s+at /;

interface Case {
  name: string;
  /** args; OUT is replaced by an output path in a fresh folder */
  args: (dir: string) => string[];
  message: RegExp;
  setup?: (dir: string) => void;
}

const cases: Case[] = [
  {
    name: 'missing model file',
    args: (d) => ['compress', join(d, 'nope.onnx'), '--method', 'int8', '--out', join(d, 'out.onnx')],
    message: /model not found: .*nope\.onnx/,
  },
  {
    name: 'folder with no model',
    setup: (d) => mkdirSync(join(d, 'empty')),
    args: (d) => ['compress', join(d, 'empty'), '--method', 'int8', '--out', join(d, 'out.onnx')],
    message: /no ONNX model in folder/,
  },
  {
    name: 'non-ONNX bytes',
    setup: (d) => writeFileSync(join(d, 'notes.onnx'), 'these are not the weights you are looking for\n'.repeat(20)),
    args: (d) => ['compress', join(d, 'notes.onnx'), '--method', 'int8', '--out', join(d, 'out.onnx')],
    message: /not an ONNX model/i,
  },
  {
    name: 'truncated ONNX file',
    setup: (d) => {
      const bytes = readFileSync(MODEL);
      writeFileSync(join(d, 'cut.onnx'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    },
    args: (d) => ['compress', join(d, 'cut.onnx'), '--method', 'int8', '--out', join(d, 'out.onnx')],
    message: /truncated/i,
  },
  {
    name: 'unknown method, with a did-you-mean',
    args: (d) => ['compress', MODEL, '--method', 'itn8', '--out', join(d, 'out.onnx')],
    message: /unknown method "itn8" \(did you mean "int8"\?\)/,
  },
  {
    name: 'unknown metric',
    args: () => ['eval', MODEL, '--metric', 'acuracy', '--dataset', DATA],
    message: /unknown metric "acuracy" \(did you mean "accuracy"\?\)/,
  },
  {
    name: '--out equal to the input',
    setup: (d) => copyFileSync(MODEL, join(d, 'model.onnx')),
    args: (d) => ['compress', join(d, 'model.onnx'), '--method', 'int8', '--out', join(d, 'model.onnx')],
    message: /is the input model/,
  },
  {
    name: 'out-of-range parameter',
    args: (d) => ['compress', MODEL, '--method', 'int8', '--min-size', '0', '--out', join(d, 'out.onnx')],
    message: /--min-size must be at least 1 \(got 0\)/,
  },
  {
    name: 'output folder that does not exist',
    args: (d) => ['compress', MODEL, '--method', 'int8', '--out', join(d, 'no', 'such', 'out.onnx')],
    message: /does not exist/,
  },
  {
    name: 'output folder that is a file',
    setup: (d) => writeFileSync(join(d, 'plain-file'), 'x'),
    args: (d) => ['compress', MODEL, '--method', 'int8', '--out', join(d, 'plain-file', 'out.onnx')],
    message: /cannot write/,
  },
  {
    name: 'dataset that does not exist',
    args: (d) => ['eval', MODEL, '--metric', 'accuracy', '--dataset', join(d, 'nothing-here')],
    message: /dataset not found/,
  },
  {
    name: 'dataset no provider recognises',
    setup: (d) => writeFileSync(join(d, 'data.bin'), 'x'),
    args: (d) => ['eval', MODEL, '--metric', 'accuracy', '--dataset', join(d, 'data.bin')],
    message: /no dataset provider recognises/,
  },
];

describe('bad input: one line, exit 2, no stack, nothing written', () => {
  it.each(cases.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const dir = tempDir();
    c.setup?.(dir);
    const before = filesIn(dir);
    const run = await runMc(c.args(dir), { cwd: dir });
    // no output model, no temp file, no results folder: the folder is as it was
    expectOneLineRefusal(run, c.message, dir, before);
  });

  it('shows the stack with --verbose', async () => {
    const dir = tempDir();
    const run = await runMc(
      ['compress', join(dir, 'nope.onnx'), '--method', 'int8', '--out', join(dir, 'o.onnx'), '--verbose'],
      { cwd: dir },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/model not found/);
    expect(run.stderr).toMatch(STACK);
  });

  it('gives a JSON error object on stdout with --json', async () => {
    const dir = tempDir();
    const run = await runMc(['compress', MODEL, '--method', 'itn8', '--out', join(dir, 'o.onnx'), '--json'], {
      cwd: dir,
    });
    expect(run.code).toBe(2);
    const body = JSON.parse(run.stdout) as { error: { code: string; message: string; hint: string; exitCode: number } };
    expect(body.error).toMatchObject({ code: 'E_UNKNOWN_ID', exitCode: 2 });
    expect(body.error.message).toContain('did you mean "int8"');
    expect(body.error.hint).toContain('int8');
  });

  it('never modifies the input model', async () => {
    const dir = tempDir();
    const input = join(dir, 'model.onnx');
    copyFileSync(MODEL, input);
    const before = readFileSync(input);
    await runMc(['compress', input, '--method', 'int8', '--out', input], { cwd: dir });
    await runMc(['compress', input, '--method', 'int8', '--out', join(dir, 'ok.onnx'), '--results', join(dir, 'r')], {
      cwd: dir,
    });
    expect(readFileSync(input).equals(before)).toBe(true);
  });
});

describe('unwritable output places are refused before any work', () => {
  it.each([['/proc/mc-test-out.onnx'], ['/sys/mc-test-out.onnx']])('%s', async (out) => {
    const run = await runMc(['compress', MODEL, '--method', 'int8', '--out', out]);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^Error: cannot write --out .* is not writable/)]);
  });
});
