/** The paired bootstrap lives in core now (mc report uses it too); kept here so the tasks' imports stay put. */
export { pairedBootstrap, type PairedBootstrap } from '@mc-kit/core';
