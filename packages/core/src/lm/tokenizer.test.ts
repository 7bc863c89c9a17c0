import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer, tokenizerDigest } from './tokenizer.js';

/** The shared assets folder sits beside the repo (../shared from the repo root). */
const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const SHARED_LM = join(SHARED, 'models/tiny-stdlib-lm');
const VALID = join(SHARED, 'data/stdlib-text/valid.jsonl');
const sharedPresent = existsSync(join(SHARED_LM, 'tokenizer.json')) && existsSync(VALID);
if (!sharedPresent)
  console.warn(
    `shared tokenizer tests skipped: ${SHARED_LM} or ${VALID} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

/**
 * A LLaMA-style tokenizer.json, small enough to follow by hand: SentencePiece-like BPE ("▁" for a
 * space, prepended to the text), `<s>` = 1, `</s>` = 2, and ten merges that build ▁hello (15) and
 * ▁world (20). A <pad> added token sits past the model vocabulary at id 21.
 */
function llamaTokenizer(template: 'bos-eos' | 'none'): Record<string, unknown> {
  const pieces = [
    '<unk>',
    '<s>',
    '</s>',
    '▁',
    'h',
    'e',
    'l',
    'o',
    'w',
    'r',
    'd',
    '▁h',
    'll',
    'ell',
    '▁hell',
    '▁hello',
    '▁w',
    'or',
    '▁wor',
    'ld',
    '▁world',
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
  const tok = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<unk>', 0), special('<s>', 1), special('</s>', 2), special('<pad>', 21)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor:
      template === 'none'
        ? null
        : {
            type: 'TemplateProcessing',
            single: [tok('<s>'), { Sequence: { id: 'A', type_id: 0 } }, tok('</s>')],
            pair: [
              tok('<s>'),
              { Sequence: { id: 'A', type_id: 0 } },
              tok('</s>'),
              tok('<s>'),
              { Sequence: { id: 'B', type_id: 1 } },
              tok('</s>'),
            ],
            special_tokens: {
              '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] },
              '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
            },
          },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: false,
      vocab: Object.fromEntries(pieces.map((p, i) => [p, i])),
      merges: ['▁ h', 'l l', 'e ll', '▁h ell', '▁hell o', '▁ w', 'o r', '▁w or', 'l d', '▁wor ld'],
    },
  };
}

async function folder(
  tokenizer: Record<string, unknown> | undefined,
  config?: Record<string, unknown>,
): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'mc-tok-'));
  dirs.push(dir);
  if (tokenizer) await fs.writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  if (config) await fs.writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

describe('loadTokenizer: LLaMA-style template <s> $A </s>', () => {
  it('adds one BOS per call and never the EOS', async () => {
    const t = await loadTokenizer(await folder(llamaTokenizer('bos-eos'), { bos_token: '<s>', eos_token: '</s>' }));
    expect(t.encode('hello world')).toEqual([1, 15, 20]); // "▁hello▁world" -> ▁hello ▁world, after <s>; </s> left out
    expect(t).toMatchObject({ addsBos: true, bosId: 1, eosId: 2, prefixIds: [1], eosDropped: true, vocabSize: 22 });
    // spec C.2: two records tokenized separately and concatenated give [BOS, ...a, BOS, ...b]
    expect([...t.encode('hello'), ...t.encode('world')]).toEqual([1, 15, 1, 20]);
    expect(t.decode([15, 20])).toBe('hello world');
    expect(t.decode([])).toBe('');
  });

  it('lets an explicit add_bos_token: false win over the template (as transformers rebuilds it)', async () => {
    const t = await loadTokenizer(await folder(llamaTokenizer('bos-eos'), { add_bos_token: false, bos_token: '<s>' }));
    expect(t.encode('hello world')).toEqual([15, 20]);
    expect(t.addsBos).toBe(false);
    expect(t.bosId).toBe(1);
  });

  it('adds the config BOS when add_bos_token: true and the template adds none (slow-tokenizer rule)', async () => {
    const t = await loadTokenizer(
      await folder(llamaTokenizer('none'), { add_bos_token: true, bos_token: { content: '<s>' } }),
    );
    expect(t.encode('hello')).toEqual([1, 15]);
    expect(t.eosDropped).toBe(false);
  });

  it('adds nothing without a template or config', async () => {
    const t = await loadTokenizer(await folder(llamaTokenizer('none')));
    expect(t.encode('hello world')).toEqual([15, 20]);
    expect(t).toMatchObject({ addsBos: false, bosId: undefined, eosDropped: false });
  });
});

describe('loadTokenizer: files', () => {
  it('digest covers tokenizer.json and tokenizer_config.json', async () => {
    const dir = await folder(llamaTokenizer('bos-eos'), { add_bos_token: true });
    const before = (await loadTokenizer(dir)).digest;
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(before).toBe(await tokenizerDigest(dir));
    await fs.writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: false }));
    expect((await loadTokenizer(dir)).digest).not.toBe(before);
    await fs.rm(join(dir, 'tokenizer_config.json'));
    expect((await loadTokenizer(dir)).digest).not.toBe(before);
  });

  it('a folder without tokenizer.json is E_FILE_NOT_FOUND with a hint', async () => {
    const dir = await folder(undefined);
    await expect(loadTokenizer(dir)).rejects.toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      message: `no tokenizer.json in ${dir}`,
      hint: expect.stringContaining('laid out like a Hugging Face repo'),
    });
  });

  it('a tokenizer.json that is not JSON is E_BAD_MODEL', async () => {
    const dir = await folder(undefined);
    await fs.writeFile(join(dir, 'tokenizer.json'), '{ not json');
    await expect(loadTokenizer(dir)).rejects.toMatchObject({ code: 'E_BAD_MODEL' });
  });
});

(sharedPresent ? describe : describe.skip)('loadTokenizer: the shared GPT-2-style tokenizer', () => {
  it('adds nothing (no 4095), knows 4096 ids, and round-trips a record of the corpus', async () => {
    const t = await loadTokenizer(SHARED_LM);
    expect(t).toMatchObject({ addsBos: false, vocabSize: 4096, bosId: 4095, eosId: 4095, eosDropped: false });
    const hello = t.encode('hello');
    expect(hello.length).toBeGreaterThan(0);
    expect(hello).not.toContain(4095);
    expect(t.decode(hello)).toBe('hello');
    const record = (JSON.parse(readFileSync(VALID, 'utf8').split('\n')[0]) as { content: string }).content;
    const ids = t.encode(record);
    expect(ids).not.toContain(4095);
    expect(t.decode(ids)).toBe(record);
  });
});
