/**
 * eval's wiring of several metrics, --baseline and dataset-free metrics, through test metrics
 * registered in a Registry that run real tiny models (y = x * w) in onnxruntime on a real file.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NO_DATASET,
  type Dataset,
  type DatasetBase,
  type DatasetProvider,
  type LoadedModel,
  type Metric,
  type MetricInputs,
  type RunContext,
} from '../contracts.js';
import { createRunContext } from '../context.js';
import { datasetProvider, metric } from '../declarations.js';
import { openCheckpoint } from '../checkpoint.js';
import { sha256File } from '../digest.js';
import { ErrorCodes, UserError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import { Registry } from '../registry.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { evaluateModel, type EvalRequest } from './eval.js';

let dir: string;
let dense: string;
let doubled: string;
let vectors: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'mc-eval-'));
  [dense, doubled] = [join(dir, 'dense.onnx'), join(dir, 'doubled.onnx')];
  await scaleModel(1).build().save(dense);
  await scaleModel(2).build().save(doubled);
  vectors = join(dir, 'data.vec');
  await fs.writeFile(vectors, '1 2 3 4\n0 0 0 4\n'); // two rows of 4 numbers
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

function scaleModel(w: number): GraphBuilder {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  const weight = g.initializer('w', DataType.FLOAT, [4], new Float32Array(4).fill(w));
  g.output(g.node('Mul', [x, weight], {}, { outputs: ['y'] })[0], DataType.FLOAT, [1, 4]);
  return g;
}

/** mean of y over every row of the dataset (ones when there is none), through onnxruntime */
async function meanOutput(model: LoadedModel, rows: readonly Float32Array[], ctx: RunContext): Promise<number> {
  const session = await ctx.sessions.create(model.path);
  let sum = 0;
  for (const row of rows)
    for (const v of (await session.run({ x: { type: 'float32', data: row, dims: [1, 4] } })).y.data as Float32Array)
      sum += v;
  await session.release();
  return sum / (rows.length * 4);
}

/** A kind core does not know, added as a plugin adds one (declaration merging). */
interface VectorDataset extends DatasetBase {
  readonly kind: 'vector';
  readonly rows: readonly Float32Array[];
}

declare module '../contracts.js' {
  interface DatasetKinds {
    vector: VectorDataset;
  }
}

const rowsOf = (data: Dataset): readonly Float32Array[] =>
  data.kind === 'vector' ? data.rows : [new Float32Array(4).fill(1)];

const seen: { kinds: string[]; baselines: (string | undefined)[]; opens: number; computedRows: number } = {
  kinds: [],
  baselines: [],
  opens: 0,
  computedRows: 0,
};

/** a metric that checkpoints per row, as bpc does per batch: the running sum and the next row */
async function rowsWithCheckpoint(model: LoadedModel, data: Dataset, ctx: RunContext): Promise<number> {
  const cp = await openCheckpoint(ctx, 'rows');
  const last = cp.records.at(-1) as { next: number; sum: number } | undefined;
  let sum = last?.sum ?? 0;
  const rows = rowsOf(data);
  for (let i = last?.next ?? 0; i < rows.length; i++) {
    sum += await meanOutput(model, [rows[i]], ctx);
    seen.computedRows++;
    await cp.append({ next: i + 1, sum });
  }
  return sum;
}

function testMetric(
  id: string,
  extra: Partial<Metric> & {
    value?: (model: LoadedModel, data: Dataset, ctx: RunContext, inputs?: MetricInputs) => Promise<number>;
  } = {},
): Metric {
  return {
    id,
    summary: id,
    datasetKinds: ['vector'],
    params: [{ name: 'scale', type: 'number', description: 'multiplies the value', default: 1 }],
    async evaluate(model, data, params, ctx, inputs) {
      seen.kinds.push(`${id}:${data.kind}`);
      seen.baselines.push(inputs?.baseline?.sha256);
      const v =
        (await (extra.value ?? ((m, d, c) => meanOutput(m, rowsOf(d), c)))(model, data, ctx, inputs)) *
        (params.scale as number);
      return {
        metric: id,
        metricVersion: 1,
        values: { [id]: { value: v, higherIsBetter: false } },
        sums: {},
        samples: rowsOf(data).length,
      };
    },
    ...extra,
  };
}

