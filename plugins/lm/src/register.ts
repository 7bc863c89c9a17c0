import { definePlugin, metric } from '@mc-kit/core';
import { BpcMetric } from './metrics/bpc.js';
import { PerplexityMetric } from './metrics/perplexity.js';

export default definePlugin([metric(() => new BpcMetric()), metric(() => new PerplexityMetric())]);
