/**
 * The inverse of gptq's rewrite for `mc decompress`: every MatMulNBits over `<W>_q2`, `<W>_q4` or
 * `<W>_q8` (bits 2, 4, 8) goes back to MatMul(A, W) with W [K, N] holding exactly what onnxruntime
 * computes from the codes ((q - zp) * scale, float32, then the scales' type). Nodes gptq did not
 * write are left alone.
 */
import { DataType, throwIfAborted, type Initializer, type NodeProto, type OnnxModel, type RunContext } from '@mc-kit/core';
import { encodeFloats, type FloatType } from '../int8/float-types.js';
import { dequantValue } from '../int4/math.js';
import { MS_DOMAIN } from '../int4/rewrite.js';
import type { GroupedCodes } from './math.js';
import { unpackGptq, type StoredBits } from './pack.js';

const SCALE_TYPES: ReadonlyMap<DataType, FloatType> = new Map([
  [DataType.FLOAT, 'float32'],
  [DataType.FLOAT16, 'float16'],
  [DataType.BFLOAT16, 'bfloat16'],
]);

const attrOf = (node: NodeProto, name: string) => {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
};

/** W [K, N] from the codes, as onnxruntime dequantizes them. */
export function dequantizeGrouped(c: GroupedCodes, outType: FloatType): Float32Array {
  const { K, N, kBlocks, groupSize } = c;
  const padded = kBlocks * groupSize;
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const g = n * kBlocks + Math.floor(k / groupSize);
      out[k * N + n] = dequantValue(c.codes[n * padded + k], c.zeroPoints[g], c.scales[g], outType);
    }
  }
  return out;
}

interface Group {
  readonly weight: string;
  readonly nodes: NodeProto[];
  readonly B: Initializer;
  readonly scales: Initializer;
  readonly zp?: Initializer;
  readonly scaleType: FloatType;
  readonly bits: StoredBits;
  readonly K: number;
  readonly N: number;
  readonly blockSize: number;
}

function findGroups(model: OnnxModel): Group[] {
  const groups = new Map<string, Group>();
  for (const node of model.nodes) {
    if (node.opType !== 'MatMulNBits' || node.domain !== MS_DOMAIN) continue;
    const [, bName, sName, zName, ...rest] = node.input ?? [];
    const bits = attrOf(node, 'bits');
    const weight = bName ? /^(.+)_q([248])(?:_\d+)?$/.exec(bName) : null;
    if (!weight || Number(weight[2]) !== bits || rest.some((r) => r !== '')) continue;
    const known = groups.get(bName);
    if (known) {
      known.nodes.push(node);
      continue;
    }
    const B = model.getInitializer(bName);
    const scales = model.getInitializer(sName);
    const zp = zName ? model.getInitializer(zName) : undefined;
    const scaleType = scales && SCALE_TYPES.get(scales.dataType);
    const [K, N, blockSize] = ['K', 'N', 'block_size'].map((a) => attrOf(node, a));
    if (!B || B.dataType !== DataType.UINT8 || !scales || !scaleType || (zName && zp?.dataType !== DataType.UINT8)) continue;
    if (K === undefined || N === undefined || blockSize === undefined) continue;
    groups.set(bName, { weight: weight[1], nodes: [node], B, scales, zp, scaleType, bits: bits as StoredBits, K, N, blockSize });
  }
  return [...groups.values()];
}

export async function dequantizeGptqWeights(model: OnnxModel, ctx: RunContext): Promise<string[]> {
  const restored: string[] = [];
  for (const g of findGroups(model)) {
    throwIfAborted(ctx.signal);
    const codes = unpackGptq(
      { B: g.B.readTyped() as Uint8Array, scales: g.scales.readFloat32(), zeroPoints: g.zp?.readTyped() as Uint8Array | undefined, K: g.K, N: g.N, blockSize: g.blockSize, bits: g.bits },
      g.scaleType,
    );
    const dense = dequantizeGrouped(codes, g.scaleType);
    for (const node of g.nodes) {
      model.removeNode(node);
      model.addNode({ opType: 'MatMul', domain: '', name: node.name, input: [node.input?.[0] ?? '', g.weight], output: [...(node.output ?? [])] });
    }
    for (const init of [g.B, g.scales, g.zp]) if (init && model.consumers(init.name).length === 0) model.removeInitializer(init.name);
    model.setInitializer(g.weight, g.scales.dataType, [g.K, g.N], encodeFloats(dense, g.scaleType));
    restored.push(g.weight);
  }
  return restored;
}
