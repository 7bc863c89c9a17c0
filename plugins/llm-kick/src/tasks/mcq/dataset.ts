/**
 * Dataset provider `mmlu` (kind 'mcq'): Hendrycks' MMLU folder, as LLM-KICK commits it
 * (multiple_choice_qa/data/{dev,val,test}) or as the original tarball unpacks (data/{dev,test,...}):
 * `dev/<subject>_dev.csv` (the few-shot rows) and `test/<subject>_test.csv` (the questions).
 *
 * Subjects are the test files' names, sorted (the reference sorts them). --limit N keeps the first N
 * questions of every subject, so a quick run still covers all subjects.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCodes,
  sha256Files,
  UserError,
  type DatasetProvider,
  type DatasetRef,
  type RunContext,
} from '@mc-kit/core';
import { readMmluCsv } from './csv.js';
import type { McqDataset, McqSubject } from './types.js';

const PROVIDER_ID = 'mmlu';
const SPLIT = 'test';
const SHOTS_SPLIT = 'dev';

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function csvNames(dir: string, split: string): string[] {
  return isDir(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith(`_${split}.csv`))
        .sort()
    : [];
}

/** The folder holding the split folders: the ref itself, or its `data/` (the original tarball). */
export function mmluRoot(path: string): string | undefined {
  for (const root of [path, join(path, 'data')]) {
    if (csvNames(join(root, SPLIT), SPLIT).length > 0 || csvNames(join(root, SHOTS_SPLIT), SHOTS_SPLIT).length > 0)
      return root;
  }
  return undefined;
}

export class MmluDataset implements DatasetProvider<'mcq'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'mcq';
  readonly summary =
    'MMLU (Hendrycks) CSV folder: dev/<subject>_dev.csv few-shot rows, test/<subject>_test.csv questions (--limit: per subject)';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return ref.path !== undefined && isDir(ref.path) && mmluRoot(ref.path) !== undefined;
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<McqDataset> {
    if (ref.limit !== undefined && (!Number.isInteger(ref.limit) || ref.limit < 1))
      throw new UserError(ErrorCodes.BAD_PARAM, `--limit must be a positive integer (got ${ref.limit})`);
    if (!ref.path || !existsSync(ref.path))
      throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${ref.ref}`);
    const root = ref.path !== undefined && isDir(ref.path) ? mmluRoot(ref.path) : undefined;
    if (!root)
      throw new UserError(
        ErrorCodes.BAD_DATASET,
        `${ref.ref}: not an MMLU folder (no test/*_test.csv or dev/*_dev.csv)`,
        { hint: 'pass the folder that holds dev/ and test/' },
      );
    for (const split of [SPLIT, SHOTS_SPLIT]) {
      if (csvNames(join(root, split), split).length === 0) {
        throw new UserError(ErrorCodes.BAD_DATASET, `${ref.ref}: no ${split} split (${split}/<subject>_${split}.csv)`, {
          hint:
            split === SHOTS_SPLIT
              ? 'the dev split holds the 5 few-shot examples of every subject'
              : 'the test split holds the questions scored',
        });
      }
    }
    const files: { name: string; path: string }[] = [];
    const subjects: McqSubject[] = [];
    for (const testName of csvNames(join(root, SPLIT), SPLIT)) {
      const name = testName.slice(0, -`_${SPLIT}.csv`.length);
      const devName = `${name}_${SHOTS_SPLIT}.csv`;
      const devPath = join(root, SHOTS_SPLIT, devName);
      if (!existsSync(devPath))
        throw new UserError(ErrorCodes.BAD_DATASET, `${ref.ref}: subject ${name} has no ${SHOTS_SPLIT}/${devName}`, {
          hint: 'every subject needs its few-shot rows',
        });
      const testPath = join(root, SPLIT, testName);
      const questions = readMmluCsv(testPath, `${SPLIT}/${testName}`, `${name}/${SPLIT}`);
      const shots = readMmluCsv(devPath, `${SHOTS_SPLIT}/${devName}`, `${name}/${SHOTS_SPLIT}`);
      files.push(
        { name: `${SPLIT}/${testName}`, path: testPath },
        { name: `${SHOTS_SPLIT}/${devName}`, path: devPath },
      );
      subjects.push({ name, shots, questions: ref.limit === undefined ? questions : questions.slice(0, ref.limit) });
    }
    const size = subjects.reduce((n, s) => n + s.questions.length, 0);
    ctx.log.debug(`${ref.ref}: ${subjects.length} subjects, ${size} questions`);
    return {
      kind: 'mcq',
      provider: PROVIDER_ID,
      ref: ref.ref,
      digest: await sha256Files(files),
      size,
      subjects,
      split: SPLIT,
    };
  }
}
