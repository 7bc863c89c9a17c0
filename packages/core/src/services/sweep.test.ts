/**
 * The sweep service on a real tiny model (y = x * w, w = 1.5) run in onnxruntime: a test method
 * scales w by its --factor, a test metric scores the mean of y on ones (so a point's score is
 * 1.5 * factor and its delta against the dense model 1.5 * (factor - 1), by hand). Checks the local
 * loop and the split a queue uses (plan, dense, one point at a time in any order, summary) give the
 * same rows, in sweep order with the dense row first, and that a bad point stops it before any work.
 */
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compressor, Metric, RunContext } from '../contracts.js';
import { createRunContext } from '../context.js';
import { compressor, metric } from '../declarations.js';
import { ErrorCodes } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { Params } from '../params.js';
import type { Report } from '../report/types.js';
import { Registry } from '../registry.js';
import { writeResult } from '../results.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { listRegistry } from './list.js';
import {
  evaluateSweepDense,
  planSweep,
  runSweep,
  runSweepPoint,
  summarizeSweep,
  withDenseBaseline,
  type SweepPointOutcome,
  type SweepRequest,
} from './sweep.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'mc-sweep-'));
  model = join(dir, 'dense.onnx');
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  const w = g.initializer('w', DataType.FLOAT, [4], new Float32Array(4).fill(1.5));
  g.output(g.node('Mul', [x, w], {}, { outputs: ['y'] })[0], DataType.FLOAT, [1, 4]);
  await fs.writeFile(model, g.toBytes());
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** scales w by --factor; declares --factor as what a sweep walks (or `sweepParam` as given) */
function scaleMethod(id: string, sweepParam?: Compressor['sweepParam']): Compressor {
  return {
    id,
    summary: 'scales w',
    params: [
      { name: 'factor', type: 'number', min: 0, max: 100, default: 1, description: 'multiplies w' },
      { name: 'mode', type: 'enum', options: ['a', 'b'], default: 'a', description: 'unused' },
    ],
    ...(sweepParam !== undefined ? { sweepParam } : {}),
    async compress(m, params) {
      const w = m.getInitializer('w')!;
      const factor = params.factor as number;
      m.setInitializer(
        'w',
        DataType.FLOAT,
        [4],
        w.readFloat32().map((v) => v * factor),
      );
      return { method: id, params, tensors: [], notes: [] };
    },
  };
}

/** the mean of y on an input of ones, computed by onnxruntime; needs no dataset */
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

function setup(): { registry: Registry; ctx: RunContext } {
  const registry = new Registry();
  const origin = { name: 'test-sweep', version: '0.0.0' };
  registry.add(
    origin,
    compressor(() => scaleMethod('scale', 'factor')),
  );
  registry.add(
    origin,
    compressor(() => scaleMethod('plain')),
  );
  registry.add(
    origin,
    compressor(() => scaleMethod('chooser', (p: Params) => (p.mode === 'b' ? 'factor' : 'mode'))),
  );
  registry.add(
    origin,
    metric(() => meanY),
  );
  const ctx = createRunContext({
    sessions: new OrtSessionFactory({ device: 'cpu' }),
    progressMode: 'silent',
    json: true,
  });
  return { registry, ctx };
}

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

/** records what the CLI's renderers would be given */
function recordingWriter() {
  const calls: { report: Report; dir: string; title: string }[] = [];
  return {
    calls,
    write: async (report: Report, out: string, title: string) => {
      calls.push({ report, dir: out, title });
      return [];
    },
  };
}

