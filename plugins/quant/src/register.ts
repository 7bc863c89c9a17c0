/** The oclif `mc:register` hook: the declarations core builds in its own container. */
import { compressor, definePlugin } from '@mc-kit/core';
import { Int4Compressor } from './int4/plugin.js';
import { Int8Compressor } from './int8/plugin.js';
import { GptqCompressor } from './gptq/plugin.js';

export default definePlugin([
  compressor(() => new Int8Compressor()),
  compressor(() => new Int4Compressor()),
  compressor(() => new GptqCompressor()),
]);
