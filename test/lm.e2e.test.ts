/**
 * Language-model evaluation as a user runs it: the shared LM against the reference numbers of its
 * model card, bad input, and hf: references through a local hub.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeHub } from '@mc-kit/core/testing';
import { bigramModelDir, handNll, ids } from '../plugins/lm/src/metrics/bigram.fixture.js';
import { HAS_SHARED, SHARED, lines, runMc, tempDir, warnSkip } from './helpers/cli.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm');
const CORPUS = join(SHARED, 'data/stdlib-text/valid.jsonl');
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the shared-LM reference tests');

interface EvalJson {
  metric: { values: Record<string, { value: number }>; sums: Record<string, number>; details: Record<string, unknown> };
  dataset: { provider: string; size: number };
}

async function evalJson(args: string[], env?: Record<string, string>): Promise<EvalJson> {
  const run = await runMc(['eval', ...args, '--json', '--results', tempDir()], { env, timeoutMs: 600_000 });
  if (run.code !== 0) throw new Error(`mc eval failed (${run.code}): ${run.stderr}`);
  return JSON.parse(run.stdout) as EvalJson;
}

// Each reference test scores the whole corpus: about 60 s alone on two cores, twice that beside another jest
// worker (116 s of jest's 120 s on one run, past it on CI's). They get runMc's own ceiling instead; a hang
// still ends there.
const FULL_CORPUS_MS = 600_000;

describeShared('the shared LM against its model card (PyTorch, float64 reference)', () => {
  // Reference: models/tiny-stdlib-lm/README.md, computed with the PyTorch checkpoint and a pure-Python
  // tokenizer, independent of onnxruntime and @huggingface/tokenizers. Printed to 6 (BPC) and 4 (PPL)
  // decimals; the card expects float32 evaluators within about 1e-5 relative, hence the tolerances.
  it(
    'bpc, block 512 / stride 128: 2.237676 over 1,221 windows and 156,672 scored tokens',
    async () => {
      const r = await evalJson([
        LM,
        '--metric',
        'bpc',
        '--dataset',
        CORPUS,
        '--block-size',
        '512',
        '--stride',
        '128',
        '--batch-size',
        '4',
      ]);
      expect(r.metric.sums).toMatchObject({
        windows: 1221,
        scored_tokens: 156672,
        characters: 301617,
        tokens: 156774,
        records: 93,
      });
      expect(Math.abs(r.metric.values.bpc.value - 2.237676)).toBeLessThan(2.3e-5);
      expect(r.dataset).toMatchObject({ provider: 'jsonl', size: 93 });
    },
    FULL_CORPUS_MS,
  );

  it(
    'classic perplexity, seqlen 512: 19.6260 over 306 chunks',
    async () => {
      const r = await evalJson([
        LM,
        '--metric',
        'perplexity',
        '--dataset',
        CORPUS,
        '--seqlen',
        '512',
        '--batch-size',
        '4',
      ]);
      expect(r.metric.sums.windows).toBe(306);
      expect(r.metric.sums.scored_tokens).toBe(306 * 511);
      expect(Math.abs(r.metric.values.perplexity.value - 19.626)).toBeLessThan(2e-4);
      expect(r.metric.details.mode).toBe('classic');
    },
    FULL_CORPUS_MS,
  );
});

describe('language-model bad input: one line, exit 2', () => {
  const bigram = bigramModelDir({ context: 32 });
  const dir = tempDir();
  const jsonl = (name: string, rows: object[]) => {
    const p = join(dir, name);
    writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
    return p;
  };
  const noTokenizer = join(dir, 'no-tokenizer');
  mkdirSync(noTokenizer);
  copyFileSync(join(bigram, 'model.onnx'), join(noTokenizer, 'model.onnx'));

  it.each([
    [
      'an empty dataset',
      () => [bigram, '--metric', 'bpc', '--dataset', jsonl('empty.jsonl', [])],
      /dataset .*empty\.jsonl is empty/,
    ],
    [
      'a corpus shorter than one window',
      () => [
        bigram,
        '--metric',
        'bpc',
        '--dataset',
        jsonl('short.jsonl', [{ content: 'abc' }]),
        '--block-size',
        '8',
        '--stride',
        '2',
      ],
      /3 tokens is shorter than one window \(9 tokens\)/,
    ],
    [
      'a bare .onnx file (no tokenizer beside it)',
      () => [
        join(noTokenizer, 'model.onnx'),
        '--metric',
        'bpc',
        '--dataset',
        jsonl('ok.jsonl', [{ content: 'abcabc' }]),
      ],
      /no tokenizer/,
    ],
    [
      'a model folder without tokenizer.json',
      () => [noTokenizer, '--metric', 'perplexity', '--dataset', jsonl('ok2.jsonl', [{ content: 'abcabc' }])],
      /no tokenizer\.json in/,
    ],
    [
      'a field name that does not exist',
      () => [bigram, '--metric', 'bpc', '--dataset', jsonl('fields.jsonl', [{ content: 'abcabc' }]), '--field', 'text'],
      /field 'text' not found .*records have: content/,
    ],
    [
      'a block larger than the model context',
      () => [bigram, '--metric', 'bpc', '--dataset', jsonl('ok3.jsonl', [{ content: 'abcabc' }])],
      /--block-size 1900 is larger than the model's context of 32 tokens.*hint: e\.g\. --block-size 32 --stride 8/,
    ],
  ])('%s', async (_name, args, message) => {
    const run = await runMc(['eval', ...(args as () => string[])(), '--results', join(dir, 'results')], { cwd: dir });
    expect(run.code).toBe(2);
    expect(lines(run.stderr).filter((l) => !l.startsWith('device:'))).toEqual([expect.stringMatching(message)]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  if (HAS_SHARED) {
    it('the shared LM with the default block (1900) is refused with the setting that fits', async () => {
      const run = await runMc(['eval', LM, '--metric', 'bpc', '--dataset', CORPUS, '--results', join(dir, 'r2')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /--block-size 1900 is larger than the model's context of 512 tokens \(config\.json\) \(hint: e\.g\. --block-size 512 --stride 128\)/,
      );
    });
  }
});

describe('compressing a language-model folder', () => {
  it('writes a model folder with the tokenizer and config beside it, ready for mc eval', async () => {
    const bigram = bigramModelDir({ context: 32 });
    const out = join(tempDir(), 'bigram-int8');
    const run = await runMc([
      'compress',
      bigram,
      '--method',
      'int8',
      '--min-size',
      '1',
      '--out',
      out,
      '--results',
      tempDir(),
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    const text = 'abcabccbaabcbcab';
    const corpus = join(tempDir(), 'c.jsonl');
    writeFileSync(corpus, `${JSON.stringify({ content: text })}\n`);
    const r = await evalJson([out, '--metric', 'bpc', '--dataset', corpus, '--block-size', '4', '--stride', '1']);
    // int8 moves the bigram log-probabilities a little: the BPC is near the dense one, not equal.
    const dense = handNll(ids(text)) / (text.length * Math.LN2);
    expect(Math.abs(r.metric.values.bpc.value - dense)).toBeLessThan(0.05);
    expect(r.metric.values.bpc.value).not.toBe(dense);
    const again = await runMc(['compress', bigram, '--method', 'int8', '--min-size', '1', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });
});

describe('hf: references through a local hub', () => {
  it('downloads a model and an llm-compression dataset once, and scores them by hand-known numbers', async () => {
    const bigram = bigramModelDir({ context: 32 });
    const files = Object.fromEntries(
      ['model.onnx', 'config.json', 'tokenizer.json', 'tokenizer_config.json'].map((f) => [
        f,
        readFileSync(join(bigram, f)),
      ]),
    );
    const texts = { python: 'abcabcab', cc: 'ccbaabca', arxiv_math: 'bacbacba' };
    const data = Object.fromEntries(
      Object.entries(texts).map(([k, v]) => [`${k}.jsonl`, `${JSON.stringify({ content: v })}\n`]),
    );
    const hub = await startFakeHub([
      { type: 'model', name: 'acme/bigram', commits: { ['1'.repeat(40)]: { refs: ['main'], files } } },
      {
        type: 'dataset',
        name: 'acme/llm-compression-mini',
        commits: { ['2'.repeat(40)]: { refs: ['main'], files: data } },
      },
    ]);
    try {
      const env = { MC_HUB_URL: hub.url, MC_CACHE_DIR: tempDir('mc-cache-') };
      const args = [
        'hf:acme/bigram',
        '--metric',
        'bpc',
        '--dataset',
        'hf:acme/llm-compression-mini',
        '--block-size',
        '4',
        '--stride',
        '1',
      ];
      const r = await evalJson(args, env);
      expect(r.dataset.provider).toBe('llm-compression');
      const expected = Object.fromEntries(
        Object.entries(texts).map(([k, v]) => [k, handNll(ids(v)) / (v.length * Math.LN2)]),
      );
      for (const k of Object.keys(texts)) expect(r.metric.values[k].value).toBeCloseTo(expected[k], 6);
      expect(r.metric.values.average.value).toBeCloseTo((expected.python + expected.cc + expected.arxiv_math) / 3, 6);
      const downloads = hub.requests.filter((q) => q.method === 'GET' && !q.url.includes('/api/') && !q.range).length;
      expect(downloads).toBeGreaterThanOrEqual(4); // model.onnx, config.json, tokenizer.json, tokenizer_config.json (+ data)
      await evalJson(args, env); // second run: from the cache, no file downloaded again
      expect(hub.requests.filter((q) => q.method === 'GET' && !q.url.includes('/api/') && !q.range).length).toBe(
        downloads,
      );
    } finally {
      await hub.close();
    }
  });
});
