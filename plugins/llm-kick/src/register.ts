/** The oclif `mc:register` hook: the declarations core builds in its own container. */
import { datasetProvider, definePlugin, metric } from '@mc-kit/core';
import { KickMcqMetric, MmluDataset } from './tasks/mcq/index.js';
import { FreebaseQaDataset, KickFactoidQaMetric } from './tasks/factoid-qa/index.js';
import { KickIcrQaMetric, TriviaQaRcDataset } from './tasks/icr-qa/index.js';
import { KickSummarizationMetric, SummarizationDatasetProvider } from './tasks/summarization/index.js';
import { InstructionDatasetProvider, KickInstructionMetric } from './tasks/instruction/index.js';

export default definePlugin([
  metric(() => new KickMcqMetric()),
  datasetProvider(() => new MmluDataset()),
  metric(() => new KickFactoidQaMetric()),
  datasetProvider(() => new FreebaseQaDataset()),
  metric(() => new KickIcrQaMetric()),
  datasetProvider(() => new TriviaQaRcDataset()),
  metric(() => new KickSummarizationMetric()),
  datasetProvider(() => new SummarizationDatasetProvider()),
  metric(() => new KickInstructionMetric()),
  datasetProvider(() => new InstructionDatasetProvider()),
]);
