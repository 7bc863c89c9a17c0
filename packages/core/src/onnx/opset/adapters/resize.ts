/**
 * Upsample and Resize through their versions:
 * - opset 10: Upsample is deprecated; Resize-10 has its inputs, attributes and meaning.
 * - opset 11: Resize gains `roi` (input 1) and coordinate_transformation_mode (default half_pixel)
 *   and nearest_mode (default round_prefer_floor). Resize-10 (and Upsample) computed
 *   x_original = x_resized / scale ("asymmetric") and, for nearest, truncated it when upsampling and
 *   rounded it up when downsampling (onnxruntime's upsamplebase.h, "SIMPLE"). Those are written
 *   out; a mix of up- and downsampled axes has no opset-11 spelling and is refused. onnx's own
 *   converter leaves the new defaults in place, which moves every pixel.
 * - opset 18: "tf_half_pixel_for_nn" (x_original = (x_resized + 0.5) / scale) is gone. For nearest
 *   sampling it is half_pixel shifted by one half, so floor becomes round_prefer_ceil and
 *   round_prefer_floor becomes ceil; other combinations are refused.
 */
import { DataType } from '../../dtypes.js';
import type { Adapter } from '../adapt-context.js';
import { attribute, setStringAttr, stringAttr } from '../attributes.js';

export const upsampleToResize: Adapter = (c) => {
  if (attribute(c.node, 'scales'))
    throw c.refuse('its scales are an attribute (Upsample-7), which opset 9 no longer allows');
  c.node.opType = 'Resize';
};

export const resizeWithRoi: Adapter = (c) => {
  const { node } = c;
  const [x, scales, ...rest] = node.input ?? [];
  if (!scales || rest.some((r) => r !== '')) throw c.refuse('Resize-10 takes exactly X and scales');
  const mode = stringAttr(node, 'mode') ?? 'nearest';
  if (mode === 'nearest') {
    const s = c.constantFloats(scales);
    const down = s ? [...s].filter((v) => v !== 1).map((v) => v < 1) : [];
    if (down.includes(true) && down.includes(false))
      throw c.refuse('it samples some axes up and others down, which Resize-11 cannot round the same way');
    // scales computed at run time: upsampling, what Upsample and nearly every exporter mean
    setStringAttr(node, 'nearest_mode', down.includes(true) ? 'ceil' : 'floor');
  }
  setStringAttr(node, 'coordinate_transformation_mode', 'asymmetric');
  const roi = c.constant(`${node.name || 'Resize'}_roi`, DataType.FLOAT, [0], new Float32Array(0));
  node.input = [x, roi, scales];
};

const TF_NN_AS_HALF_PIXEL: Readonly<Record<string, string>> = {
  floor: 'round_prefer_ceil',
  round_prefer_floor: 'ceil',
};

export const resizeWithoutTfHalfPixel: Adapter = (c) => {
  const { node } = c;
  if (stringAttr(node, 'coordinate_transformation_mode') !== 'tf_half_pixel_for_nn') return;
  const mode = stringAttr(node, 'mode') ?? 'nearest';
  const nearest = stringAttr(node, 'nearest_mode') ?? 'round_prefer_floor';
  const replacement = TF_NN_AS_HALF_PIXEL[nearest];
  if (mode !== 'nearest' || !replacement)
    throw c.refuse(
      `coordinate_transformation_mode tf_half_pixel_for_nn (removed at opset 18) with mode ${mode}, nearest_mode ${nearest} has no equivalent`,
    );
  setStringAttr(node, 'coordinate_transformation_mode', 'half_pixel');
  setStringAttr(node, 'nearest_mode', replacement);
};
