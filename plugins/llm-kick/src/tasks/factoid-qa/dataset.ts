/**
 * Dataset provider `freebaseqa` (kind 'factoid-qa'): FreebaseQA in its original JSON
 * (kelvin-jiang/FreebaseQA, also committed in LLM-KICK factoid_qa/datasets/freebase/):
 * `{"Dataset", "Version", "Questions": [{"Question-ID", "RawQuestion", "Parses": [{"Answers": [{"AnswersName": [...]}]}]}]}`.
 *
 * The ref is a FreebaseQA-*.json file, or a folder holding FreebaseQA-train.json (the split the
 * reference scores). Questions in file order; --limit N keeps the first N (the reference's
 * --num_examples, default 1000). The reference reads the first parse's first answer's aliases only (quirk d).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  assertRegularFile,
  ErrorCodes,
  sha256Files,
  UserError,
  type DatasetBase,
  type DatasetProvider,
  type DatasetRef,
  type RunContext,
} from '@mc-kit/core';

export interface FactoidQuestion {
  /** Question-ID, e.g. FreebaseQA-train-0 */
  readonly id: string;
  /** RawQuestion */
  readonly question: string;
  /** Parses[0].Answers[0].AnswersName */
  readonly aliases: readonly string[];
}

export interface FactoidDataset extends DatasetBase {
  readonly kind: 'factoid-qa';
  /** every question of the file, in file order */
  readonly questions: readonly FactoidQuestion[];
  /** --limit: how many the run scores (the faithful mode scores one more, quirk b) */
  readonly limit?: number;
}

/** Adds the kind to mc's dataset contract: providers of 'factoid-qa' open a FactoidDataset, 'factoid-qa' metrics receive one. */
declare module '@mc-kit/core' {
  interface DatasetKinds {
    'factoid-qa': FactoidDataset;
  }
}

const SPLIT_FILE = 'FreebaseQA-train.json';

export function freebaseFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isFile()) return path;
  const inside = join(path, SPLIT_FILE);
  return existsSync(inside) ? inside : undefined;
}

/** The questions of one FreebaseQA JSON text; `name` is for messages. */
export function parseFreebase(text: string, name: string): FactoidQuestion[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(ErrorCodes.BAD_DATASET, `${name} is not JSON: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'pass a FreebaseQA-*.json file as released',
    });
  }
  const questions = (json as { Questions?: unknown })?.Questions;
  if (!Array.isArray(questions))
    throw new UserError(ErrorCodes.BAD_DATASET, `${name} has no "Questions" list: not FreebaseQA's format`, {
      hint: 'FreebaseQA files hold {"Dataset", "Version", "Questions": [...]}',
    });
  return questions.map((q: Record<string, unknown>, i: number) => {
    const id = typeof q?.['Question-ID'] === 'string' ? (q['Question-ID'] as string) : `${name}#${i}`;
    const raw = q?.RawQuestion;
    const aliases = (q?.Parses as { Answers?: { AnswersName?: unknown }[] }[] | undefined)?.[0]?.Answers?.[0]
      ?.AnswersName;
    if (typeof raw !== 'string' || !Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string')) {
      throw new UserError(
        ErrorCodes.BAD_DATASET,
        `${name}: question ${id} lacks RawQuestion or Parses[0].Answers[0].AnswersName`,
        { hint: 'the file must be FreebaseQA JSON as released' },
      );
    }
    return { id, question: raw, aliases: aliases as string[] };
  });
}

export class FreebaseQaDataset implements DatasetProvider<'factoid-qa'> {
  readonly id = 'freebaseqa';
  readonly kind = 'factoid-qa';
  readonly summary =
    'FreebaseQA JSON (FreebaseQA-train.json, or a folder holding it): questions + answer aliases, file order (--limit: first N)';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    const file = ref.path ? freebaseFile(ref.path) : undefined;
    return file !== undefined && /^FreebaseQA-.*\.json$/i.test(basename(file));
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<FactoidDataset> {
    if (ref.limit !== undefined && (!Number.isInteger(ref.limit) || ref.limit < 1))
      throw new UserError(ErrorCodes.BAD_PARAM, `--limit must be a positive integer (got ${ref.limit})`);
    if (!ref.path || !existsSync(ref.path))
      throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${ref.ref}`);
    const file = freebaseFile(ref.path);
    if (!file)
      throw new UserError(ErrorCodes.BAD_DATASET, `${ref.ref}: no train split (${SPLIT_FILE})`, {
        hint: 'the reference scores FreebaseQA-train.json; pass that file, or another FreebaseQA-*.json itself',
      });
    assertRegularFile(file, ref.ref, ErrorCodes.BAD_DATASET);
    const questions = parseFreebase(readFileSync(file, 'utf8'), basename(file));
    ctx.log.debug(`${ref.ref}: ${questions.length} FreebaseQA questions`);
    const size = Math.min(questions.length, ref.limit ?? Infinity);
    return {
      kind: 'factoid-qa',
      provider: this.id,
      ref: ref.ref,
      digest: await sha256Files([{ name: basename(file), path: file }]),
      size,
      questions,
      limit: ref.limit,
    };
  }
}
