/**
 * Which activations a data-aware method calibrates on, per weight initializer:
 * - MatMul / Gemm: the tensor that multiplies the weight (input 0), rows of K features;
 * - Conv: input 0 seen as im2col patches, features = Cin/group · k_1 · ... · k_n in the order of the
 *   weight's own [Cout, Cin/group, k...] rows (channel, then kernel offsets row-major), one set of
 *   statistics per group (capture.ts unfolds the patches inside onnxruntime).
 * ConvTranspose is not a target: each of its outputs sums a different subset of kernel offsets, so
 * no single X^T X describes its weight (recoverable per offset, which no method here does yet);
 * unsupportedWeightReaders names those nodes so methods can say so.
 */
import { DATA_TYPES } from '../onnx/dtypes.js';
import type { NodeProto, OnnxModel } from '../onnx/model.js';
import type { CaptureTarget, ConvPatches } from './types.js';

function attrOf(node: NodeProto, name: string) {
  return node.attribute?.find((x) => x.name === name);
}

function intAttr(node: NodeProto, name: string, fallback = 0): number {
  const a = attrOf(node, name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
}

function intsAttr(node: NodeProto, name: string, fallback: readonly number[]): number[] {
  const a = attrOf(node, name);
  return a?.ints && a.ints.length > 0 ? a.ints.map(Number) : [...fallback];
}

function stringAttr(node: NodeProto, name: string): string | undefined {
  const a = attrOf(node, name);
  if (!a?.s) return undefined;
  return typeof a.s === 'string' ? a.s : new TextDecoder().decode(a.s);
}

const isDefaultDomain = (node: NodeProto) => (node.domain ?? '') === '' || node.domain === 'ai.onnx';

/** The im2col geometry of a Conv node whose weight has `dims` [Cout, Cin/group, k...]. */
export function convPatchesOf(node: NodeProto, dims: readonly number[]): ConvPatches {
  const spatial = dims.length - 2;
  const group = intAttr(node, 'group', 1);
  const kernel = dims.slice(2);
  const autoPad = stringAttr(node, 'auto_pad');
  return {
    channels: dims[1] * group,
    group,
    kernel,
    strides: intsAttr(node, 'strides', new Array(spatial).fill(1)),
    pads: intsAttr(node, 'pads', new Array(2 * spatial).fill(0)),
    dilations: intsAttr(node, 'dilations', new Array(spatial).fill(1)),
    ...(autoPad && autoPad !== 'NOTSET' ? { autoPad } : {}),
  };
}

/** features per group of a Conv target: Cin/group · Πk. */
export const patchFeatures = (p: ConvPatches): number => (p.channels / p.group) * p.kernel.reduce((a, b) => a * b, 1);

function floatInit(model: OnnxModel, name: string, rank: (r: number) => boolean) {
  const init = model.getInitializer(name);
  return init && rank(init.dims.length) && DATA_TYPES[init.dataType]?.isFloat ? init : undefined;
}

/**
 * The capture target of every default-domain MatMul/Gemm reading a 2-D float initializer as input 1
 * (a Gemm with transA is skipped: its input 0 is X^T) and, with `conv`, of every Conv reading a float
 * initializer of rank >= 3 as its weight. `weights` limits the result to those initializer names.
 */
export function findWeightTargets(
  model: OnnxModel,
  weights?: Iterable<string>,
  options: { conv?: boolean } = { conv: true },
): CaptureTarget[] {
  const wanted = weights === undefined ? undefined : new Set(weights);
  const targets: CaptureTarget[] = [];
  for (const node of model.nodes) {
    if (!isDefaultDomain(node)) continue;
    const [tensor, weight] = node.input ?? [];
    if (!tensor || !weight || (wanted && !wanted.has(weight))) continue;
    if (node.opType === 'MatMul' || (node.opType === 'Gemm' && !intAttr(node, 'transA'))) {
      const init = floatInit(model, weight, (r) => r === 2);
      if (!init) continue;
      const features = node.opType === 'Gemm' && intAttr(node, 'transB') ? init.dims[1] : init.dims[0];
      targets.push({ weight, tensor, features });
    } else if (node.opType === 'Conv' && (options.conv ?? true)) {
      const init = floatInit(model, weight, (r) => r >= 3);
      if (!init) continue;
      const conv = convPatchesOf(node, init.dims);
      targets.push({ weight, tensor, features: patchFeatures(conv), conv });
    }
  }
  return targets;
}

/** MatMul and Gemm targets only (what the text-model methods took before Conv was supported). */
export function findMatMulTargets(model: OnnxModel, weights?: Iterable<string>): CaptureTarget[] {
  return findWeightTargets(model, weights, { conv: false });
}

/**
 * Weights read by a node no capture target describes (ConvTranspose), with that node's name, so a
 * method can skip them with a reason instead of silently.
 */
export function unsupportedWeightReaders(
  model: OnnxModel,
): Map<string, { node: string; opType: string; reason: string }> {
  const out = new Map<string, { node: string; opType: string; reason: string }>();
  for (const node of model.nodes) {
    const weight = node.input?.[1];
    if (!isDefaultDomain(node) || node.opType !== 'ConvTranspose' || !weight || !model.getInitializer(weight)) continue;
    out.set(weight, {
      node: node.name || '(unnamed)',
      opType: node.opType,
      reason: `read by ConvTranspose ${node.name || '(unnamed)'}: its outputs sum different kernel offsets, so one X^T X over patches does not describe it; data-aware methods leave it (int4/int8 or magnitude take it)`,
    });
  }
  return out;
}
