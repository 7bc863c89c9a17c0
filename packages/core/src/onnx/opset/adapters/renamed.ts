/**
 * Crossings that are a rename or an attribute whose default changed:
 * - Scatter is deprecated at 11 for ScatterElements (same inputs, same axis).
 * - RoiAlign-16 added coordinate_transformation_mode, defaulting to half_pixel; RoiAlign-10
 *   behaves as output_half_pixel, which is written out.
 * - GridSample-20 renamed its modes: bilinear is linear, bicubic is cubic.
 * - GroupNormalization-21 takes scale and bias per channel instead of per group: refused.
 */
import type { Adapter } from '../adapt-context.js';
import { setStringAttr, stringAttr } from '../attributes.js';

export const scatterToScatterElements: Adapter = (c) => {
  c.node.opType = 'ScatterElements';
};

export const roiAlignOutputHalfPixel: Adapter = (c) => {
  if (stringAttr(c.node, 'coordinate_transformation_mode') === undefined)
    setStringAttr(c.node, 'coordinate_transformation_mode', 'output_half_pixel');
};

const GRID_MODES: Readonly<Record<string, string>> = { bilinear: 'linear', bicubic: 'cubic' };

export const gridSampleModeNames: Adapter = (c) => {
  const mode = stringAttr(c.node, 'mode');
  if (mode && GRID_MODES[mode]) setStringAttr(c.node, 'mode', GRID_MODES[mode]);
};

export const groupNormPerChannel: Adapter = (c) => {
  throw c.refuse('GroupNormalization-21 reads scale and bias per channel where opset 18 read them per group');
};
