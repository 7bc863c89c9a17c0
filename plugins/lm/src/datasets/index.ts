/**
 * The text dataset providers of @mc-kit/plugin-lm, most specific first. Their canOpen answers are
 * disjoint (common.ts `textProviderFor`), so the order is for listings, not for correctness.
 */
import type { DatasetProvider } from '@mc-kit/core';
import { JsonlDataset } from './jsonl.js';
import { LlmCompressionDataset } from './llm-compression.js';
import { ParquetDataset } from './parquet.js';
import { TextFileDataset } from './text-file.js';
import { WikiText2Dataset } from './wikitext.js';

export { JsonlDataset, readJsonlField, DEFAULT_JSONL_FIELD } from './jsonl.js';
export { LlmCompressionDataset } from './llm-compression.js';
export { ParquetDataset, readParquetText, DEFAULT_PARQUET_COLUMNS } from './parquet.js';
export { TextFileDataset } from './text-file.js';
export { WikiText2Dataset, wikitextRows, WIKITEXT2_TEST } from './wikitext.js';
export { textProviderFor, type TextProviderId } from './common.js';

/** One factory per provider, for the plugin's register hook: `textDatasetFactories.map((f) => datasetProvider(f))`. */
export const textDatasetFactories: readonly (() => DatasetProvider)[] = Object.freeze([
  () => new LlmCompressionDataset(),
  () => new WikiText2Dataset(),
  () => new JsonlDataset(),
  () => new ParquetDataset(),
  () => new TextFileDataset(),
]);
