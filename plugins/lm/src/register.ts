import { datasetProvider, definePlugin, metric } from '@mc-kit/core';
import { textDatasetFactories } from './datasets/index.js';
import { BpcMetric } from './metrics/bpc.js';
import { KldMetric } from './metrics/kld.js';
import { PerplexityMetric } from './metrics/perplexity.js';

export default definePlugin([
  metric(() => new BpcMetric()),
  metric(() => new PerplexityMetric()),
  metric(() => new KldMetric()),
  ...textDatasetFactories.map((create) => datasetProvider(create)),
]);
