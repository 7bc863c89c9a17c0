/**
 * Recovery for channel pruning: one calibration pass over the DENSE model collects, for every layer
 * that reads prunable channels, XᵀX and Σx over its input patches (core's capture, inside
 * onnxruntime). From those statistics the channels are chosen (greedy OBS, obs.ts) and every
 * consumer's kept weights and bias are refit by least squares (refit.ts) before the graph surgery
 * slices them.
 *
 * Why one pass from the dense model rather than sequentially on the pruned model's inputs: the refit
 * W_K = W·G[:,K]·G_KK⁻¹ needs G[R,K], how the removed inputs correlate with the kept ones, and only
 * the dense model still computes the removed channels. Sequential refitting would need the cross
 * statistics X'ᵀX between the pruned and the dense model's inputs (two models run side by side per
 * layer and stage) for a refit target that the dense statistics already give; the one pass also
 * runs the model once, whatever its depth. What it does not see is error compounding from earlier
 * layers, which the per-layer errors in the report make visible.
 */
import {
  captureActivations,
  describeCalibration,
  ErrorCodes,
  outputErrorSums,
  relativeOutputError,
  statsOf,
  UserError,
  type CalibrationInfo,
  type NodeProto,
  type OnnxModel,
  type RunContext,
} from '@mc-kit/core';
import type { ChannelGraph, Source } from './graph.js';
import { attrInt, isDepthwise } from './graph.js';
import { columnsOf, consumerLayer, gramOf, label, readView, writeView, type ConsumerLayer } from './consumers.js';
import { greedyChannels, obsLayer, type ObsLayer, type ObsReader } from './obs.js';
import { damped, refitColumns, scatterColumns } from './refit.js';

export interface GroupPlan {
  readonly members: readonly number[];
  readonly channels: number;
  readonly count: number;
}

interface Reader {
  readonly layer: ConsumerLayer;
  /** the producers' channels this layer's input carries */
  readonly sources: readonly Source[];
  readonly W: Float64Array;
  readonly G: Float64Array;
  readonly Gd: Float64Array;
  readonly n: number;
  obs?: ObsLayer;
}

export interface LayerError {
  readonly node: string;
  readonly weight: string;
  /** ‖ΔY‖/‖Y‖ with the removed inputs simply dropped */
  readonly before: number;
  /** after the least-squares refit */
  readonly after: number;
}

const isTerminal = (model: OnnxModel, node: NodeProto, inputIndex: number) => {
  if (inputIndex !== 0) return false;
  const op = node.opType;
  if (op === 'Conv') return attrInt(node, 'group', 1) === 1 && !isDepthwise(model, node);
  return op === 'ConvTranspose' || op === 'Gemm' || op === 'MatMul';
};

export class Recovery {
  private constructor(
    private readonly readers: Reader[],
    private readonly damp: number,
    readonly info: CalibrationInfo,
  ) {}

  /** Capture the statistics of every layer reading the groups' channels, on the dense model. */
  static async capture(
    model: OnnxModel,
    g: ChannelGraph,
    groups: readonly GroupPlan[],
    damp: number,
    ctx: RunContext,
  ): Promise<Recovery> {
    const prunable = new Set(groups.flatMap((x) => x.members));
    const found = new Map<NodeProto, { layer: ConsumerLayer; sources: Source[] }>();
    for (const [tensor, sources] of g.sources) {
      if (!sources.some((s) => prunable.has(s.producer))) continue;
      for (const { node, inputIndex } of model.consumers(tensor)) {
        if (!isTerminal(model, node, inputIndex) || found.has(node)) continue;
        found.set(node, { layer: consumerLayer(model, node), sources });
      }
    }
    const layers = [...found.values()];
    const source = ctx.calibration!;
    const stats = await captureActivations(
      model,
      layers.map((l) => l.layer.target),
      source,
      ctx,
      { hessian: true, sums: true, label: 'calibrating channel pruning' },
    );
    const set = await source.load();
    const readers = layers.map(({ layer, sources }) => {
      const [s] = statsOf(stats, layer.target);
      const { G, n } = gramOf(layer, s);
      return {
        layer,
        sources,
        W: readView(model, layer),
        G,
        Gd: damped(G, n, layer.channels * layer.offsets, damp),
        n,
      };
    });
    return new Recovery(readers, damp, set.info);
  }

  get layers(): number {
    return this.readers.length;
  }

