/** The 'mcq' dataset kind: subjects, each with its few-shot rows and its questions (MMLU's CSV layout). */
import type { DatasetBase } from '@mc-kit/core';

export interface McqQuestion {
  /** `<subject>/<split>/<row>`, row counted from 0 in file order */
  readonly id: string;
  readonly question: string;
  /** the four answer cells, A to D, as written in the file */
  readonly choices: readonly [string, string, string, string];
  /** the gold letter, A to D */
  readonly answer: string;
}

export interface McqSubject {
  /** the file name's subject, e.g. abstract_algebra */
  readonly name: string;
  /** dev rows, in file order: the few-shot examples */
  readonly shots: readonly McqQuestion[];
  /** the rows scored (test split) */
  readonly questions: readonly McqQuestion[];
}

export interface McqDataset extends DatasetBase {
  readonly kind: 'mcq';
  /** sorted by name, as the reference sorts its file names */
  readonly subjects: readonly McqSubject[];
  /** the split scored: 'test' */
  readonly split: string;
}

/** Adds the kind to mc's dataset contract: providers of 'mcq' open a McqDataset, 'mcq' metrics receive one. */
declare module '@mc-kit/core' {
  interface DatasetKinds {
    mcq: McqDataset;
  }
}
