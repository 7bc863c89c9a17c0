/**
 * Which activations a data-aware method calibrates on: for every MatMul (Gemm) whose weight is a
 * 2-D float initializer, the tensor that multiplies it (MatMul input 0), with K features.
 */
import { DATA_TYPES } from '../onnx/dtypes.js';
import type { NodeProto, OnnxModel } from '../onnx/model.js';
import type { CaptureTarget } from './types.js';

function intAttr(node: NodeProto, name: string): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? 0 : Number(a.i);
}

/**
 * The capture target of every MatMul/Gemm reading a 2-D float initializer as input 1 (a Gemm with
 * transA is skipped: its input 0 is X^T). `weights` limits the result to those initializer names.
 */
export function findMatMulTargets(model: OnnxModel, weights?: Iterable<string>): CaptureTarget[] {
  const wanted = weights === undefined ? undefined : new Set(weights);
  const targets: CaptureTarget[] = [];
  for (const node of model.nodes) {
    const domain = node.domain ?? '';
    if ((domain !== '' && domain !== 'ai.onnx') || (node.opType !== 'MatMul' && node.opType !== 'Gemm')) continue;
    const [tensor, weight] = node.input ?? [];
    if (!tensor || !weight || (wanted && !wanted.has(weight))) continue;
    if (node.opType === 'Gemm' && intAttr(node, 'transA')) continue;
    const init = model.getInitializer(weight);
    if (!init || init.dims.length !== 2 || !DATA_TYPES[init.dataType]?.isFloat) continue;
    const features = node.opType === 'Gemm' && intAttr(node, 'transB') ? init.dims[1] : init.dims[0];
    targets.push({ weight, tensor, features });
  }
  return targets;
}
