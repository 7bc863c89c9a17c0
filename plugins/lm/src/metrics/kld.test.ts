/**
 * --metric kld through KldMetric.evaluate (eval's --baseline arrives as inputs.baseline): exactly 0
 * with agreement 1 for a model against itself, the hand-computed values of a 2-token vocabulary, and
 * the same windows as bpc. On the shared LM: exactly 0 against itself, and the fused head equal to the
 * logits path for a pruned copy (skipped where ../shared is absent).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createCheckpointStore,
  createRunContext,
  DataType,
  loadModelRef,
  OnnxModel,
  OrtSessionFactory,
  parseParams,
  type TextDataset,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { BpcMetric } from './bpc.js';
import { KldMetric } from './kld.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const metric = new KldMetric();
const params = (raw: Record<string, unknown>) => parseParams(metric.params, raw, 'kld');
const text = (records: string[]): TextDataset => ({
  kind: 'text',
  provider: 'test',
  ref: 'memory',
  digest: 'x',
  size: records.length,
  subsets: [{ name: 'test', records }],
  join: '\n\n',
});

/**
 * A 2-token LM ('a' = 0, 'b' = 1; characters are tokens) with a float32 MatMul head: one-hot hidden
 * states, so after token i the logits are row i of W [d = 2, V = 2].
 */
function twoTokenDir(w: number[], tokenizer: Record<string, number> = { a: 0, b: 1 }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-kld-'));
  const g = new GraphBuilder({ opset: 17 });
  const hidden = g.gather(
    g.initializer('wte', DataType.FLOAT, [2, 2], Float32Array.of(1, 0, 0, 1)),
    g.input('input_ids', DataType.INT64, ['batch', 'sequence']),
  );
  g.output(
    g.node(
      'MatMul',
      [hidden, g.initializer('lm_head.weight', DataType.FLOAT, [2, 2], Float32Array.from(w))],
      {},
      { outputs: ['logits'] },
    )[0],
    DataType.FLOAT,
    ['batch', 'sequence', 2],
  );
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab: tokenizer,
        merges: [],
      },
    }),
  );
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: false, add_eos_token: false }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ vocab_size: 2, n_positions: 16 }));
  return dir;
}

const ln3 = Math.log(3);
/** dense: after 'a' p = (1/4, 3/4), after 'b' (1/2, 1/2); compressed: the two swapped */
const DENSE = [0, ln3, 0, 0];
const COMP = [0, 0, 0, ln3];
const P_DENSE = [
  [0.25, 0.75],
  [0.5, 0.5],
];
const P_COMP = [
  [0.5, 0.5],
  [0.25, 0.75],
];
const klRow = (p: number[], q: number[]) => p.reduce((s, pi, j) => s + pi * Math.log(pi / q[j]), 0);

