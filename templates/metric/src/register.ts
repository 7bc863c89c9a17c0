/**
 * The plugin's `mc:register` hook (package.json "oclif.hooks"). It returns declarations only;
 * mc builds them in its own container, so this package may carry its own copy of @mc-kit/core.
 * A plugin may declare several compressors, metrics and dataset providers in this one list.
 */
import { definePlugin, metric } from '@mc-kit/core';
import { CrossEntropyMetric } from './plugin.js';

export default definePlugin([metric(() => new CrossEntropyMetric())]);
