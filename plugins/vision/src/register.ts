/** The plugin's mc:register hook (package.json oclif.hooks): declarations only; core builds them. */
import { datasetProvider, definePlugin, metric } from '@mc-kit/core';
import { U8ImagesDataset } from './datasets/u8-images.js';
import { U8MasksDataset } from './datasets/u8-masks.js';
import { AccuracyMetric } from './metrics/accuracy.js';
import { DiceMetric } from './metrics/dice.js';

export default definePlugin([
  metric(() => new AccuracyMetric()),
  metric(() => new DiceMetric()),
  datasetProvider(() => new U8ImagesDataset()),
  datasetProvider(() => new U8MasksDataset()),
]);
