/** The plugin's mc:register hook (package.json oclif.hooks): declarations only; core builds them. */
import { definePlugin, metric } from '@mc-kit/core';
import { LatencyMetric } from './metric.js';

export default definePlugin([metric(() => new LatencyMetric())]);
