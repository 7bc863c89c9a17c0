/**
 * The typed dataset contract (contracts.ts, DatasetKinds): a metric receives the dataset type of the
 * kinds it declares and nothing else, a provider's open() returns its kind's type, and a metric of
 * several kinds tells them apart by `kind`. The checks are compile-time: each `@ts-expect-error`
 * marks code that must NOT compile. ts-jest only transpiles, so the test runs the TypeScript compiler
 * over this file: a contract that loosens (an expected error that no longer occurs: "Unused
 * '@ts-expect-error' directive") fails here, as it does in the tests' type-check.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type {
  DatasetProvider,
  ImageClassDataset,
  LoadedModel,
  Metric,
  MetricResult,
  RunContext,
  TextDataset,
} from './contracts.js';
import type { Params } from './params.js';

const RESULT: MetricResult = { metric: 'm', metricVersion: 1, values: {}, sums: {}, samples: 0 };

async function firstPixels(data: ImageClassDataset): Promise<Uint8Array | undefined> {
  for await (const batch of data.batches(1)) return batch.pixels;
  return undefined;
}

/** A metric declaring 'text' receives a TextDataset: its records, never an image set's pixels. */
export const textMetric: Metric<'text'> = {
  id: 'text-only',
  summary: 'reads text',
  datasetKinds: ['text'],
  params: [],
  async evaluate(_model, data) {
    void data.subsets[0].records;
    // @ts-expect-error a text dataset has no batches of pixels
    void data.batches(8);
    // @ts-expect-error nor an image size
    void data.channels;
    // @ts-expect-error so it cannot be handed on as images either
    await firstPixels(data);
    return RESULT;
  },
};

/** The same reads compile for a metric declaring 'image-class': the errors above are about the kind. */
export const imageMetric: Metric<'image-class'> = {
  id: 'image-only',
  summary: 'reads pixels',
  datasetKinds: ['image-class'],
  params: [],
  async evaluate(_model, data) {
    void data.channels;
    await firstPixels(data);
    return RESULT;
  },
};

/** A metric of two kinds receives the union and reads what one kind has only after checking `kind`. */
export const eitherMetric: Metric<'text' | 'image-class'> = {
  id: 'either',
  summary: 'reads both',
  datasetKinds: ['text', 'image-class'],
  params: [],
  async evaluate(_model, data) {
    // @ts-expect-error not before narrowing
    void data.subsets;
    if (data.kind === 'text') void data.subsets;
    else await firstPixels(data);
    return RESULT;
  },
};

export const overclaiming: Metric<'text'> = {
  id: 'overclaiming',
  summary: 'lists a kind its type does not name',
  // @ts-expect-error mc would hand it images that its evaluate is not typed for
  datasetKinds: ['text', 'image-class'],
  params: [],
  evaluate: async () => RESULT,
};

export class MistypedMetric implements Metric<'text'> {
  readonly id = 'mistyped';
  readonly summary = 'declares text, takes images';
  readonly datasetKinds = ['text'] as const;
  readonly params = [];
  // @ts-expect-error evaluate must take what 'text' maps to
  async evaluate(_model: LoadedModel, data: ImageClassDataset, _params: Params, _ctx: RunContext) {
    void data;
    return RESULT;
  }
}

declare const someImages: ImageClassDataset;
declare const someText: TextDataset;

export const textProvider: DatasetProvider<'text'> = {
  id: 'texts',
  kind: 'text',
  summary: 'opens text',
  canOpen: async () => true,
  open: async () => someText,
};

export const mislabelledProvider: DatasetProvider<'text'> = {
  id: 'mislabelled',
  kind: 'text',
  summary: 'claims text, opens images',
  canOpen: async () => true,
  // @ts-expect-error open() returns the provider's kind's type
  open: async () => someImages,
};

describe('the typed dataset contract', () => {
  it('compiles exactly where the kinds allow: every @ts-expect-error above is an error, nothing else is', () => {
    const file = fileURLToPath(import.meta.url);
    const root = join(dirname(file), '../../..');
    const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), (p) => ts.sys.readFile(p));
    const { options } = ts.parseJsonConfigFileContent(base.config, ts.sys, root);
    const program = ts.createProgram([file], { ...options, noEmit: true, types: ['node', 'jest'] });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) =>
          `${d.file ? `line ${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    expect(errors).toEqual([]);
  });
});
