import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkResultsDir,
  createInvocation,
  redactArgv,
  resultHeader,
  writeResult,
  type EvalResult,
} from './results.js';

function result(createdAt: string): EvalResult {
  return {
    ...resultHeader(),
    createdAt,
    kind: 'eval',
    versions: { mc: '0', node: process.version, plugins: {} },
    model: { path: 'm.onnx', sha256: 'ab'.repeat(32), bytes: 1 },
    metric: { metric: 'accuracy', metricVersion: 1, values: {}, sums: {}, samples: 0, params: {} },
    dataset: { ref: 'd', provider: 'p', kind: 'image-class', digest: 'x', size: 0 },
    seed: 0,
    timings: {},
  };
}

describe('result files', () => {
  it('24 results of the same model in the same millisecond are 24 files, each whole (issue 17)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mc-results-')), 'nested', 'results');
    const stamp = '2026-01-01T00:00:00.000Z';
    const paths = await Promise.all(
      Array.from({ length: 24 }, (_, i) => writeResult(dir, { ...result(stamp), seed: i })),
    );
    expect(new Set(paths).size).toBe(24);
    const files = readdirSync(dir);
    expect(files).toHaveLength(24);
    expect(files.every((f) => f.endsWith('.json'))).toBe(true); // no temp file left
    expect(new Set(files.map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as EvalResult).seed))).toEqual(
      new Set(Array.from({ length: 24 }, (_, i) => i)),
    );
  });

  it('--results is checked before any work, creating nothing: a file, a path under a file, /proc', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'mc-results-'));
    writeFileSync(join(parent, 'file'), 'x');
    await expect(checkResultsDir(join(parent, 'file'))).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
      message: expect.stringContaining('is not a folder'),
    });
    await expect(checkResultsDir(join(parent, 'file', 'sub'))).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
      message: expect.stringContaining('is not a folder'),
    });
    await expect(checkResultsDir('/proc/x')).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
      message: expect.stringContaining('/proc is not writable'),
    });
    await expect(checkResultsDir('')).rejects.toMatchObject({ code: 'E_BAD_PARAM' });
    await checkResultsDir(join(parent, 'new', 'deeper'));
    expect(readdirSync(parent)).toEqual(['file']);
  });

  it('writing into /proc fails in one line instead of looping forever', async () => {
    await expect(writeResult('/proc/x/y', result('2026-01-01T00:00:00.000Z'))).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
    });
  });
});

describe('provenance: the command line recorded in a result', () => {
  it('keeps what the user typed, in order, and redacts every secret (flag values, hf_ tokens, URL passwords)', () => {
    const argv = [
      'eval',
      'hf:org/model@main',
      '--metric',
      'bpc',
      '--token',
      'hf_abcdefghijklmnop',
      '--hf-token=xyz123',
      '--api-key',
      'k',
      '-d',
      'https://me:pw@host/data.jsonl',
      '--note',
      'use hf_ZZZZZZZZZZZZ here',
    ];
    expect(redactArgv(argv)).toEqual([
      'eval',
      'hf:org/model@main',
      '--metric',
      'bpc',
      '--token',
      '***',
      '--hf-token=***',
      '--api-key',
      '***',
      '-d',
      'https://***@host/data.jsonl',
      '--note',
      'use hf_*** here',
    ]);
    expect(argv[5]).toBe('hf_abcdefghijklmnop'); // the caller's array is not touched
  });

  it('redacts Redis queue URLs: user:password, the password-only form, = and space forms; a URL without one is kept', () => {
    expect(
      redactArgv([
        'sweep',
        '--queue',
        'redis://:s3cret@10.0.0.5:6379/2',
        '--queue=rediss://mc:p%40ss@redis.lan/0',
        'worker',
        '--queue',
        'redis://127.0.0.1:6379',
      ]),
    ).toEqual([
      'sweep',
      '--queue',
      'redis://***@10.0.0.5:6379/2',
      '--queue=rediss://***@redis.lan/0',
      'worker',
      '--queue',
      'redis://127.0.0.1:6379',
    ]);
  });

  it('a secret flag given last (no value) is kept as typed; each invocation gets its own run id', () => {
    expect(redactArgv(['compress', '--token'])).toEqual(['compress', '--token']);
    const a = createInvocation(['x']);
    const b = createInvocation(['x']);
    expect(a.run).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.run).not.toBe(b.run);
  });
});
