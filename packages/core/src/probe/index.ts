/** Running two versions of a model on the same seeded inputs, and how far their outputs are apart. */
export { probeFeeds, probeShapes, SIZE_PLANS, type ProbeShape, type SizePlan } from './inputs.js';
export { compareOutputs, compareTensors, type OutputDifference } from './compare.js';
