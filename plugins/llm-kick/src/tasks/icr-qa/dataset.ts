/**
 * Dataset provider `triviaqa-rc` (kind 'icr-qa'): TriviaQA's reading-comprehension release as the UW
 * tarball unpacks (triviaqa-rc.tar.gz): `qa/{web,wikipedia}-dev.json` ({"Data": [{"Question",
 * "QuestionId", "Answer": {"NormalizedAliases", ...}, "EntityPages": [{"Filename"}], "SearchResults":
 * [{"Filename"}]}]}) with the documents under `evidence/wikipedia/` and `evidence/web/`.
 *
 * The split is the validation one (HF trivia_qa "rc" validation = web-dev then wikipedia-dev, 9,951 +
 * 7,993 = 17,944 questions; the order is HF's as recalled, not re-checked). --limit N keeps the first
 * N. Evidence files are read only when an open-book run asks for them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ErrorCodes,
  isInside,
  regularFileInside,
  sha256Files,
  UserError,
  type DatasetBase,
  type DatasetProvider,
  type DatasetRef,
  type RunContext,
} from '@mc-kit/core';

export interface IcrQuestion {
  /** QuestionId, with the file it came from when the same id is in both (web + wikipedia) */
  readonly id: string;
  readonly question: string;
  /** Answer.NormalizedAliases (HF answer.normalized_aliases) */
  readonly aliases: readonly string[];
  /** evidence/wikipedia/<Filename> of EntityPages[0], when there is one */
  readonly wikiFile?: string;
  /** evidence/web/<Filename> of SearchResults[0], when there is one */
  readonly webFile?: string;
}

export interface IcrDataset extends DatasetBase {
  readonly kind: 'icr-qa';
  readonly root: string;
  readonly questions: readonly IcrQuestion[];
}

/** Adds the kind to mc's dataset contract: providers of 'icr-qa' open an IcrDataset, 'icr-qa' metrics receive one. */
declare module '@mc-kit/core' {
  interface DatasetKinds {
    'icr-qa': IcrDataset;
  }
}

export const SPLIT_FILES = ['qa/web-dev.json', 'qa/wikipedia-dev.json'] as const;

function parseQa(text: string, name: string, source: string): IcrQuestion[] {
  let data: unknown;
  try {
    data = (JSON.parse(text) as { Data?: unknown }).Data;
  } catch (e) {
    throw new UserError(ErrorCodes.BAD_DATASET, `${name} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(data))
    throw new UserError(ErrorCodes.BAD_DATASET, `${name} has no "Data" list: not TriviaQA's format`, {
      hint: 'pass the folder triviaqa-rc.tar.gz unpacks to (qa/, evidence/)',
    });
  return data.map((d: Record<string, unknown>, i: number) => {
    const aliases = (d?.Answer as { NormalizedAliases?: unknown } | undefined)?.NormalizedAliases;
    if (typeof d?.Question !== 'string' || !Array.isArray(aliases))
      throw new UserError(ErrorCodes.BAD_DATASET, `${name}: entry ${i} lacks Question or Answer.NormalizedAliases`);
    const first = (list: unknown) =>
      Array.isArray(list) && typeof list[0]?.Filename === 'string' ? (list[0].Filename as string) : undefined;
    return {
      id: `${source}/${typeof d.QuestionId === 'string' ? d.QuestionId : i}`,
      question: d.Question,
      aliases: aliases as string[],
      wikiFile: first(d.EntityPages),
      webFile: first(d.SearchResults),
    };
  });
}

/** wiki_context[0] + search_context[0], no separator, wiki first (main_icrqa.py); "" when neither. */
export function evidenceOf(data: IcrDataset, q: IcrQuestion): string {
  const read = (dir: string, file: string | undefined) => {
    if (file === undefined) return '';
    const folder = join(data.root, 'evidence', dir);
    if (isInside(folder, resolve(folder, file)) && !existsSync(join(folder, file)))
      throw new UserError(
        ErrorCodes.BAD_DATASET,
        `question ${q.id}: evidence file ${join('evidence', dir, file)} is missing`,
        { hint: 'open-book runs need the evidence/ folder of triviaqa-rc; closed-book runs do not' },
      );
    // the Filename comes from the dataset: a regular file inside evidence/<dir>/, links resolved, or nothing
    return readFileSync(
      regularFileInside(folder, file, `question ${q.id}: evidence file ${join('evidence', dir, file)}`),
      'utf8',
    );
  };
  return read('wikipedia', q.wikiFile) + read('web', q.webFile);
}

export class TriviaQaRcDataset implements DatasetProvider<'icr-qa'> {
  readonly id = 'triviaqa-rc';
  readonly kind = 'icr-qa';
  readonly summary =
    'TriviaQA rc (the UW tarball layout: qa/*-dev.json + evidence/): validation questions, aliases, evidence (--limit: first N)';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return ref.path !== undefined && existsSync(join(ref.path, 'qa'));
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<IcrDataset> {
    if (ref.limit !== undefined && (!Number.isInteger(ref.limit) || ref.limit < 1))
      throw new UserError(ErrorCodes.BAD_PARAM, `--limit must be a positive integer (got ${ref.limit})`);
    if (!ref.path || !existsSync(ref.path))
      throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${ref.ref}`);
    const files = SPLIT_FILES.filter((f) => existsSync(join(ref.path!, f)));
    if (files.length === 0) {
      throw new UserError(ErrorCodes.BAD_DATASET, `${ref.ref}: no validation split (${SPLIT_FILES.join(' or ')})`, {
        hint: 'pass the folder triviaqa-rc.tar.gz unpacks to; it holds qa/web-dev.json and qa/wikipedia-dev.json',
      });
    }
    const questions = files.flatMap((f) =>
      parseQa(
        readFileSync(regularFileInside(ref.path!, f, `${ref.ref}: ${f}`), 'utf8'),
        f,
        f.includes('web') ? 'web' : 'wikipedia',
      ),
    );
    const kept = ref.limit === undefined ? questions : questions.slice(0, ref.limit);
    ctx.log.debug(`${ref.ref}: ${questions.length} TriviaQA rc validation questions from ${files.join(', ')}`);
    return {
      kind: 'icr-qa',
      provider: this.id,
      ref: ref.ref,
      digest: await sha256Files(files.map((f) => ({ name: f, path: join(ref.path!, f) }))),
      size: kept.length,
      root: ref.path,
      questions: kept,
    };
  }
}