  /** Greedy OBS over the group's channels, weighed by every layer that reads them. */
  choose(group: GroupPlan): number[] | undefined {
    const members = new Set(group.members);
    const obsReaders: ObsReader[] = [];
    for (const r of this.readers) {
      const mine = r.sources.filter((s) => members.has(s.producer));
      if (mine.length === 0) continue;
      if (!r.obs) {
        // the cost's unit: the dense output energy ‖XWᵀ‖² (den of the error sums)
        r.obs = obsLayer(r.W, r.layer.rows, r.Gd, r.n, outputErrorSums(r.W, r.W, r.layer.rows, r.n, r.G).den);
        if (!r.obs) throw this.notPositiveDefinite(r);
      }
      obsReaders.push({ layer: r.obs, columns: (c) => columnsOf(r.layer, new Set(mine.map((s) => s.offset + c))) });
    }
    return obsReaders.length ? greedyChannels(obsReaders, group.channels, group.count) : undefined;
  }

  /** Refit every layer that lost inputs (in the model, before slicing); the errors before and after. */
  refit(model: OnnxModel, removed: ReadonlyMap<number, readonly number[]>): LayerError[] {
    const errors: LayerError[] = [];
    for (const r of this.readers) {
      const positions = new Set<number>();
      for (const s of r.sources) for (const c of removed.get(s.producer) ?? []) positions.add(s.offset + c);
      if (positions.size === 0) continue;
      const gone = new Set(columnsOf(r.layer, positions));
      const kept = Array.from({ length: r.n }, (_, j) => j).filter((j) => !gone.has(j));
      const WK = refitColumns(r.W, r.layer.rows, r.Gd, r.n, kept);
      if (!WK) throw this.notPositiveDefinite(r);
      const after = scatterColumns(WK, r.layer.rows, r.n, kept);
      const dropped = r.W.map((w, i) => (gone.has(i % r.n) ? 0 : w));
      errors.push({
        node: label(r.layer.node),
        weight: r.layer.weight,
        before: relativeOutputError(r.W, dropped, r.layer.rows, r.n, r.G),
        after: relativeOutputError(r.W, after, r.layer.rows, r.n, r.G),
      });
      writeView(model, r.layer, after);
    }
    return errors;
  }

  private notPositiveDefinite(r: Reader): UserError {
    return new UserError(
      ErrorCodes.BAD_PARAM,
      `--algo channel: the calibration statistics of ${label(r.layer.node)} are not positive definite with --damp ${this.damp}`,
      {
        hint: 'raise --damp (e.g. 0.01) or pass more calibration images with --calib-samples',
      },
    );
  }
}

export const SELECTION = {
  obs: 'channels chosen by greedy OBS over whole channels on the calibration statistics, every layer reading them refit by least squares',
  refit: 'channels chosen by the L1 norm of each output filter, every layer reading them refit by least squares',
  none: 'channels chosen by the L1 norm of each output filter, no refit',
} as const;

/** The plain statement of the risk of pruning without repair (the report's and the drift line's). */
export function qualityRisk(hasCalibration: boolean): string {
  return (
    `channel pruning without refit (${hasCalibration ? '--recover none' : 'no --calib-dataset'}): quality often collapses (digits-unet Dice 0.963 / 0.612 / 0.000 at --ratio 0.1 / 0.25 / 0.5); ` +
    (hasCalibration
      ? 'drop --recover none to choose channels on the calibration data and refit the layers after them'
      : 'pass --calib-dataset (unlabelled images the model takes) to choose channels on data and refit the layers after them')
  );
}

export function recoveryNotes(
  mode: 'obs' | 'refit' | 'none',
  damp: number,
  recovery: Recovery | undefined,
  errors: readonly LayerError[],
  hasCalibration: boolean,
): string[] {
  if (!recovery) return [`quality risk: ${qualityRisk(hasCalibration)}`];
  const mean = (f: (e: LayerError) => number) => errors.reduce((n, e) => n + f(e), 0) / Math.max(1, errors.length);
  const max = (f: (e: LayerError) => number) => Math.max(0, ...errors.map(f));
  const fmt = (x: number) => x.toFixed(4);
  return [
    `recover ${mode}: ${mode === 'obs' ? "each channel scored by the rise in the next layers' output error once they are refit, tr(W_S [(H^-1)_SS]^-1 W_S^T) relative to each layer's output, removed greedily with OBS updates; " : ''}` +
      `refit W_K = W G[:,K] G_KK^-1 with a ones column for the bias (removed channels' means fold into it), damping ${damp} x mean diag(G); one pass over the dense model's statistics (X^T X and sum of x over ${recovery.layers} layers' input patches)`,
    `calibration: ${describeCalibration(recovery.info)}`,
    `layer output error ||dY||/||Y|| on the calibration data, removed inputs dropped -> refit: mean ${fmt(mean((e) => e.before))} -> ${fmt(mean((e) => e.after))}, max ${fmt(max((e) => e.before))} -> ${fmt(max((e) => e.after))} over ${errors.length} layers` +
      (errors.length ? ` (${errors.map((e) => `${e.node} ${fmt(e.before)} -> ${fmt(e.after)}`).join(', ')})` : ''),
  ];
}