const vectorProvider: DatasetProvider = {
  id: 'vectors',
  kind: 'vector',
  summary: 'rows of numbers',
  canOpen: async (ref) => !!ref.path?.endsWith('.vec'),
  async open(ref) {
    seen.opens++;
    const text = await fs.readFile(ref.path!, 'utf8');
    const rows = text
      .trim()
      .split('\n')
      .map((l) => Float32Array.from(l.split(' ').map(Number)));
    return { kind: 'vector', provider: 'vectors', ref: ref.ref, digest: 'd', size: rows.length, rows };
  },
};

/** a provider of another kind: its datasets must never reach the vector metrics */
const textProvider: DatasetProvider<'text'> = {
  id: 'lines',
  kind: 'text',
  summary: 'lines of text',
  canOpen: async (ref) => !!ref.path?.endsWith('.txt'),
  async open(ref) {
    seen.opens++;
    const records = (await fs.readFile(ref.path!, 'utf8')).split('\n');
    return {
      kind: 'text',
      provider: 'lines',
      ref: ref.ref,
      digest: 't',
      size: records.length,
      subsets: [{ name: 'x', records }],
      join: '\n',
    };
  },
};

function setup() {
  const registry = new Registry();
  const origin = { name: 'test-metrics', version: '1.0.0' };
  registry.add(
    origin,
    metric(() => testMetric('mean')),
  );
  registry.add(
    origin,
    metric(() => testMetric('other')),
  );
  registry.add(
    origin,
    metric(() =>
      testMetric('diff', {
        baseline: 'required',
        value: async (m, d, c, inputs) =>
          (await meanOutput(m, rowsOf(d), c)) - (await meanOutput(inputs!.baseline!, rowsOf(d), c)),
      }),
    ),
  );
  registry.add(
    origin,
    metric(() => testMetric('graph-only', { datasetKinds: ['image-class', 'none'] })),
  );
  registry.add(
    origin,
    metric(() => testMetric('rows', { value: rowsWithCheckpoint })),
  );
  registry.add(
    origin,
    metric(() =>
      testMetric('boom', { value: async () => Promise.reject(new UserError(ErrorCodes.BAD_PARAM, 'boom')) }),
    ),
  );
  registry.add(
    origin,
    datasetProvider(() => vectorProvider),
  );
  registry.add(
    origin,
    datasetProvider(() => textProvider),
  );
  const ctx = createRunContext({
    sessions: new OrtSessionFactory({ device: 'cpu' }),
    progressMode: 'silent',
    json: true,
  });
  return { registry, ctx };
}

const request = (over: Partial<EvalRequest>): EvalRequest => ({
  model: doubled,
  metrics: [{ id: 'mean', params: {} }],
  dataset: vectors,
  seed: 0,
  ...over,
});

beforeEach(() => Object.assign(seen, { kinds: [], baselines: [], opens: 0, computedRows: 0 }));

describe('eval with several metrics', () => {
  it('runs them in order on one opened dataset, one result each with the same run id and its own params', async () => {
    const { registry, ctx } = setup();
    const rs = await evaluateModel(
      registry,
      request({
        metrics: [
          { id: 'mean', params: {} },
          { id: 'other', params: { scale: 3 } },
        ],
      }),
      ctx,
    );
    expect(seen.opens).toBe(1);
    expect(rs.map((r) => r.metric.metric)).toEqual(['mean', 'other']);
    // rows (1,2,3,4) and (0,0,0,4) times w = 2: mean of the 8 outputs = 2 * 14 / 8 = 3.5
    expect(rs[0].metric.values.mean.value).toBe(3.5);
    expect(rs[1].metric.values.other.value).toBe(10.5);
    expect(rs[1].metric.params).toEqual({ scale: 3 });
    expect(rs[0].run).toMatch(/^[0-9a-f-]{36}$/);
    expect(rs[1].run).toBe(rs[0].run);
    expect(rs[0].baseline).toBeUndefined();
  });

  it('refuses the same metric twice, an unknown one with did-you-mean, before any file is read', async () => {
    const { registry, ctx } = setup();
    await expect(
      evaluateModel(
        registry,
        request({
          model: '/nonexistent',
          metrics: [
            { id: 'mean', params: {} },
            { id: 'mean', params: {} },
          ],
        }),
        ctx,
      ),
    ).rejects.toMatchObject({ exitCode: 2, message: '--metric mean is given twice' });
    await expect(
      evaluateModel(
        registry,
        request({
          model: '/nonexistent',
          metrics: [
            { id: 'mean', params: {} },
            { id: 'otehr', params: {} },
          ],
        }),
        ctx,
      ),
    ).rejects.toMatchObject({ exitCode: 2, message: 'unknown metric "otehr" (did you mean "other"?)' });
  });
});

