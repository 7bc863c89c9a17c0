/** The oclif `mc:register` hook: the declarations core builds in its own container. */
import { definePlugin } from '@mc-kit/core';

export default definePlugin([]);
