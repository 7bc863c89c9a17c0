/** kick-factoid-qa and its FreebaseQA dataset provider. */
export { KickFactoidQaMetric, FACTOID_PARAMS } from './metric.js';
export {
  FreebaseQaDataset,
  parseFreebase,
  freebaseFile,
  type FactoidDataset,
  type FactoidQuestion,
} from './dataset.js';
export { aliasHit, freebasePrompt, type FreebasePromptVariant } from './scoring.js';