describe('eval --baseline', () => {
  it('hands the loaded baseline to a metric that takes one, and records it', async () => {
    const { registry, ctx } = setup();
    const [r] = await evaluateModel(registry, request({ metrics: [{ id: 'diff', params: {} }], baseline: dense }), ctx);
    expect(r.metric.values.diff.value).toBe(3.5 - 1.75);
    expect(r.baseline).toMatchObject({
      ref: dense,
      path: dense,
      sha256: await sha256File(dense),
      bytes: (await fs.stat(dense)).size,
    });
    expect(seen.baselines).toEqual([await sha256File(dense)]);
  });

  it('refuses a metric that requires a baseline without one: exit 2 before the model is even looked for', async () => {
    const { registry, ctx } = setup();
    await expect(
      evaluateModel(registry, request({ model: '/nonexistent', metrics: [{ id: 'diff', params: {} }] }), ctx),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: 'metric diff compares against a reference model: --baseline is required',
    });
  });

  it('gives a metric that takes no baseline none; run on the baseline too when asked (a .delta gate), its values kept as baselineValues', async () => {
    const { registry, ctx } = setup();
    const warnings: string[] = [];
    const [plain] = await evaluateModel(registry, request({ baseline: dense }), {
      ...ctx,
      log: { ...ctx.log, warn: (m) => warnings.push(m) },
    });
    expect(seen.baselines).toEqual([undefined]);
    expect(plain.metric.baselineValues).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('metric mean takes no baseline')]);
    const [both] = await evaluateModel(registry, request({ baseline: dense, alsoOnBaseline: ['mean'] }), ctx);
    expect(both.metric.values.mean.value).toBe(3.5);
    expect(both.metric.baselineValues?.mean.value).toBe(1.75);
    expect(both.timings.baselineS).toBeGreaterThan(0);
  });

  it('a baseline that does not exist fails before any scoring', async () => {
    const { registry, ctx } = setup();
    await expect(evaluateModel(registry, request({ baseline: join(dir, 'missing.onnx') }), ctx)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('missing.onnx'),
    });
    expect(seen.kinds).toEqual([]);
  });
});

describe('a dataset of the wrong kind', () => {
  it('is refused with exit 2 before any metric runs, whether detected or forced with --dataset-type', async () => {
    const { registry, ctx } = setup();
    const text = join(dir, 'notes.txt');
    await fs.writeFile(text, 'not numbers\n');
    const refusal = {
      exitCode: 2,
      code: 'E_WRONG_DATASET_KIND',
      message: `dataset ${text} is of kind text, but metric mean scores vector`,
    };
    await expect(evaluateModel(registry, request({ dataset: text }), ctx)).rejects.toMatchObject(refusal);
    await expect(
      evaluateModel(registry, request({ dataset: vectors, datasetType: 'lines' }), ctx),
    ).rejects.toMatchObject({
      ...refusal,
      message: `dataset ${vectors} is of kind text, but metric mean scores vector`,
    });
    expect(seen.kinds).toEqual([]);
  });
});

