/** kick-mcq and its MMLU dataset provider. */
export { KickMcqMetric, MCQ_PARAMS } from './metric.js';
export { SubjectPrompts, splitsBeforeNewlines, type FittedPrompt } from './prompt-tokens.js';
export { MmluDataset, mmluRoot } from './dataset.js';
export { readMmluCsv } from './csv.js';
export { cellText, fewShotPrefix, formatExample, formatSubject, header } from './prompt.js';
export { predictedLetter, lastChar } from './scoring.js';
export { groupsOf, CATEGORIES, SUBCATEGORIES } from './categories.js';
export type { McqDataset, McqQuestion, McqSubject } from './types.js';
