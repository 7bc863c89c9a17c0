/**
 * The MatMulNBits nodes a quant method wrote, found again for `mc decompress` (int4 and gptq), and
 * put back as MatMul over a dense weight. One place for the recognition rules: the B initializer
 * named `<W>_q<bits>` (or `<W>_q<bits>_<n>`, uniqueName's suffix) and `bits` equal to that digit,
 * no g_idx or bias input, uint8 B and zero points, float scales. Nodes that do not match are
 * someone else's and stay as they are.
 */
import { DataType, type Initializer, type NodeProto, type OnnxModel } from '@mc-kit/core';
import { encodeFloats, SCALE_TYPES, type FloatType } from './grid/float-types.js';

export const MS_DOMAIN = 'com.microsoft';

/** An INT attribute as a number, or undefined. */
export const intAttrOf = (node: NodeProto, name: string): number | undefined => {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
};

/** The initializers no node reads any more are dropped. */
export function dropIfUnused(model: OnnxModel, inits: readonly (Initializer | undefined)[]): void {
  for (const init of inits) if (init && model.consumers(init.name).length === 0) model.removeInitializer(init.name);
}

/** Every MatMulNBits reading one B (a weight shared by several MatMuls), with its tensors. */
export interface NBitsGroup {
  readonly weight: string;
  readonly nodes: NodeProto[];
  readonly B: Initializer;
  readonly scales: Initializer;
  readonly zp?: Initializer;
  readonly scaleType: FloatType;
  readonly bits: number;
  readonly K: number;
  readonly N: number;
  readonly blockSize: number;
}

/** MatMulNBits groups whose `bits` is one of `bits` and whose B is named `<W>_q<bits>`. */
export function findNBitsGroups(model: OnnxModel, bits: readonly number[]): NBitsGroup[] {
  const groups = new Map<string, NBitsGroup>();
  for (const node of model.nodes) {
    if (node.opType !== 'MatMulNBits' || node.domain !== MS_DOMAIN) continue;
    const b = intAttrOf(node, 'bits');
    const [, bName, sName, zName, ...rest] = node.input ?? [];
    const named = bName ? /^(.+)_q(\d+)(?:_\d+)?$/.exec(bName) : null;
    if (b === undefined || !bits.includes(b) || !named || Number(named[2]) !== b || rest.some((r) => r !== ''))
      continue;
    const known = groups.get(bName);
    if (known) {
      known.nodes.push(node);
      continue;
    }
    const B = model.getInitializer(bName);
    const scales = model.getInitializer(sName);
    const zp = zName ? model.getInitializer(zName) : undefined;
    const scaleType = scales && SCALE_TYPES.get(scales.dataType);
    const [K, N, blockSize] = ['K', 'N', 'block_size'].map((a) => intAttrOf(node, a));
    if (!B || B.dataType !== DataType.UINT8 || !scales || !scaleType || (zName && zp?.dataType !== DataType.UINT8))
      continue;
    if (K === undefined || N === undefined || blockSize === undefined) continue;
    groups.set(bName, { weight: named[1], nodes: [node], B, scales, zp, scaleType, bits: b, K, N, blockSize });
  }
  return [...groups.values()];
}

/** The group's nodes become MatMul(A, W) over `dense` ([K, N], stored in the scales' type). */
export function restoreNBitsGroup(model: OnnxModel, g: NBitsGroup, dense: Float32Array): string {
  for (const node of g.nodes) {
    model.removeNode(node);
    model.addNode({
      opType: 'MatMul',
      domain: '',
      name: node.name,
      input: [node.input?.[0] ?? '', g.weight],
      output: [...(node.output ?? [])],
    });
  }
  dropIfUnused(model, [g.B, g.scales, g.zp]);
  model.setInitializer(g.weight, g.scales.dataType, [g.K, g.N], encodeFloats(dense, g.scaleType));
  return g.weight;
}
