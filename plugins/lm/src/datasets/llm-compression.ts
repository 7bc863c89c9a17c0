/**
 * Dataset provider `llm-compression`: a folder laid out like hkust-nlp/llm-compression (Huang et al.
 * 2024; spec bpc-perplexity A.2): `python.jsonl`, `cc.jsonl` and `arxiv_math.jsonl`, each record's
 * text in field `content`. OpenCompass names the cc file `commoncraw.jsonl`; either name is read.
 *
 * Three subsets, always in the order python, cc, arxiv_math (the order of the paper's tables), so
 * results line up whatever order the folder lists. A folder with only some of the files is read
 * with a warning naming what is missing. Records are kept as stored, empty ones included (bpc drops
 * records with len(content) == 0 itself, as both reference loaders do).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetProvider, DatasetRef, RunContext, TextDataset, TextSubset } from '@mc-kit/core';
import { LLM_COMPRESSION_FILES, bad, checkLimit, localPath, owns, textDataset, type SourceFile } from './common.js';
import { DEFAULT_JSONL_FIELD, readJsonlField } from './jsonl.js';

const PROVIDER_ID = 'llm-compression';
const SUBSETS = Object.keys(LLM_COMPRESSION_FILES) as (keyof typeof LLM_COMPRESSION_FILES)[];
const LAYOUT_HINT =
  'an llm-compression folder holds python.jsonl, cc.jsonl (or commoncraw.jsonl) and arxiv_math.jsonl from hkust-nlp/llm-compression';

/** The file of one subset in `dir`, or undefined when none of its names is there. */
function subsetFile(dir: string, subset: keyof typeof LLM_COMPRESSION_FILES, where: string): string | undefined {
  const found = LLM_COMPRESSION_FILES[subset].filter((name) => {
    const p = join(dir, name);
    return existsSync(p) && statSync(p).isFile();
  });
  if (found.length > 1)
    bad(`${where}: both ${found.join(' and ')} are present for subset ${subset}`, 'keep one of them');
  return found[0];
}

export class LlmCompressionDataset implements DatasetProvider<'text'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'text';
  readonly summary = 'hkust-nlp/llm-compression folder (python, cc, arxiv_math .jsonl) for bits per character';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return owns(ref, PROVIDER_ID);
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<TextDataset> {
    checkLimit(ref.limit);
    const dir = localPath(ref, PROVIDER_ID);
    if (!statSync(dir).isDirectory()) bad(`${ref.ref}: ${PROVIDER_ID} reads a folder, not a file`, LAYOUT_HINT);
    const field = ref.field ?? DEFAULT_JSONL_FIELD;
    const files: SourceFile[] = [];
    const subsets: TextSubset[] = [];
    const missing: string[] = [];
    for (const subset of SUBSETS) {
      const name = subsetFile(dir, subset, ref.ref);
      if (name === undefined) {
        missing.push(LLM_COMPRESSION_FILES[subset].join(' or '));
        continue;
      }
      const path = join(dir, name);
      files.push({ name, path });
      subsets.push({ name: subset, records: await readJsonlField(path, field, join(ref.ref, name)) });
    }
    if (subsets.length === 0)
      bad(`${ref.ref}: none of the llm-compression files is there (missing ${missing.join(', ')})`, LAYOUT_HINT);
    if (missing.length > 0)
      ctx.log.warn(`${ref.ref}: reading ${subsets.map((s) => s.name).join(', ')} only; missing ${missing.join(', ')}`);
    ctx.log.debug(`${ref.ref}: ${subsets.map((s) => `${s.name} ${s.records.length}`).join(', ')} records`);
    return textDataset({ provider: PROVIDER_ID, ref, files, subsets, join: '\n\n' });
  }
}