describe('runSweep', () => {
  it('evaluates the dense model once, then every point against it; the dense row first, then the points in sweep order', async () => {
    const { registry, ctx } = setup();
    const writer = recordingWriter();
    const req = request('local', { gates: ['mean-y.delta<=2'] });
    const { rows, report } = await runSweep(registry, req, ctx, writer.write);

    expect(rows.map((r) => r.point)).toEqual(['factor=2', 'factor=10']);
    expect(rows.map((r) => r.output)).toEqual([join(req.out, '01-factor-2'), join(req.out, '02-factor-10')]);
    // y = 1.5 * factor on ones; the delta is against the dense 1.5
    expect(rows.map((r) => r.metric.mean)).toEqual([3, 15]);
    expect(rows.map((r) => r.figures['mean-y.delta'])).toEqual([1.5, 13.5]);
    expect(rows.map((r) => r.gates?.map((g) => g.passed))).toEqual([[true], [false]]);
    expect(rows[1].gates?.[0].where).toBe('point factor=10');

    // mc.params records "factor":10, one byte more than "factor":2: by size alone factor=10 would come first
    expect(rows[1].bytes).toBeGreaterThan(rows[0].bytes);
    expect(report.rows.map((r) => r.label)).toEqual(['dense', 'scale factor=2', 'scale factor=10']);
    expect(report.rows[0].figures['mean-y.mean']).toBe(1.5);

    expect(writer.calls).toHaveLength(1);
    expect(writer.calls[0].dir).toBe(req.out);
    expect(writer.calls[0].title).toBe(`mc sweep: ${model}`);
    expect(writer.calls[0].report).toBe(report);
    expect((await fs.readdir(req.results)).length).toBe(5); // the dense eval, then a compress and an eval per point
    expect((await fs.readdir(req.out)).sort()).toEqual(['01-factor-2', '02-factor-10']);
  });

  it('checks every point before any work: a bad one is named and nothing is written', async () => {
    const { registry, ctx } = setup();
    const writer = recordingWriter();
    const req = request('bad', { sweep: '2,200' });
    await expect(runSweep(registry, req, ctx, writer.write)).rejects.toMatchObject({
      code: ErrorCodes.BAD_PARAM,
      exitCode: 2,
      message: expect.stringMatching(/^sweep point factor=200: --method scale: --factor must be between 0 and 100/),
    });
    expect(existsSync(req.out)).toBe(false);
    expect(existsSync(req.results)).toBe(false);
    expect(writer.calls).toHaveLength(0);
    // a misspelt method in the chain is said once, with its suggestion, not as a fault of the first point
    const chain = request('bad', {
      methods: [
        { id: 'scale', params: {} },
        { id: 'plian', params: {} },
      ],
    });
    expect(() => planSweep(registry, chain)).toThrow(
      expect.objectContaining({ exitCode: 2, message: 'unknown method "plian" (did you mean "plain"?)' }),
    );
  });

  it('a bare list for a method that declares no sweep parameter asks for NAME=v1,v2; NAME= works', async () => {
    const { registry, ctx } = setup();
    const writer = recordingWriter();
    await expect(
      runSweep(registry, request('plain', { methods: [{ id: 'plain', params: {} }] }), ctx, writer.write),
    ).rejects.toMatchObject({
      code: ErrorCodes.BAD_PARAM,
      exitCode: 2,
      message: '--sweep 2,10: --method plain declares no parameter for a bare list of values',
      hint: "name the parameter: --sweep NAME=v1,v2 (plain's parameters: factor, mode)",
    });
    const named = planSweep(registry, request('plain', { methods: [{ id: 'plain', params: {} }], sweep: 'factor=3' }));
    expect(named.map((p) => p.methods)).toEqual([[{ id: 'plain', params: { factor: '3' } }]]);
  });

  it("a declaration made from the other parameters sees the user's values", () => {
    const { registry } = setup();
    const plan = (params: Record<string, unknown>, sweep: string) =>
      planSweep(registry, request('chooser', { methods: [{ id: 'chooser', params }], sweep })).map((p) => p.label);
    expect(plan({ mode: 'b' }, '2,3')).toEqual(['factor=2', 'factor=3']);
    expect(plan({}, 'a,b')).toEqual(['mode=a', 'mode=b']);
  });
});

describe('the sweep split into steps, as a queue runs it', () => {
  it('points run one at a time in any order, writing no result; the summary comes out as the local loop gives it', async () => {
    const { registry, ctx } = setup();
    const req = request('split');
    const plans = planSweep(registry, req);
    expect(plans.map(({ index, label, folder }) => ({ index, label, folder }))).toEqual([
      { index: 0, label: 'factor=2', folder: '01-factor-2' },
      { index: 1, label: 'factor=10', folder: '02-factor-10' },
    ]);
    expect(plans[1].methods).toEqual([{ id: 'scale', params: { factor: '10' } }]);
    // plain data: what a job carries survives JSON
    expect(JSON.parse(JSON.stringify({ req, plans }))).toEqual({ req, plans });

    await fs.mkdir(req.out, { recursive: true });
    const dense = await evaluateSweepDense(registry, req, ctx);
    expect(dense.metric.values.mean.value).toBe(1.5);
    const outcomes: SweepPointOutcome[] = [];
    for (const plan of [...plans].reverse()) {
      // a worker has no dense eval: the point comes back bare, and the collector sets it against the dense one
      const point = await runSweepPoint(registry, req, plan, ctx);
      expect(existsSync(req.results)).toBe(false); // the caller writes results, not the point
      expect(point.eval.baseline).toBeUndefined();
      const measured = withDenseBaseline(point.eval, dense);
      expect(measured.baseline).toEqual(dense.model);
      expect(measured.metric.baselineValues).toEqual(dense.metric.values);
      outcomes.push({ plan, compress: point.compress, eval: measured, paths: [] });
    }
    const written = await Promise.all(
      outcomes.map(async (o) => ({
        ...o,
        paths: [await writeResult(req.results, o.compress), await writeResult(req.results, o.eval)],
      })),
    );
    const writer = recordingWriter();
    const { rows, report } = await summarizeSweep(
      req,
      { result: dense, path: await writeResult(req.results, dense) },
      written,
      writer.write,
    );
    // finished and given in reverse: rows and report come out in sweep order
    expect(rows.map((r) => [r.point, r.metric.mean, r.figures['mean-y.delta']])).toEqual([
      ['factor=2', 3, 1.5],
      ['factor=10', 15, 13.5],
    ]);
    expect(report.rows.map((r) => r.label)).toEqual(['dense', 'scale factor=2', 'scale factor=10']);
    expect(writer.calls.map((c) => c.dir)).toEqual([req.out]);
  });
});

describe('mc list names the sweep parameter', () => {
  it('a name as declared; one chosen from the other parameters at their defaults, marked as varying', () => {
    const { registry } = setup();
    const methods = Object.fromEntries(
      listRegistry(registry)
        .items.filter((i) => i.kind === 'method')
        .map((i) => [i.id, { sweepParam: i.sweepParam, varies: i.sweepParamVaries }]),
    );
    expect(methods).toEqual({
      scale: { sweepParam: 'factor', varies: undefined },
      plain: { sweepParam: undefined, varies: undefined },
      chooser: { sweepParam: 'mode', varies: true },
    });
  });
});
