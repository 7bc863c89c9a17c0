import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompressResult, EvalResult } from '../results.js';
import { resultHeader } from '../results.js';
import { buildReport } from './join.js';
import { paretoFront } from './pareto.js';
import { readResultInputs } from './read.js';

const sha = (c: string) => c.repeat(64);
let clock = 0;
const at = () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)).toISOString();

function compress(
  from: string,
  to: string,
  bytes: number,
  fromBytes: number,
  steps: { method: string; params: Record<string, unknown>; bitsPerWeight?: number }[],
  parameters = 1000,
): CompressResult {
  return {
    ...resultHeader(),
    createdAt: at(),
    kind: 'compress',
    versions: { mc: '0', node: 'v20', plugins: {} },
    model: { path: `/m/${from}.onnx`, sha256: sha(from), bytes: fromBytes },
    output: { path: `/m/${to}/model.onnx`, sha256: sha(to), bytes },
    steps: steps.map((s) => ({
      method: s.method,
      params: s.params,
      bitsPerWeight: s.bitsPerWeight,
      tensors: [],
      bytesBefore: 0,
      bytesAfter: 0,
    })) as unknown as CompressResult['steps'],
    bitsPerWeight: steps.at(-1)?.bitsPerWeight,
    parameters,
    sizeRatio: fromBytes / bytes,
    drift: { measured: false, reason: 'test' } as CompressResult['drift'],
    seed: 0,
    timings: {},
  };
}

function evaluation(
  model: string,
  top1: number,
  options: { digest?: string; items?: number[]; stderr?: number } = {},
): EvalResult {
  return {
    ...resultHeader(),
    createdAt: at(),
    kind: 'eval',
    versions: { mc: '0', node: 'v20', plugins: {} },
    model: { path: `/m/${model}.onnx`, sha256: sha(model), bytes: 1 },
    metric: {
      metric: 'accuracy',
      metricVersion: 1,
      values: {
        top1: { value: top1, stderr: options.stderr, higherIsBetter: true },
        top5: { value: 1, higherIsBetter: true },
      },
      sums: {},
      samples: 4,
      params: { 'batch-size': 256 },
      ...(options.items ? { details: { items: options.items.map((score, i) => ({ id: `item${i}`, score })) } } : {}),
    },
    dataset: { ref: 'mnist', provider: 'mnist', kind: 'image-class', digest: options.digest ?? 'd1', size: 4 },
    seed: 0,
    timings: {},
  };
}

