/**
 * resolveHubRef against a local hub (fake-hub.ts) that answers the library's real routes: nothing
 * in @huggingface/hub is mocked, only its hubUrl points at 127.0.0.1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Progress, RunContext } from '../contracts.js';
import { createRunContext } from '../context.js';
import { resolveModelRef } from '../model-ref.js';
import { OrtSessionFactory } from '../session/factory.js';
import { resolveHubRef } from './download.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';

const MAIN = 'a'.repeat(40);
const V1 = 'b'.repeat(40);
const DATA = 'c'.repeat(40);
const onnxV2 = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) % 256); // every byte value, binary-safe
const onnxV1 = Uint8Array.from([8, 7, 18, 4, 116, 101, 115, 116]);
const modelMain = {
  'model.onnx': onnxV2,
  'model_fp16.onnx': new Uint8Array(500),
  'config.json': '{"model_type":"gpt2"}',
  'tokenizer.json': '{"model":{"type":"BPE"}}',
  'pytorch_model.bin': new Uint8Array(4000),
  'README.md': '# tiny',
};

let hub: FakeHub;
let cacheDir: string;
let ctx: RunContext;
let log: string;
const ENV_KEYS = ['HF_TOKEN', 'MC_HUB_URL', 'HF_ENDPOINT', 'MC_CACHE_DIR'];
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

function context(): RunContext {
  const stream = new PassThrough();
  stream.on('data', (d) => (log += String(d)));
  return createRunContext({
    sessions: new OrtSessionFactory({ device: 'cpu' }),
    progressMode: 'silent',
    stream: stream as unknown as NodeJS.WriteStream,
  });
}

/** A port nothing listens on: bind one, then let it go. */
async function closedPortUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((ok) => srv.close(() => ok()));
  return `http://127.0.0.1:${port}`;
}

