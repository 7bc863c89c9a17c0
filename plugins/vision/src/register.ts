/** The plugin's mc:register hook (package.json oclif.hooks): declarations only; core builds them. */
import { datasetProvider, definePlugin, metric } from '@mc-kit/core';
import { U8ImagesDataset } from './datasets/u8-images.js';
import { AccuracyMetric } from './metrics/accuracy.js';

export default definePlugin([metric(() => new AccuracyMetric()), datasetProvider(() => new U8ImagesDataset())]);
