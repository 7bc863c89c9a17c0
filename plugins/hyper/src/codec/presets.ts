/**
 * The three reference settings (spec §6.1, `get_args()` of each example's encode.py).
 * loss_max = loss_threshold = 0.001 in all three; only LLaMA sets the per-tensor MAE limit
 * (`set_loss_limit`, hard-coded 0.006).
 */
import type { HyperSettings } from './types.js';

export type PresetName = 'unet' | 'mobilenet' | 'llm';

export const PRESETS: Readonly<Record<PresetName, Readonly<HyperSettings>>> = Object.freeze({
  /** UNet (Carvana): rect_l 0.1, num_inner_list [225], class_max 3 */
  unet: Object.freeze({ l: 0.1, U: Object.freeze([225]), M: 3, maxMae: null, lossMax: 1e-3, lossThreshold: 1e-3 }),
  /** MobileNetV3-small (CIFAR-10 head): rect_l 0.8, [1600], class_max 4 */
  mobilenet: Object.freeze({
    l: 0.8,
    U: Object.freeze([1600]),
    M: 4,
    maxMae: null,
    lossMax: 1e-3,
    lossThreshold: 1e-3,
  }),
  /** Sheared-LLaMA-1.3B: rect_l 0.1, [1600], class_max 3, MAE > 0.006 -> raw */
  llm: Object.freeze({ l: 0.1, U: Object.freeze([1600]), M: 3, maxMae: 0.006, lossMax: 1e-3, lossThreshold: 1e-3 }),
});

export const PRESET_NAMES: readonly PresetName[] = Object.freeze(['unet', 'mobilenet', 'llm']);
