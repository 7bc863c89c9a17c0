/** The oclif `mc:register` hook: the declarations core builds in its own container. */
import { compressor, definePlugin } from '@mc-kit/core';
import { PruneCompressor } from './plugin.js';

export default definePlugin([compressor(() => new PruneCompressor())]);