function folderWith(results: readonly object[], extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-report-'));
  results.forEach((r, i) => writeFileSync(join(dir, `r${String(i).padStart(2, '0')}.json`), JSON.stringify(r)));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('buildReport: joining compress and eval results by sha256', () => {
  it('follows a chain back to its dense source: steps, size against dense, file bits per dense parameter, deltas and figures', async () => {
    // a (dense, 4000 B, 1000 params) --prune--> b (3000 B) --int8--> c (1000 B)
    const dir = folderWith(
      [
        compress('a', 'b', 3000, 4000, [{ method: 'prune', params: { sparsity: 0.5 } }]),
        compress('b', 'c', 1000, 3000, [{ method: 'int8', params: { granularity: 'channel' }, bitsPerWeight: 8.25 }]),
        evaluation('a', 0.75, { stderr: 0.01 }),
        evaluation('a', 0.75, { stderr: 0.01 }), // the same eval again (every sweep evaluates its dense model): no note
        evaluation('c', 0.5),
      ],
      { 'summary.json': '{"rows": []}' },
    );
    const report = buildReport(await readResultInputs([dir]));
    expect(report.rows.map((r) => [r.label, r.series, r.dense])).toEqual([
      ['dense', 'dense', true],
      ['prune', 'prune', false],
      ['prune+int8', 'prune+int8', false],
    ]);
    const c = report.rows[2];
    expect(c.steps.map((s) => s.method)).toEqual(['prune', 'int8']);
    expect(c.source).toBe(sha('a'));
    expect(c.sizeRatio).toBe(4); // against the dense model, not against b (whose result says 3)
    expect(c.fileBitsPerParameter).toBe(8); // 8 x 1000 B / 1000 dense parameters
    expect(c.bitsPerWeight).toBe(8.25);
    expect(c.metrics.accuracy.values.top1.delta).toEqual({ value: -0.25 });
    expect(c.figures).toEqual({
      'size.bytes': 1000,
      'size.ratio': 4,
      'size.bitsPerWeight': 8.25,
      'size.fileBitsPerParameter': 8,
      'accuracy.top1': 0.5,
      'accuracy.top1.delta': -0.25,
      'accuracy.delta': -0.25,
      'accuracy.top5': 1,
      'accuracy.top5.delta': 0,
    });
    expect(report.rows[0].figures['size.fileBitsPerParameter']).toBe(32);
    expect(report.rows[0].metrics.accuracy.values.top1).toEqual({ value: 0.75, stderr: 0.01, higherIsBetter: true });
    expect(report.rows[1].metrics).toEqual({}); // b was never evaluated: a row with sizes only
    expect(report.metrics).toEqual([
      { id: 'accuracy', values: ['top1', 'top5'], higherIsBetter: { top1: true, top5: true } },
    ]);
    expect(report.notes).toEqual([]);
  });

  it('pairs per-item scores by id for a bootstrap interval of the primary delta; a constant difference gives a zero-width interval', async () => {
    const dir = folderWith([
      compress('a', 'b', 1000, 4000, [{ method: 'int8', params: {} }]),
      evaluation('a', 1, { items: [1, 1, 1, 1] }),
      evaluation('b', 0.5, { items: [0.5, 0.5, 0.5] }), // item3 unscored: left out of the pairs
    ]);
    const b = buildReport(await readResultInputs([dir]), { resamples: 50, level: 0.9 }).rows[1];
    expect(b.metrics.accuracy.values.top1.delta).toEqual({
      value: -0.5,
      low: -0.5,
      high: -0.5,
      level: 0.9,
      items: 3,
      resamples: 50,
    });
    expect(b.metrics.accuracy.values.top5.delta).toEqual({ value: 0 }); // not the primary value: no interval
  });

  it('reads per-sample scores kept in dataset order (details.itemScores, as accuracy writes them) the same way', async () => {
    const withScores = (e: EvalResult, scores: number[]): EvalResult => ({
      ...e,
      metric: { ...e.metric, details: { itemScores: scores } },
    });
    const dir = folderWith([
      compress('a', 'b', 1000, 4000, [{ method: 'int8', params: {} }]),
      withScores(evaluation('a', 0.75), [1, 1, 1, 0]),
      withScores(evaluation('b', 0.5), [0, 1, 1, 0]),
    ]);
    const b = buildReport(await readResultInputs([dir]), { resamples: 200 }).rows[1];
    const d = b.metrics.accuracy.values.top1.delta!;
    expect(d).toMatchObject({ value: -0.25, items: 4, resamples: 200, level: 0.95 });
    // diffs [-1, 0, 0, 0]: every resampled mean is -k/4, k = 0..4
    expect(
      [d.low! * 4, d.high! * 4].every((v) => Number.isInteger(Math.round(v * 1e9) / 1e9) && v <= 0 && v >= -4),
    ).toBe(true);
    expect(d.low!).toBeLessThanOrEqual(-0.25);
    expect(d.high!).toBe(0);
  });

  it('gives no delta between evals on different data, and says why', async () => {
    const dir = folderWith([
      compress('a', 'b', 1000, 4000, [{ method: 'int4', params: {} }]),
      evaluation('a', 0.9),
      evaluation('b', 0.8, { digest: 'other' }),
    ]);
    const report = buildReport(await readResultInputs([dir]));
    expect(report.rows[1].metrics.accuracy.values.top1.delta).toBeUndefined();
    expect(report.rows[1].figures['accuracy.delta']).toBeUndefined();
    expect(report.notes.join('\n')).toMatch(/other data or parameters than its dense model's/);
  });

  it('labels rows of one method by the parameters that differ between them; a model no compress result made is its own row', async () => {
    const dir = folderWith([
      compress('a', 'b', 3000, 4000, [{ method: 'prune', params: { sparsity: 0.25, pattern: 'none' } }]),
      compress('a', 'c', 2000, 4000, [{ method: 'prune', params: { sparsity: 0.5, pattern: 'none' } }]),
      evaluation('e', 0.3),
    ]);
    const report = buildReport(await readResultInputs([dir]));
    expect(report.rows.map((r) => r.label)).toEqual(['dense', 'prune sparsity=0.25', 'prune sparsity=0.5', 'e.onnx']);
    expect(report.rows[3].series).toBe('other');
  });
});

describe('readResultInputs: clear errors', () => {
  it('a folder without results, a broken result, a named file that is not a result, a missing path: one line each', async () => {
    await expect(readResultInputs([folderWith([], { 'notes.json': '{"a": 1}' })])).rejects.toMatchObject({
      code: 'E_NO_RESULTS',
      exitCode: 2,
    });
    const broken = folderWith([evaluation('a', 1)], { 'zz.json': '{"schema": "mc.res' });
    await expect(readResultInputs([broken])).rejects.toMatchObject({
      code: 'E_BAD_RESULT',
      message: expect.stringMatching(/zz\.json is not valid JSON/),
    });
    const other = join(folderWith([], { 'x.json': '[]' }), 'x.json');
    await expect(readResultInputs([other])).rejects.toMatchObject({
      code: 'E_BAD_RESULT',
      message: expect.stringMatching(/is not an mc result file/),
    });
    const cut = folderWith([{ schema: 'mc.result', kind: 'eval', model: { sha256: 'x' } }]);
    await expect(readResultInputs([cut])).rejects.toMatchObject({
      code: 'E_BAD_RESULT',
      message: expect.stringMatching(/without the fields mc report reads/),
    });
    await expect(readResultInputs(['/nonexistent/mc-results'])).rejects.toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      exitCode: 2,
    });
  });
});

describe('paretoFront', () => {
  it('keeps the points nothing smaller-and-better beats (hand-checked)', () => {
    // (size, accuracy): C is beaten by B (smaller and better); D ties A's quality at a larger size
    const pts = [
      { x: 1, y: 0.5 },
      { x: 2, y: 0.9 },
      { x: 3, y: 0.8 },
      { x: 4, y: 0.9 },
      { x: 5, y: 0.95 },
    ];
    expect(paretoFront(pts, true)).toEqual([true, true, false, false, true]);
    // lower is better (bpc): the same sizes with the y axis flipped
    expect(
      paretoFront(
        pts.map((p) => ({ x: p.x, y: -p.y })),
        false,
      ),
    ).toEqual([true, true, false, false, true]);
  });
});
