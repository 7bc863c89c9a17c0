/**
 * Which weights unstructured pruning touches (spec pruning.md "Targets"): MatMul/Gemm weights and
 * Conv weights, chosen by core's selectWeights (--include/--exclude/--min-size), minus the LLM-KICK
 * defaults: embeddings (Gather tables) and the output layer (the LM head, a classifier's last layer)
 * stay dense unless --include names them. Norms and biases are rank 1 and never candidates.
 */
import { selectWeights, type NodeProto, type OnnxModel, type WeightCandidate } from '@mc-kit/core';
import type { PruneOptions } from './options.js';

export interface PruneTarget {
  readonly candidate: WeightCandidate;
  /** op type of the consumer: MatMul, Gemm or Conv */
  readonly op: string;
}

export interface TargetChoice {
  readonly targets: PruneTarget[];
  /** `cause` and `hint` group the console summary (core skip-summary.ts); `reason` is this tensor's */
  readonly skipped: {
    name: string;
    reason: string;
    cause?: string;
    hint?: string;
    dims: readonly number[];
    elements: number;
    bytes: number;
  }[];
}

const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);

/** Names of the weights read by the weight ops nearest each graph output (nothing but ops without weights in between). */
export function outputLayerWeights(model: OnnxModel): Set<string> {
  const byOutput = new Map<string, NodeProto>();
  for (const n of model.nodes) for (const o of n.output ?? []) byOutput.set(o, n);
  const inits = new Set(model.initializerNames());
  const heads = new Set<string>();
  const seen = new Set<string>();
  const stack = model.outputs.map((v) => v.name ?? '');
  while (stack.length > 0) {
    const tensor = stack.pop() as string;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    const node = byOutput.get(tensor);
    if (!node) continue;
    const weight = node.input?.[1];
    if (WEIGHT_OPS.has(node.opType ?? '') && weight && inits.has(weight)) {
      heads.add(weight);
      continue;
    }
    for (const i of node.input ?? []) if (i && !inits.has(i)) stack.push(i);
  }
  return heads;
}

export function chooseTargets(model: OnnxModel, opts: PruneOptions): TargetChoice {
  const { candidates, skipped: rest } = selectWeights(model, opts);
  const skipped: TargetChoice['skipped'] = rest.map((s) => ({
    name: s.init.name,
    reason: s.reason,
    cause: s.cause,
    hint: s.hint,
    dims: s.init.dims,
    elements: s.init.elementCount,
    bytes: s.init.byteLength,
  }));
  const heads = outputLayerWeights(model);
  const named = opts.include.length > 0; // a candidate that passed a non-empty --include was named by it
  const targets: PruneTarget[] = [];
  for (const c of candidates) {
    const op = model.consumers(c.init.name)[0]?.node.opType ?? '';
    const skip = (reason: string) =>
      skipped.push({
        name: c.init.name,
        reason,
        dims: c.init.dims,
        elements: c.init.elementCount,
        bytes: c.init.byteLength,
      });
    if (op === 'Gather' && !named) skip('embedding: stays dense (LLM-KICK); --include names it to prune');
    else if (heads.has(c.init.name) && !named)
      skip('output layer (LM head): stays dense (LLM-KICK); --include names it to prune');
    else if (!WEIGHT_OPS.has(op)) skip(`${op} weights are not pruned`);
    else if (op === 'MatMul' && c.init.dims.length !== 2) skip(`rank-${c.init.dims.length} MatMul weight`);
    else targets.push({ candidate: c, op });
  }
  return { targets, skipped };
}
