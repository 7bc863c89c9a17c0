/**
 * Stages for sequential calibration (GPTQ's and SparseGPT's setting): stage 0 holds the targets whose
 * activation depends on no other target's weight; stage s the ones that depend on weights of stage
 * s-1 at most. Capturing stage s after compressing stages 0..s-1 calibrates every layer on the
 * output of the layers already compressed before it, while targets within a stage (q, k, v reading
 * one input) share one pass. A transformer block of attention + MLP gives four stages.
 */
import type { OnnxModel } from '../onnx/model.js';
import type { CaptureTarget } from './types.js';

/** Targets grouped by depth, in graph order; depends only on the graph as it is now (node order is topological in ONNX). */
export function planStages(model: OnnxModel, targets: readonly CaptureTarget[]): CaptureTarget[][] {
  const byWeight = new Set(targets.map((t) => t.weight));
  // level(tensor) = how many target weights lie on the longest path from the graph inputs to it
  const level = new Map<string, number>();
  for (const node of model.nodes) {
    const inputs = (node.input ?? []).filter((name) => name !== '');
    const inLevel = Math.max(0, ...inputs.map((name) => level.get(name) ?? 0));
    const readsTarget = inputs.some((name) => byWeight.has(name));
    for (const out of node.output ?? []) if (out) level.set(out, inLevel + (readsTarget ? 1 : 0));
  }
  const stages: CaptureTarget[][] = [];
  for (const t of targets) {
    const s = level.get(t.tensor) ?? 0;
    (stages[s] ??= []).push(t);
  }
  return stages.filter((s) => s !== undefined);
}
