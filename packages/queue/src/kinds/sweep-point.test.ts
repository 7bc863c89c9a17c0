/**
 * The 'sweep-point' job kind on a real tiny model (y = x * w, w = 1.5) in onnxruntime: what the
 * worker accepts is exactly what planSweep accepts, and a retried job replaces the folder its own
 * dead attempt left, but never a folder someone else wrote.
 */
import { existsSync, mkdirSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compressor,
  createRunContext,
  DataType,
  isUserError,
  metric,
  OrtSessionFactory,
  Registry,
  type Compressor,
  type Metric,
  type SweepRequest,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { JOB_KINDS } from '../job-kinds.js';
import { sweepQueueName } from '../naming.js';
import { withAbsolutePaths } from '../coordinator.js';
import { sweepPointKind } from './sweep-point.js';

const dir = mkdtempSync(join(tmpdir(), 'mc-sweep-point-')); // now: the it.each tables below are built before beforeAll
const model = join(dir, 'dense.onnx');
beforeAll(async () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  const w = g.initializer('w', DataType.FLOAT, [4], new Float32Array(4).fill(1.5));
  g.output(g.node('Mul', [x, w], {}, { outputs: ['y'] })[0], DataType.FLOAT, [1, 4]);
  await fs.writeFile(model, g.toBytes());
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const scale: Compressor = {
  id: 'scale',
  summary: 'scales w by --factor',
  params: [{ name: 'factor', type: 'number', min: 0, max: 100, default: 1, description: 'multiplies w' }],
  sweepParam: 'factor',
  async compress(m, params) {
    const w = m.getInitializer('w')!;
    const factor = Number(params.factor);
    m.setInitializer(
      'w',
      DataType.FLOAT,
      [4],
      w.readFloat32().map((v) => v * factor),
    );
    return { method: 'scale', params, tensors: [], notes: [] };
  },
};

const meanY: Metric = {
  id: 'mean-y',
  summary: 'mean output on ones',
  datasetKinds: [],
  datasetRequired: false,
  params: [],
  async evaluate(m, _data, _params, ctx) {
    const session = await ctx.sessions.create(m.path);
    const y = (await session.run({ x: { type: 'float32', data: new Float32Array(4).fill(1), dims: [1, 4] } })).y
      .data as Float32Array;
    await session.release();
    return {
      metric: 'mean-y',
      metricVersion: 1,
      values: { mean: { value: y.reduce((a, b) => a + b, 0) / 4, higherIsBetter: false } },
      sums: {},
      samples: 1,
    };
  },
};

const registry = new Registry();
registry.add(
  { name: 'test', version: '0.0.0' },
  compressor(() => scale),
);
registry.add(
  { name: 'test', version: '0.0.0' },
  metric(() => meanY),
);
const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
});

const request = (name: string, more: Partial<SweepRequest> = {}): SweepRequest => ({
  model,
  methods: [{ id: 'scale', params: {} }],
  sweep: '2,10',
  metric: { id: 'mean-y', params: {} },
  seed: 0,
  probes: 0,
  out: join(dir, `${name}-out`),
  results: join(dir, `${name}-results`),
  ...more,
});

