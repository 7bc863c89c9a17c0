import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPythonBlank, readLines, textProviderFor } from './common.js';
import { textDatasetFactories } from './index.js';
import { jsonl, put, refOf, tempDir } from './helpers.fixture.js';

describe('textProviderFor (who owns a path)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('gives each file to exactly one provider, by name', async () => {
    const cases: [string, string | undefined][] = [
      ['valid.jsonl', 'jsonl'],
      ['python.jsonl', 'jsonl'],
      ['notes.txt', 'text-file'],
      ['train.parquet', 'parquet'],
      ['wikitext-2-raw/wiki.test.raw', 'wikitext-2'],
      ['wiki.test.raw', 'wikitext-2'],
      ['wikitext-2-raw-v1/test-00000-of-00001.parquet', 'wikitext-2'],
      ['Salesforce--wikitext/any.parquet', 'wikitext-2'],
      ['wikitext-103-raw-v1/test-00000-of-00001.parquet', 'parquet'],
      ['wikitext-2-v1/test-00000-of-00001.parquet', 'parquet'],
      ['wiki.valid.raw', undefined],
      ['data.json', undefined],
      ['model.onnx', undefined],
    ];
    for (const [name, want] of cases) expect([name, await textProviderFor(put(dir, name, 'x'))]).toEqual([name, want]);
    expect(await textProviderFor(join(dir, 'missing.jsonl'))).toBeUndefined();
  });

  it('recognises folders by what they hold, the specific layouts first', async () => {
    const folder = (name: string, files: string[]): string => {
      const d = join(dir, name);
      mkdirSync(d, { recursive: true });
      for (const f of files) put(d, f, 'x');
      return d;
    };
    expect(await textProviderFor(folder('llmc', ['python.jsonl', 'cc.jsonl', 'arxiv_math.jsonl']))).toBe(
      'llm-compression',
    );
    expect(await textProviderFor(folder('oc', ['commoncraw.jsonl', 'notes.txt']))).toBe('llm-compression');
    expect(await textProviderFor(folder('wt', ['wiki.test.raw', 'wiki.train.raw', 'README.txt']))).toBe('wikitext-2');
    expect(
      await textProviderFor(
        folder('wikitext-2-raw-v1', ['test-00000-of-00001.parquet', 'train-00000-of-00001.parquet']),
      ),
    ).toBe('wikitext-2');
    expect(
      await textProviderFor(folder('wikitext', ['README.md', 'wikitext-2-raw-v1/test-00000-of-00001.parquet'])),
    ).toBe('wikitext-2');
    expect(await textProviderFor(folder('wikitext-103-raw-v1', ['test-00000-of-00001.parquet']))).toBeUndefined();
    expect(await textProviderFor(folder('docs', ['b.txt', 'a.txt']))).toBe('text-file');
    expect(await textProviderFor(folder('empty', []))).toBeUndefined();
    expect(
      await textProviderFor(folder('junk', ['a.jsonl', 'b.parquet', 'c.bin', 'python.jsonl/inner.txt'])),
    ).toBeUndefined();
  });

  it('every provider agrees: exactly one canOpen is true for a recognised path, none for the rest', async () => {
    const providers = textDatasetFactories.map((f) => f());
    expect(providers.map((p) => [p.id, p.kind])).toEqual([
      ['llm-compression', 'text'],
      ['wikitext-2', 'text'],
      ['jsonl', 'text'],
      ['parquet', 'text'],
      ['text-file', 'text'],
    ]);
    const paths = [
      put(dir, 'a.jsonl', jsonl([{ content: 'x' }])),
      put(dir, 'a.txt', 'x'),
      put(dir, 'a.parquet', 'x'),
      put(dir, 'w/wiki.test.raw', 'x'),
      put(dir, 'l/cc.jsonl', 'x'),
    ];
    for (const path of paths) {
      const yes = [];
      for (const p of providers) if (await p.canOpen(refOf(path))) yes.push(p.id);
      expect(yes).toHaveLength(1);
    }
    const none = [
      join(dir, 'nothing'),
      put(dir, 'x.bin', 'x'),
      put(dir, 'stuff/readme.md', 'x').replace(/readme\.md$/, ''),
    ];
    for (const path of none) for (const p of providers) expect(await p.canOpen(refOf(path))).toBe(false);
    for (const p of providers) expect(await p.canOpen({ ref: 'hf:owner/name' })).toBe(false);
  });
});

describe('readLines', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  async function lines(path: string): Promise<string[]> {
    const out: string[] = [];
    for await (const { line, text } of readLines(path, 'f')) {
      expect(line).toBe(out.length + 1);
      out.push(text);
    }
    return out;
  }

  it('splits on \\n only, keeps \\r and a last line without a line end', async () => {
    expect(await lines(put(dir, 'a', 'one\r\ntwo\n\nthree'))).toEqual(['one\r', 'two', '', 'three']);
    expect(await lines(put(dir, 'b', 'x\n'))).toEqual(['x']);
    expect(await lines(put(dir, 'c', ''))).toEqual([]);
  });

  it('decodes a character that straddles two read chunks', async () => {
    const long = 'a'.repeat((1 << 20) - 1) + 'é😀';
    expect(await lines(put(dir, 'big', `${long}\nz`))).toEqual([long, 'z']);
  });

  it('rejects bytes that are not UTF-8, naming the line', async () => {
    const path = put(dir, 'bad', Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x61, 0xff, 0x0a])]));
    await expect(lines(path)).rejects.toMatchObject({ code: 'E_BAD_DATASET', message: 'f:2: not valid UTF-8' });
  });
});

describe('isPythonBlank (str.isspace over the whole row, as row.strip() tests it)', () => {
  it('matches Python on the characters where JS trim() differs', () => {
    // python3 -c "print([c.isspace() for c in '\x1c\x1f\x85\u3000\ufeff\u200b'])" -> [True, True, True, True, False, False]
    expect(['\x1c', '\x1f', '\x85', '\u3000', '\ufeff', '\u200b'].map(isPythonBlank)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(isPythonBlank('')).toBe(true);
    expect(isPythonBlank(' \t\r\n')).toBe(true);
    expect(isPythonBlank(' = A = \n')).toBe(false);
  });

  it('holds for every code point', () => {
    // python3 -c "print([hex(c) for c in range(0x110000) if chr(c).isspace()])" (Python 3.11)
    const python = [
      0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
      0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
    ];
    const ours: number[] = [];
    for (let c = 0; c < 0x110000; c++)
      if (!(c >= 0xd800 && c < 0xe000) && isPythonBlank(String.fromCodePoint(c))) ours.push(c);
    expect(ours).toEqual(python);
  });
});
