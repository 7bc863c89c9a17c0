/** kick-instruction and its Vicuna-80 dataset provider. */
export { KickInstructionMetric, INSTRUCTION_PARAMS } from './metric.js';
export { InstructionDatasetProvider, INSTRUCTION_FILES, judgePromptFor, type InstructionDataset } from './dataset.js';
