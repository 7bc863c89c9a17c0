/** kick-summarization and its dataset provider. */
export { KickSummarizationMetric, SUMMARIZATION_PARAMS, summaryJudgeScore } from './metric.js';
export { SummarizationDatasetProvider, requireFile, SUMMARY_FILES, type SummarizationDataset } from './dataset.js';
export { readJsonl } from './jsonl.js';
