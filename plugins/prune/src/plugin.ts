/**
 * The `prune` compressor: id, parameters and wiring. Unstructured/N:M pruning is in unstructured/,
 * SparseGPT's solver in sparsegpt/, structured channel pruning in channel/, sparse storage in store/.
 */
import type { CompressReport, Compressor, OnnxModel, ParamSpec, Params, RunContext } from '@mc-kit/core';
import { pruneChannels } from './channel/prune.js';
import { PRUNE_PARAMS, pruneOptions } from './options.js';
import { storeSparse } from './store/sparse.js';
import { pruneUnstructured } from './unstructured/prune.js';

export class PruneCompressor implements Compressor {
  readonly id = 'prune';
  readonly summary =
    'pruning: magnitude, Wanda, SparseGPT (unstructured or N:M; zeros stay in dense tensors: for a smaller file use --store sparse or chain a quantizer, --method prune --method int4) and Conv channel pruning (a smaller dense model)';
  readonly params: readonly ParamSpec[] = PRUNE_PARAMS;
  /** a bare --sweep list walks what --algo removes: a fraction of channels, or of weights */
  readonly sweepParam = (params: Params): string => (params.algo === 'channel' ? 'ratio' : 'sparsity');

  async compress(model: OnnxModel, params: Params, ctx: RunContext): Promise<CompressReport> {
    const opts = pruneOptions(params);
    const result =
      opts.algo === 'channel' ? await pruneChannels(model, opts, ctx) : await pruneUnstructured(model, opts, ctx);
    let tensors = result.tensors;
    const notes = [...result.notes];
    if (opts.store === 'sparse') {
      const stored = storeSparse(model, tensors);
      tensors = stored.tensors;
      notes.push(...stored.notes);
    }
    const changed = tensors.filter((t) => t.action !== 'skipped');
    const weights = changed.reduce((n, t) => n + t.elements, 0);
    const bits = changed.reduce((n, t) => n + 8 * t.bytesAfter, 0);
    const qualityRisk = 'qualityRisk' in result ? (result.qualityRisk as string | undefined) : undefined;
    return {
      method: this.id,
      params,
      tensors,
      bitsPerWeight: weights > 0 ? bits / weights : undefined,
      notes,
      ...(qualityRisk ? { qualityRisk } : {}),
    };
  }
}
