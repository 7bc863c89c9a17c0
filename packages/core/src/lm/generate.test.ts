/**
 * Generation on toy decoders whose next token depends on the last token only (logits = TABLE[token]),
 * so every greedy continuation is known by hand: a -> b -> c -> a -> ... and d -> </s>.
 * Two exports: the bigram fixture (no cache: every step recomputes) and a toy "with-past" export
 * whose present.0.* grow by one position per step (the cache path, fed back step by step).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createRunContext } from '../context.js';
import { UserError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel } from '../onnx/model.js';
import { loadModelRef } from '../model-ref.js';
import { createRng } from '../rng.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { bigramModel, modelFolder } from './bigram.fixture.js';
import { loadGenerator } from './generate.js';
import type { TextGenerator } from './generate-types.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const dirs: string[] = [];
const generators: TextGenerator[] = [];
afterAll(async () => {
  await Promise.all(generators.map((g) => g.release()));
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

// a=0 b=1 c=2 d=3 </s>=4. Greedy: a->b, b->c, c->a, d->EOS, EOS->a.
const TABLE = [
  [0, 3, 1, 0, 0],
  [0, 0, 3, 1, 0],
  [3, 0, 0, 1, 0],
  [0, 0, 0, 0, 3],
  [3, 1, 0, 0, 0],
];

const special = (content: string, id: number) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});
const TOKENIZER = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [special('</s>', 4)],
  normalizer: null,
  pre_tokenizer: { type: 'WhitespaceSplit' },
  post_processor: null,
  decoder: null,
  model: { type: 'WordLevel', vocab: { a: 0, b: 1, c: 2, d: 3, '</s>': 4 }, unk_token: '</s>' },
};

/** A toy with-past export: logits = TABLE[input_ids]; present.0.key/value = past ++ input_ids along the sequence axis. */
function toyKvModel(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const table = g.initializer('table', DataType.FLOAT, [5, 5], Float32Array.from(TABLE.flat()));
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  g.input('attention_mask', DataType.INT64, ['batch', 'total']);
  g.input('position_ids', DataType.INT64, ['batch', 'sequence']);
  const axes = g.initializer('axes', DataType.INT64, [2], BigInt64Array.of(1n, 3n));
  const step = g.node('Cast', [g.node('Unsqueeze', [ids, axes])[0]], { to: DataType.FLOAT })[0];
  for (const kind of ['key', 'value']) {
    const past = g.input(`past_key_values.0.${kind}`, DataType.FLOAT, ['batch', 1, 'past', 1]);
    g.node('Concat', [past, step], { axis: 2 }, { outputs: [`present.0.${kind}`] });
    g.output(`present.0.${kind}`, DataType.FLOAT, ['batch', 1, 'total', 1]);
  }
  g.node('Gather', [table, ids], { axis: 0 }, { outputs: ['logits'] });
  g.output('logits', DataType.FLOAT, ['batch', 'sequence', 5]);
  return g.build();
}

async function generatorFor(
  model: OnnxModel,
  config: Record<string, unknown> = { n_positions: 16, n_head: 1, n_embd: 1 },
  noCache = false,
): Promise<TextGenerator> {
  const dir = await modelFolder(model, config);
  dirs.push(dir);
  await fs.writeFile(join(dir, 'tokenizer.json'), JSON.stringify(TOKENIZER));
  await fs.writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '</s>' }));
  const g = await loadGenerator(await loadModelRef(dir), ctx, { noCache });
  generators.push(g);
  return g;
}

const exports = [
  ['no cache (bigram, recomputed)', () => generatorFor(bigramModel({ table: TABLE, attentionMask: true }))],
  ['KV cache (toy with-past export)', () => generatorFor(toyKvModel())],
] as const;