describe('kld on a 2-token vocabulary', () => {
  const dense = twoTokenDir(DENSE);
  const comp = twoTokenDir(COMP);
  const record = 'abaabbbaabab'; // 12 tokens: with stride 1 every token after the first is scored once

  it('is exactly 0 with agreement 1 against itself (both paths)', async () => {
    for (const loss of ['fused', 'logits']) {
      const r = await metric.evaluate(
        await loadModelRef(dense),
        text([record]),
        params({ 'block-size': 4, stride: 1, loss }),
        ctx,
        { baseline: await loadModelRef(dense) },
      );
      expect(r.values.mean).toEqual({ value: 0, higherIsBetter: false }); // no spread, so no error (llama.cpp: 0)
      expect(r.values.max.value).toBe(0);
      expect(r.values.p99.value).toBe(0);
      expect(r.values.delta_p.value).toBe(0);
      expect(r.values.same_top).toEqual({ value: 1, stderr: 0, higherIsBetter: true });
      expect(r.values.ln_ppl_ratio.value).toBe(0);
      expect(r.details?.head).toBe(loss === 'fused' ? 'sliced' : 'logits');
    }
  });

  it("gives the hand-computed mean, p99, max, Δp and agreement (both paths), over bpc's windows", async () => {
    const ids = [...record].map((c) => (c === 'a' ? 0 : 1));
    const kls = ids.slice(1).map((_, t) => klRow(P_DENSE[ids[t]], P_COMP[ids[t]]));
    const dps = ids.slice(1).map((y, t) => P_COMP[ids[t]][y] - P_DENSE[ids[t]][y]);
    const n = kls.length;
    const mean = kls.reduce((a, b) => a + b, 0) / n;
    const meanDp = dps.reduce((a, b) => a + b, 0) / n;
    // llama.cpp: sqrt((Σx²/n − mean²)/(n − 1))
    const stderr = Math.sqrt((kls.reduce((a, b) => a + b * b, 0) / n - mean ** 2) / (n - 1));
    const bpc = await new BpcMetric().evaluate(
      await loadModelRef(comp),
      text([record]),
      params({ 'block-size': 4, stride: 1 }),
      ctx,
    );
    for (const loss of ['fused', 'logits']) {
      const r = await metric.evaluate(
        await loadModelRef(comp),
        text([record]),
        params({ 'block-size': 4, stride: 1, loss }),
        ctx,
        { baseline: await loadModelRef(dense) },
      );
      expect(r.sums.count).toBe(11);
      expect(r.sums.scored_tokens).toBe(bpc.sums.scored_tokens);
      expect(r.sums.windows).toBe(bpc.sums.windows);
      expect(r.values.mean.value).toBeCloseTo(mean, 7);
      expect(r.values.mean.stderr).toBeCloseTo(stderr, 7);
      expect(r.values.max.value).toBeCloseTo(klRow(P_DENSE[1], P_COMP[1]), 7); // 0.143841 (after 'b') > 0.130812 (after 'a')
      expect(r.values.p99.value).toBeCloseTo(klRow(P_DENSE[1], P_COMP[1]), 7); // both top values are the 'b' KL
      expect(r.values.delta_p.value).toBeCloseTo(meanDp, 7);
      expect(r.values.same_top.value).toBe(0); // every argmax differs (ties go to token 0)
      // the compressed model's own NLLs are bpc's
      expect(r.sums.sum_nll).toBeCloseTo(bpc.sums.total_nats, 5);
    }
  });

  it('stopped halfway and resumed from its checkpoint (eval --resume), equals an uninterrupted run bit for bit', async () => {
    const long = text(['abaabbbaababbbabaaabab', 'bbabaabababbba']);
    const p = params({ 'block-size': 4, stride: 1, 'batch-size': 2 });
    const [model, baseline] = [await loadModelRef(comp), await loadModelRef(dense)];
    const clean = await metric.evaluate(model, long, p, ctx, { baseline });
    expect(clean.sums.windows).toBeGreaterThan(20);
    const stop = new AbortController();
    let ticks = 0;
    const task = { tick: (n = 1) => void ((ticks += n) >= 12 && stop.abort()), update() {}, done() {}, fail() {} };
    const root = join(mkdtempSync(join(tmpdir(), 'mc-kld-resume-')), '.cache');
    const first = await createCheckpointStore(root, { key: 1 });
    await expect(
      metric.evaluate(
        model,
        long,
        p,
        { ...ctx, signal: stop.signal, progress: { start: () => task }, checkpoints: first },
        { baseline },
      ),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
    await first.close(false);
    const second = await createCheckpointStore(root, { key: 1 });
    const resumed = await metric.evaluate(model, long, p, { ...ctx, checkpoints: second }, { baseline });
    await second.close(false);
    expect(second.resumed()).toBeGreaterThan(0);
    expect(resumed.sums).toEqual(clean.sums);
    expect(resumed.values).toEqual(clean.values);
  });

  it('refuses to run without a baseline, or against a baseline with another tokenizer', async () => {
    await expect(metric.evaluate(await loadModelRef(comp), text([record]), params({}), ctx)).rejects.toMatchObject({
      code: 'E_BAD_PARAM',
      message: expect.stringMatching(/--baseline is missing/),
    });
    const other = twoTokenDir(DENSE, { b: 0, a: 1 });
    await expect(
      metric.evaluate(await loadModelRef(comp), text([record]), params({ 'block-size': 4, stride: 1 }), ctx, {
        baseline: await loadModelRef(other),
      }),
    ).rejects.toMatchObject({ code: 'E_BAD_PARAM', message: expect.stringMatching(/another tokenizer/) });
  });
});

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const VALID = join(SHARED, 'data/stdlib-text/valid.jsonl');
const present = existsSync(join(LM, 'model.onnx')) && existsSync(VALID);
if (!present)
  console.warn(
    `kld shared-LM tests skipped: ${LM} or ${VALID} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

(present ? describe : describe.skip)('kld on the shared tiny-stdlib-lm', () => {
  const records = (n = 2) =>
    readFileSync(VALID, 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(0, n)
      .map((l) => (JSON.parse(l) as { content: string }).content.slice(0, 3000));

  it('is exactly 0 with agreement 1 against itself', async () => {
    const r = await metric.evaluate(
      await loadModelRef(LM),
      text(records()),
      params({ 'block-size': 128, stride: 128 }),
      ctx,
      { baseline: await loadModelRef(LM) },
    );
    expect(r.sums.count).toBeGreaterThan(1000);
    expect(r.values.mean.value).toBe(0);
    expect(r.values.max.value).toBe(0);
    expect(r.values.same_top.value).toBe(1);
  });

  it("gives the logits path's figures through the fused head for a copy with its MLP weights perturbed", async () => {
    const model = await OnnxModel.load(join(LM, 'model.onnx'));
    for (const name of model.initializerNames().filter((n) => /mlp\.c_fc\.weight$/.test(n))) {
      const init = model.getInitializer(name)!;
      const w = init.readFloat32().map((x, i) => (i % 3 === 0 ? 0 : x)); // a third of the weights zeroed
      model.setInitializer(name, DataType.FLOAT, init.dims, w);
    }
    const dir = mkdtempSync(join(tmpdir(), 'mc-kld-lm-'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json'])
      writeFileSync(join(dir, f), readFileSync(join(LM, f)));
    await model.save(join(dir, 'model.onnx'));
    const run = async (loss: string) =>
      metric.evaluate(
        await loadModelRef(dir),
        text(records(1)),
        params({ 'block-size': 128, stride: 128, loss }),
        ctx,
        { baseline: await loadModelRef(LM) },
      );
    const [fused, logits] = [await run('fused'), await run('logits')];
    expect(fused.details?.head).toBe('sliced');
    expect(fused.values.mean.value).toBeGreaterThan(1e-3);
    // per token the two differ by float32 GEMM order only (~1e-6 on logits): the means agree to 1e-6 relative
    expect(Math.abs(fused.values.mean.value - logits.values.mean.value)).toBeLessThan(
      1e-6 * logits.values.mean.value + 1e-9,
    );
    expect(fused.values.same_top.value).toBe(logits.values.same_top.value);
    expect(fused.values.delta_p.value).toBeCloseTo(logits.values.delta_p.value, 6);
  });
});
