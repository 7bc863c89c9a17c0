/** kick-icr-qa and its TriviaQA rc dataset provider. */
export { KickIcrQaMetric, ICR_PARAMS } from './metric.js';
export { TriviaQaRcDataset, evidenceOf, SPLIT_FILES, type IcrDataset, type IcrQuestion } from './dataset.js';
export { CONTEXT_CHARS, firstLine, icrPrompt, prediction, promptEnd } from './prompt.js';
