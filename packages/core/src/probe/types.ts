/**
 * Probes: two versions of one model run on the same seeded inputs, and how far their outputs are
 * apart: equal to a tolerance (the opset upgrade's check), or the drift of a compressed model from
 * the dense one (relative error, top-1 agreement; random inputs or --probe-dataset text).
 *
 * Drift: how far the compressed model's outputs moved from the dense model's on the same probe
 * inputs, per output. Sums are kept beside the ratios (STYLE.md §11) so anyone can redo them.
 */

export interface OutputDrift {
  readonly name: string;
  /** ‖y − ŷ‖ / ‖y‖ over every element of every probe (y dense, ŷ compressed) */
  readonly relativeError: number;
  /** Σ (y − ŷ)² */
  readonly sumSquaredError: number;
  /** Σ y² */
  readonly sumSquaredDense: number;
  readonly elements: number;
  /** compressed values that are NaN or infinite where the dense ones are finite (left out of the error) */
  readonly nonFinite: number;
  /** the class axis top-1 agreement is taken over, when the output has one */
  readonly classAxis?: number;
  /** share of positions (all indices but the class axis) whose argmax over the class axis agrees */
  readonly top1Agreement?: number;
  readonly positions?: number;
}

export interface DriftThresholds {
  /** relative error at or above this is large */
  readonly relativeError: number;
  /** top-1 agreement below this is large */
  readonly top1Agreement: number;
}

export type DriftReport =
  | {
      readonly measured: true;
      /** probe inputs run through both models */
      readonly probes: number;
      /** 'random' (shaped from the graph's inputs, seeded by --seed) or the --probe-dataset ref */
      readonly inputs: string;
      /** how the probes were made: sizes given to symbolic dims, value ranges of int inputs */
      readonly description: string;
      readonly seed: number;
      readonly outputs: readonly OutputDrift[];
      readonly thresholds: DriftThresholds;
      /** the outputs past a threshold, in words; absent when none is */
      readonly warning?: string;
    }
  | { readonly measured: false; readonly reason: string };