function refusal(name: string, data: unknown): { code: string; message: string } {
  try {
    JOB_KINDS.accept(name, data, registry);
  } catch (e) {
    if (isUserError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('accepted');
}

describe('the sweep-point kind accepts what mc sweep makes, and nothing else', () => {
  it('a job as the coordinator makes it (through JSON, with its invocation) is accepted', () => {
    const data = JSON.parse(
      JSON.stringify({ request: request('ok'), point: 1, invocation: { argv: ['sweep'], run: '0'.repeat(36) } }),
    ) as unknown;
    expect(JOB_KINDS.accept('sweep-point', data, registry).kind).toBe(sweepPointKind);
  });

  it.each([
    ['an unknown kind', 'exec', {}, 'E_BAD_JOB', /job kind "exec" is not one mc runs/],
    [
      'a field beside the request',
      'sweep-point',
      { request: request('x'), point: 0, plugin: 'p' },
      'E_BAD_JOB',
      /data has a field it does not take: "plugin"/,
    ],
    [
      'a field in a method',
      'sweep-point',
      { request: request('x', { methods: [{ id: 'scale', params: {}, code: 'x' } as never] }), point: 0 },
      'E_BAD_JOB',
      /data\.request\.methods\.0 has a field it does not take: "code"/,
    ],
    [
      'a parameter value that is code',
      'sweep-point',
      { request: request('x', { methods: [{ id: 'scale', params: { factor: { $fn: 'x' } as never } }] }), point: 0 },
      'E_BAD_JOB',
      /data\.request\.methods\.0\.params\.factor must be /,
    ],
    [
      'a point past the end',
      'sweep-point',
      { request: request('x'), point: 2 },
      'E_BAD_JOB',
      /point 2 of a 2-point sweep/,
    ],
    [
      'a point the planner refuses',
      'sweep-point',
      { request: request('x', { sweep: '2,1000' }), point: 0 },
      'E_BAD_PARAM',
      /^sweep point factor=1000: /,
    ],
    [
      'a method mc does not have',
      'sweep-point',
      { request: request('x', { methods: [{ id: 'rm-rf', params: {} }] }), point: 0 },
      'E_UNKNOWN_ID',
      /rm-rf/,
    ],
  ])('%s is refused before anything runs', (_what, name, data, code, message) => {
    const r = refusal(name, data);
    expect(r.code).toBe(code);
    expect(r.message).toMatch(message);
  });
});

describe('running a point', () => {
  const job = (name: string) => ({ request: request(name), point: 1 });

  it("compresses into the point's folder and returns both results; the worker writes no result file", async () => {
    const out = await sweepPointKind.run(job('run'), { registry, run: ctx, queue: 'q', jobId: 'point-1' });
    const { compress, eval: e } = out as {
      compress: { output: { path: string } };
      eval: { metric: { values: { mean: { value: number } } } };
    };
    expect(compress.output.path).toBe(join(dir, 'run-out', '02-factor-10', 'model.onnx'));
    expect(e.metric.values.mean.value).toBeCloseTo(15, 5); // 1.5 x 10, by hand
    expect(existsSync(join(dir, 'run-results'))).toBe(false);
    expect(existsSync(join(dir, 'run-out', '.02-factor-10.mc-job'))).toBe(false); // the mark goes once done
  });

  it("a retry replaces what its own dead attempt left (folder and lock); another's folder is refused", async () => {
    const out = join(dir, 'retry-out', '02-factor-10');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'model.onnx'), 'half written');
    writeFileSync(join(dir, 'retry-out', '.02-factor-10.mc-lock'), '{"pid":1,"host":"gone"}');
    writeFileSync(join(dir, 'retry-out', '.02-factor-10.mc-job'), 'q/point-1\n');
    await sweepPointKind.run(job('retry'), { registry, run: ctx, queue: 'q', jobId: 'point-1' });
    expect((await fs.stat(join(out, 'model.onnx'))).size).toBeGreaterThan(100);

    const theirs = join(dir, 'theirs-out', '02-factor-10');
    mkdirSync(theirs, { recursive: true });
    const e: unknown = await sweepPointKind
      .run(job('theirs'), { registry, run: ctx, queue: 'q', jobId: 'point-1' })
      .catch((x: unknown) => x);
    expect(isUserError(e) && e.code).toBe('E_TARGET_EXISTS');
    expect(existsSync(theirs)).toBe(true);
  });
});

describe('queue naming', () => {
  it('the same request gives the same queue whatever the field order; any change gives another', () => {
    const a = request('n');
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as SweepRequest;
    expect(sweepQueueName(reordered)).toBe(sweepQueueName(a));
    expect(sweepQueueName(a)).toMatch(/^mc-sweep-[0-9a-f]{12}$/);
    expect(sweepQueueName(request('n', { sweep: '2,11' }))).not.toBe(sweepQueueName(a));
  });

  it('paths a worker reads are made absolute; hf: references stay', () => {
    const r = withAbsolutePaths({
      ...request('p'),
      model: 'hf:org/m',
      dataset: 'data/x.jsonl',
      out: 'o',
      results: 'r',
    });
    expect(r.model).toBe('hf:org/m');
    expect(r.dataset).toBe(join(process.cwd(), 'data/x.jsonl'));
    expect([r.out, r.results]).toEqual([join(process.cwd(), 'o'), join(process.cwd(), 'r')]);
  });
});