const fileGets = () =>
  hub.requests.filter((r) => /\/resolve\/|\/cdn\//.test(r.url) && r.method === 'GET' && r.range === undefined);

beforeAll(async () => {
  hub = await startFakeHub([
    {
      type: 'model',
      name: 'acme/tiny-onnx',
      commits: {
        [MAIN]: { refs: ['main'], files: modelMain },
        [V1]: { refs: ['v1'], files: { 'model.onnx': onnxV1, 'config.json': '{}' } },
      },
    },
    {
      type: 'dataset',
      name: 'acme/tiny-set',
      commits: { [DATA]: { refs: ['main'], files: { 'data/valid.jsonl': '{"text":"hi"}\n', 'README.md': '# set' } } },
    },
  ]);
});
afterAll(() => hub.close());
beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'mc-hub-'));
  hub.requests.length = 0;
  log = '';
  ctx = context();
  for (const k of ENV_KEYS) delete process.env[k];
});
afterEach(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('resolveHubRef', () => {
  it('downloads the ONNX model, config and tokenizer into the HF cache layout, byte for byte', async () => {
    const r = await resolveHubRef('hf:acme/tiny-onnx', 'model', ctx, { hubUrl: hub.url, cacheDir });
    expect(r.commit).toBe(MAIN);
    expect(r.dir).toBe(join(cacheDir, 'models--acme--tiny-onnx', 'snapshots', MAIN));
    expect(r.files).toEqual(['config.json', 'model.onnx', 'tokenizer.json']);
    expect(new Uint8Array(readFileSync(join(r.dir, 'model.onnx')))).toEqual(onnxV2);
    expect(readFileSync(join(r.dir, 'tokenizer.json'), 'utf8')).toBe(modelMain['tokenizer.json']);
    expect(readFileSync(join(cacheDir, 'models--acme--tiny-onnx', 'refs', 'main'), 'utf8')).toBe(MAIN);
    expect((await resolveModelRef(r.dir)).path).toBe(join(r.dir, 'model.onnx'));
    const asked = hub.requests.map((q) => q.url).join('\n');
    expect(asked).not.toContain('pytorch_model.bin');
    expect(asked).not.toContain('model_fp16.onnx');
    expect(asked).not.toContain('README.md');
  });

  it('reports progress in bytes under "downloading owner/name"', async () => {
    const seen: { label: string; total?: number; ticked: number; done: boolean }[] = [];
    const progress: Progress = {
      start(label, total) {
        const t = { label, total, ticked: 0, done: false };
        seen.push(t);
        return {
          tick: (n = 1) => void (t.ticked += n),
          update: () => {},
          done: () => void (t.done = true),
          fail: () => {},
        };
      },
    };
    await resolveHubRef('hf:acme/tiny-onnx', 'model', { ...ctx, progress }, { hubUrl: hub.url, cacheDir });
    const total = onnxV2.length + modelMain['config.json'].length + modelMain['tokenizer.json'].length;
    expect(seen).toEqual([{ label: 'downloading acme/tiny-onnx', total, ticked: total, done: true }]);
  });

  it('does not fetch file content again for the same ref and commit', async () => {
    const first = await resolveHubRef('hf:acme/tiny-onnx', 'model', ctx, { hubUrl: hub.url, cacheDir });
    expect(fileGets().length).toBe(3);
    hub.requests.length = 0;
    const again = await resolveHubRef('hf:acme/tiny-onnx@main', 'model', ctx, { hubUrl: hub.url, cacheDir });
    expect(again).toEqual(first);
    expect(hub.requests.filter((q) => !q.url.startsWith('/api/'))).toEqual([]);
    expect(hub.requests.map((q) => q.url.split('?')[0])).toEqual([
      `/api/models/acme/tiny-onnx/revision/main`,
      `/api/models/acme/tiny-onnx/tree/${MAIN}`,
    ]);
  });

  it('resolves @rev to that revision', async () => {
    const r = await resolveHubRef('hf:acme/tiny-onnx@v1', 'model', ctx, { hubUrl: hub.url, cacheDir });
    expect(r.commit).toBe(V1);
    expect(new Uint8Array(readFileSync(join(r.dir, 'model.onnx')))).toEqual(onnxV1);
    const byCommit = await resolveHubRef(`hf:acme/tiny-onnx@${V1}`, 'model', ctx, { hubUrl: hub.url, cacheDir });
    expect(byCommit.dir).toBe(r.dir);
  });

  it('downloads a dataset repo under datasets--owner--name, found through MC_HUB_URL', async () => {
    process.env['MC_HUB_URL'] = hub.url;
    process.env['MC_CACHE_DIR'] = cacheDir;
    const r = await resolveHubRef('hf:acme/tiny-set', 'dataset', ctx);
    expect(r.dir).toBe(join(cacheDir, 'hub', 'datasets--acme--tiny-set', 'snapshots', DATA));
    expect(r.files).toEqual(['README.md', 'data/valid.jsonl']);
    expect(readFileSync(join(r.dir, 'data', 'valid.jsonl'), 'utf8')).toBe('{"text":"hi"}\n');
    expect(hub.requests.some((q) => q.url.startsWith('/datasets/acme/tiny-set/resolve/'))).toBe(true);
  });

  it('honours HF_ENDPOINT and sends HF_TOKEN as a bearer token', async () => {
    process.env['HF_ENDPOINT'] = hub.url;
    process.env['HF_TOKEN'] = 'hf_test123';
    await resolveHubRef('hf:acme/tiny-set', 'dataset', ctx, { cacheDir });
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.requests.every((q) => q.authorization === 'Bearer hf_test123')).toBe(true);
  });

  it('says a missing repo or revision is not found', async () => {
    await expect(resolveHubRef('hf:acme/nope', 'model', ctx, { hubUrl: hub.url, cacheDir })).rejects.toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      message: `hf:acme/nope not found on ${hub.url}`,
    });
    await expect(
      resolveHubRef('hf:acme/tiny-onnx@v9', 'model', ctx, { hubUrl: hub.url, cacheDir }),
    ).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    await expect(
      resolveHubRef('hf:acme/tiny-onnx', 'dataset', ctx, { hubUrl: hub.url, cacheDir }),
    ).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
  });

  it('fails clearly when the hub is unreachable and nothing is cached', async () => {
    const down = await closedPortUrl();
    await expect(resolveHubRef('hf:acme/tiny-onnx', 'model', ctx, { hubUrl: down, cacheDir })).rejects.toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      message: `cannot reach the model hub at ${down} to fetch hf:acme/tiny-onnx`,
      hint: expect.stringContaining('MC_HUB_URL'),
    });
  });

  it('uses a warm cache when the hub is unreachable, with one line saying so', async () => {
    const online = await resolveHubRef('hf:acme/tiny-onnx', 'model', ctx, { hubUrl: hub.url, cacheDir });
    const down = await closedPortUrl();
    log = '';
    const offline = await resolveHubRef('hf:acme/tiny-onnx', 'model', ctx, { hubUrl: down, cacheDir });
    expect(offline).toEqual(online);
    expect(log.trim().split('\n')).toEqual([
      `warning: cannot reach the model hub at ${down}; using the cached hf:acme/tiny-onnx (commit ${MAIN.slice(0, 12)})`,
    ]);
    await expect(resolveHubRef('hf:acme/tiny-onnx@v1', 'model', ctx, { hubUrl: down, cacheDir })).rejects.toMatchObject(
      { code: 'E_FILE_NOT_FOUND' },
    );
  });
});