describe('metrics that need no dataset', () => {
  it('run without --dataset on NO_DATASET; a dataset of another kind goes only to the metrics that score it', async () => {
    const { registry, ctx } = setup();
    const [alone] = await evaluateModel(
      registry,
      request({ dataset: undefined, metrics: [{ id: 'graph-only', params: {} }] }),
      ctx,
    );
    expect(alone.metric.values['graph-only'].value).toBe(2); // ones times 2
    expect(alone.dataset).toEqual({ ref: '', provider: 'none', kind: 'none', digest: NO_DATASET.digest, size: 0 });
    seen.kinds.length = 0;
    const rs = await evaluateModel(
      registry,
      request({
        metrics: [
          { id: 'graph-only', params: {} },
          { id: 'mean', params: {} },
        ],
      }),
      ctx,
    );
    expect(seen.kinds).toEqual(['graph-only:none', 'mean:vector']);
    expect(rs[1].dataset).toMatchObject({ provider: 'vectors', kind: 'vector', size: 2 });
  });

  it('a metric that needs data, without --dataset: exit 2 naming it', async () => {
    const { registry, ctx } = setup();
    await expect(
      evaluateModel(
        registry,
        request({
          dataset: undefined,
          metrics: [
            { id: 'graph-only', params: {} },
            { id: 'mean', params: {} },
          ],
        }),
        ctx,
      ),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: '--dataset is required by --metric mean',
    });
  });
});

describe('eval --resume', () => {
  it("keeps a finished metric's cache while a later one fails, so the next run resumes it; the cache goes once all are done", async () => {
    const { registry, ctx } = setup();
    const results = await fs.mkdtemp(join(dir, 'results-'));
    const [clean] = await evaluateModel(registry, request({ metrics: [{ id: 'rows', params: {} }] }), ctx);
    expect(seen.computedRows).toBe(2);
    await expect(fs.stat(join(results, '.cache'))).rejects.toMatchObject({ code: 'ENOENT' }); // nothing cached without --resume
    seen.computedRows = 0;
    await expect(
      evaluateModel(
        registry,
        request({
          metrics: [
            { id: 'rows', params: {} },
            { id: 'boom', params: {} },
          ],
          resume: results,
        }),
        ctx,
      ),
    ).rejects.toMatchObject({ message: 'boom' });
    expect(seen.computedRows).toBe(2);
    const caches = (await fs.readdir(join(results, '.cache'))).filter((f) => !f.startsWith('.'));
    expect(caches).toHaveLength(2); // rows (2 records) and boom (none), both unlocked
    seen.computedRows = 0;
    const [resumed] = await evaluateModel(
      registry,
      request({ metrics: [{ id: 'rows', params: {} }], resume: results }),
      ctx,
    );
    expect(seen.computedRows).toBe(0);
    expect(resumed.metric.values.rows.value).toBe(clean.metric.values.rows.value);
    expect((await fs.readdir(join(results, '.cache'))).filter((f) => !f.startsWith('.'))).toHaveLength(1); // boom's, not this run's
  });

  it('other params, another model, another --limit: another cache, nothing reused', async () => {
    const { registry, ctx } = setup();
    const results = await fs.mkdtemp(join(dir, 'results-'));
    await expect(
      evaluateModel(
        registry,
        request({
          metrics: [
            { id: 'rows', params: {} },
            { id: 'boom', params: {} },
          ],
          resume: results,
        }),
        ctx,
      ),
    ).rejects.toMatchObject({ message: 'boom' });
    for (const other of [
      { metrics: [{ id: 'rows', params: { scale: 2 } }] },
      { model: dense, metrics: [{ id: 'rows', params: {} }] },
      { limit: 5, metrics: [{ id: 'rows', params: {} }] },
    ]) {
      seen.computedRows = 0;
      await evaluateModel(registry, request({ ...other, resume: results }), ctx);
      expect(seen.computedRows).toBe(2);
    }
  });

  it('a model given as its own --baseline for a .delta gate: two caches, no lock against itself', async () => {
    const { registry, ctx } = setup();
    const results = await fs.mkdtemp(join(dir, 'results-'));
    const [r] = await evaluateModel(
      registry,
      request({ metrics: [{ id: 'rows', params: {} }], baseline: doubled, alsoOnBaseline: ['rows'], resume: results }),
      ctx,
    );
    expect(r.metric.baselineValues?.rows.value).toBe(r.metric.values.rows.value);
    expect(seen.computedRows).toBe(4);
  });
});
