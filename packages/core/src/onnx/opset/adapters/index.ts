/**
 * The one table of adapters: `Op@v` is the crossing of opset v for Op (versions.ts lists every
 * crossing; those without an entry here keep their meaning). Sources: onnx/docs/Changelog.md and
 * onnx's version_converter adapters (convert.h), with two fixes where those change a model's
 * outputs: Resize-10 -> 11 keeps the asymmetric coordinates and nearest rounding (resize.ts), and
 * Hardmax changes at 13 like Softmax.
 */
import type { Adapter } from '../adapt-context.js';
import { attributesToInputs, splitNumOutputs } from './attribute-inputs.js';
import { clipBoundsToInputs, padAttributesToInputs } from './clip-pad.js';
import {
  groupNormPerChannel,
  gridSampleModeNames,
  roiAlignOutputHalfPixel,
  scatterToScatterElements,
} from './renamed.js';
import { resizeWithoutTfHalfPixel, resizeWithRoi, upsampleToResize } from './resize.js';
import { coercedAxisTo2D } from './softmax-axis.js';
import { batchNormTrainingMode, dropoutMaskBool, dropoutRatioInput } from './training-outputs.js';

const axesToInput = attributesToInputs({ attr: 'axes', input: 1 });
const REDUCE_18 = [
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSumSquare',
];

export const ADAPTERS: Readonly<Record<string, Adapter>> = Object.freeze({
  'Upsample@10': upsampleToResize,
  'Slice@10': attributesToInputs({ attr: 'starts', input: 1 }, { attr: 'ends', input: 2 }, { attr: 'axes', input: 3 }),
  'TopK@10': attributesToInputs({ attr: 'k', input: 1, single: 'vector' }),
  'Dropout@10': dropoutMaskBool,
  'Clip@11': clipBoundsToInputs,
  'Pad@11': padAttributesToInputs,
  'Resize@11': resizeWithRoi,
  'Scatter@11': scatterToScatterElements,
  'Dropout@12': dropoutRatioInput,
  'Softmax@13': coercedAxisTo2D,
  'LogSoftmax@13': coercedAxisTo2D,
  'Hardmax@13': coercedAxisTo2D,
  'Squeeze@13': axesToInput,
  'Unsqueeze@13': axesToInput,
  'ReduceSum@13': axesToInput,
  'Split@13': attributesToInputs({ attr: 'split', input: 1 }),
  'BatchNormalization@14': batchNormTrainingMode,
  'RoiAlign@16': roiAlignOutputHalfPixel,
  ...Object.fromEntries(REDUCE_18.map((op) => [`${op}@18`, axesToInput])),
  'Split@18': splitNumOutputs,
  'Resize@18': resizeWithoutTfHalfPixel,
  'DFT@20': attributesToInputs({ attr: 'axis', input: 2, single: 'scalar' }),
  'GridSample@20': gridSampleModeNames,
  'GroupNormalization@21': groupNormPerChannel,
});

/**
 * Ops deprecated at an opset, where the adapter of that crossing replaces them (Upsample-10 means
 * Resize-10; Scatter-11 means ScatterElements-11). A model already at or past that opset that
 * still holds one gets the replacement too, and the new op then crosses from that opset on.
 */
export const DEPRECATED: Readonly<Record<string, number>> = Object.freeze({ Upsample: 10, Scatter: 11 });