describe.each(exports)('generate, %s', (_name, make) => {
  let g: TextGenerator;
  beforeAll(async () => {
    g = await make();
  });

  it('greedy: follows the table, stops at EOS (left out of ids and text) or at maxNewTokens', async () => {
    const out = await g.generate(['a', 'c b', 'd', 'b a c a b'], { maxNewTokens: 5 });
    expect(out.map((o) => o.ids)).toEqual([[1, 2, 0, 1, 2], [2, 0, 1, 2, 0], [], [2, 0, 1, 2, 0]]);
    expect(out.map((o) => o.finishReason)).toEqual(['length', 'length', 'eos', 'length']);
    expect(out[0].text).toBe('b c a b c');
    expect(out[2].text).toBe('');
    expect(out[1].promptIds).toEqual([2, 1]);
  });

  it('the same results one prompt at a time as in one padded batch', async () => {
    const prompts = ['a', 'c b', 'd', 'b a c a b', 'a a a a a a'];
    const batched = await g.generate(prompts, { maxNewTokens: 4 });
    const single = await g.generate(prompts, { maxNewTokens: 4, batchSize: 1 });
    expect(batched).toEqual(single);
  });

  it('stopOnEos false generates through the EOS', async () => {
    const [out] = await g.generate(['d'], { maxNewTokens: 3, stopOnEos: false });
    expect(out.ids).toEqual([4, 0, 1]);
    expect(out.finishReason).toBe('length');
  });

  it('stop strings end generation and are cut from the text, the token kept in ids', async () => {
    const [out] = await g.generate(['a'], { maxNewTokens: 8, stop: ['a b', 'zzz'] });
    // new tokens b c a b: decoded "b c a b" holds "a b" at 4
    expect(out.ids).toEqual([1, 2, 0, 1]);
    expect(out.text).toBe('b c ');
    expect(out.finishReason).toBe('stop');
  });

  it('stops at the context length: 16 positions leave 14 new tokens after a 2-token prompt', async () => {
    const [out] = await g.generate(['a b'], { maxNewTokens: 100 });
    expect(out.ids).toHaveLength(14);
    expect(out.finishReason).toBe('length');
  });

  it('seeded sampling is reproducible; a tiny temperature is greedy', async () => {
    const prompts = ['a', 'b', 'c a'];
    const first = await g.generate(prompts, { maxNewTokens: 6, temperature: 1, seed: 3 });
    const again = await g.generate(prompts, { maxNewTokens: 6, temperature: 1, seed: 3, batchSize: 1 });
    expect(again).toEqual(first);
    const other = await g.generate(prompts, { maxNewTokens: 6, temperature: 1, seed: 4 });
    expect(other.map((o) => o.ids)).not.toEqual(first.map((o) => o.ids));
    const cold = await g.generate(prompts, { maxNewTokens: 6, temperature: 1e-4, rng: createRng(9) });
    const greedy = await g.generate(prompts, { maxNewTokens: 6 });
    expect(cold.map((o) => o.ids)).toEqual(greedy.map((o) => o.ids));
  });

  it('resumes (done): whole recorded batches are not run again, the rest run as planned, sampled draws the same', async () => {
    // lengths 1 1 2 3 1, batches of 2 by length: [0 1] [4 2] [3]
    const prompts = ['a', 'b', 'c a', 'a b c', 'd'];
    const opts = { maxNewTokens: 6, temperature: 1, seed: 5, batchSize: 2 };
    const ran: number[][] = [];
    const clean = await g.generate(prompts, { ...opts, onBatch: async (r) => void ran.push(r.map((x) => x.index)) });
    expect(ran).toEqual([[0, 1], [4, 2], [3]]);
    // recorded as JSON: batch [0 1] whole, and prompt 4 of the unfinished [4 2]
    const done = new Map([0, 1, 4].map((i) => [i, JSON.parse(JSON.stringify(clean[i]))]));
    const rerun: number[][] = [];
    const resumed = await g.generate(prompts, {
      ...opts,
      done,
      onBatch: async (r) => void rerun.push(r.map((x) => x.index)),
    });
    expect(rerun).toEqual([[4, 2], [3]]);
    expect(resumed).toEqual(clean);
    // a record of other prompt tokens (here prompt 1's for prompt 0) is not taken: its batch runs again
    const wrong = new Map([
      [0, clean[1]],
      [1, clean[1]],
    ]);
    const again: number[][] = [];
    expect(
      await g.generate(prompts, { ...opts, done: wrong, onBatch: async (r) => void again.push(r.map((x) => x.index)) }),
    ).toEqual(clean);
    expect(again).toEqual([[0, 1], [4, 2], [3]]);
    await expect(g.generate(prompts, { ...opts, done, rng: createRng(1) })).rejects.toThrow(
      /shared rng cannot be resumed/,
    );
  });

  it("nextTokenLogits gives each prompt's row of the table", async () => {
    const rows = await g.nextTokenLogits(['a b', 'c', 'd a a c']);
    expect(rows.map((r) => [...r])).toEqual([TABLE[1], TABLE[2], TABLE[2]]);
  });

  it('refuses a prompt that fills the context, naming the item; onTooLong can skip it', async () => {
    const long = Array.from({ length: 16 }, () => 'a').join(' ');
    await expect(g.generate(['a', long], { maxNewTokens: 2, itemIds: ['q1', 'q2'] })).rejects.toThrow(
      /item q2: the prompt is 16 tokens/,
    );
    await expect(g.generate(['a', long], { maxNewTokens: 2 })).rejects.toBeInstanceOf(UserError);
    const out = await g.generate(['a', long], { maxNewTokens: 2, onTooLong: () => 'skip' });
    expect(out[1]).toMatchObject({ skipped: true, ids: [], finishReason: 'length' });
    expect(out[0].ids).toEqual([1, 2]);
  });
});

describe('loadGenerator', () => {
  it('uses the cache when the export has present outputs, and not with noCache', async () => {
    expect((await generatorFor(toyKvModel())).cached).toBe(true);
    expect((await generatorFor(toyKvModel(), undefined, true)).cached).toBe(false);
    expect((await generatorFor(bigramModel({ table: TABLE }))).cached).toBe(false);
  });

  it('counts tokens and reads the context length from config.json', async () => {
    const g = await generatorFor(bigramModel({ table: TABLE }), { n_positions: 7 });
    expect(g.contextLength).toBe(7);
    expect(g.countTokens('a b c')).toBe(3);
  });

  it('refuses a model without a logits output as not a causal LM', async () => {
    const b = new GraphBuilder({ opset: 17 });
    const ids = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    b.output(b.identity(ids), DataType.INT64, ['batch', 'sequence']);
    await expect(generatorFor(b.build())).rejects.toThrow(/not a causal LM/);
  });
});
