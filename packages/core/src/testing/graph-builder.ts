/**
 * A small fluent builder of ONNX graphs, for tests of mc and of plugins: a few lines give a real
 * model that onnxruntime-node runs, with known weights, so expected outputs can be worked out by hand.
 *
 *   const g = new GraphBuilder({ opset: 17 });
 *   const x = g.input('x', DataType.FLOAT, ['batch', 4]);
 *   const w = g.initializer('w', DataType.FLOAT, [4, 3], new Float32Array([...]));
 *   const y = g.relu(g.matMul(x, w));
 *   g.output(y, DataType.FLOAT, ['batch', 3]);
 *   const model = g.build();
 *
 * Tensor names returned by one call are the inputs of the next; node and output names are generated
 * (`MatMul_0`, `MatMul_0_out`) and never collide with names given by hand.
 */
import { BugError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import { makeTensor } from '../onnx/initializer.js';
import { OnnxModel } from '../onnx/model.js';
import { pb, type onnx } from '../onnx/proto.js';

/** A dimension: a size, or a symbolic name such as 'batch'. */
export type Dim = number | string;

/** An attribute with its ONNX type spelled out (a bare number cannot say whether 1 is an int or a float). */
export type TypedAttr =
  | { readonly type: 'int' | 'float'; readonly value: number }
  | { readonly type: 'ints' | 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'tensor'; readonly value: onnx.ITensorProto }
  | { readonly type: 'graph'; readonly value: onnx.IGraphProto };

/** Bare numbers are ints when integral, else floats (arrays likewise); use `attr.float(1)` to force. */
export type AttrValue = number | string | readonly number[] | readonly string[] | TypedAttr;

export const attr = {
  int: (value: number): TypedAttr => ({ type: 'int', value }),
  float: (value: number): TypedAttr => ({ type: 'float', value }),
  ints: (value: readonly number[]): TypedAttr => ({ type: 'ints', value }),
  floats: (value: readonly number[]): TypedAttr => ({ type: 'floats', value }),
  string: (value: string): TypedAttr => ({ type: 'string', value }),
  strings: (value: readonly string[]): TypedAttr => ({ type: 'strings', value }),
  tensor: (dataType: DataType, dims: readonly number[], data: ArrayBufferView): TypedAttr => ({
    type: 'tensor',
    value: makeTensor('', dataType, dims, data),
  }),
  /** A body (If branch, Loop/Scan body) built by another GraphBuilder; see GraphBuilderOptions.outerScope. */
  graph: (body: GraphBuilder): TypedAttr => ({ type: 'graph', value: body.toGraph() }),
};

export interface GraphBuilderOptions {
  /** Default-domain opset (default 17). */
  opset?: number;
  /** Default 8 (what onnxruntime-node 1.30 and onnx 1.12+ read). */
  irVersion?: number;
  /** Other opset imports, e.g. { 'com.microsoft': 1 }. */
  opsets?: Record<string, number>;
  name?: string;
  /**
   * For a body (If branch, Loop/Scan body): names of the enclosing graph that its nodes may read
   * (ONNX outer-scope reads). Value names must stay unique across scopes: name a body's nodes and
   * outputs by hand where the generated ones (`MatMul_0_out`) could repeat an outer name.
   */
  outerScope?: readonly string[];
}

export interface NodeOptions {
  domain?: string;
  /** Output names, or how many to generate (default 1). */
  outputs?: number | readonly string[];
  name?: string;
}

export interface ConvAttrs {
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  kernelShape?: readonly number[];
  group?: number;
}

export interface GemmAttrs {
  alpha?: number;
  beta?: number;
  transA?: boolean | number;
  transB?: boolean | number;
}

export class GraphBuilder {
  private readonly graph: onnx.IGraphProto = { name: 'graph', node: [], initializer: [], input: [], output: [] };
  private readonly opsets = new Map<string, number>();
  private readonly irVersion: number;
  /** Every tensor and node name in use. */
  private readonly taken = new Set<string>();
  private readonly tensors = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(options: GraphBuilderOptions = {}) {
    this.irVersion = options.irVersion ?? 8;
    this.graph.name = options.name ?? 'graph';
    this.opsets.set('', options.opset ?? 17);
    for (const [domain, version] of Object.entries(options.opsets ?? {})) this.opsets.set(domain, version);
    for (const name of options.outerScope ?? []) this.claim(name, true);
  }

  input(name: string, dataType: DataType, shape: readonly Dim[]): string {
    this.claim(name, true);
    this.graph.input!.push(valueInfo(name, dataType, shape));
    return name;
  }

  initializer(name: string, dataType: DataType, dims: readonly number[], data: ArrayBufferView): string {
    this.claim(name, true);
    this.graph.initializer!.push(makeTensor(name, dataType, dims, data));
    return name;
  }

  /** Mark `name` as a graph output (shape optional: onnxruntime does not need it). */
  output(name: string, dataType: DataType, shape?: readonly Dim[]): string {
    if (!this.tensors.has(name)) throw new BugError(`GraphBuilder: output ${name} is not a tensor of this graph`);
    this.graph.output!.push(valueInfo(name, dataType, shape));
    return name;
  }

  /** Any node. Returns its output names. '' stands for an omitted optional input. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue | undefined> = {},
    options: NodeOptions = {},
  ): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.tensors.has(i))
        throw new BugError(`GraphBuilder: ${opType} input ${i} is not a tensor of this graph`);
    }
    const name = options.name ?? this.nodeName(opType);
    this.claim(name, false);
    const wanted = options.outputs ?? 1;
    const outputs =
      typeof wanted === 'number'
        ? Array.from({ length: wanted }, (_, k) => this.fresh(wanted === 1 ? `${name}_out` : `${name}_out${k}`))
        : [...wanted];
    for (const o of outputs) this.claim(o, true);
    const domain = options.domain ?? '';
    if (!this.opsets.has(domain)) this.opsets.set(domain, 1);
    const attribute = Object.entries(attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([key, value]) => toAttribute(key, value));
    this.graph.node!.push({ name, opType, domain, input: [...inputs], output: outputs, attribute });
    return outputs;
  }

  matMul(a: string, b: string): string {
    return this.node('MatMul', [a, b])[0];
  }
  add(a: string, b: string): string {
    return this.node('Add', [a, b])[0];
  }
  sub(a: string, b: string): string {
    return this.node('Sub', [a, b])[0];
  }
  mul(a: string, b: string): string {
    return this.node('Mul', [a, b])[0];
  }
  div(a: string, b: string): string {
    return this.node('Div', [a, b])[0];
  }
  relu(x: string): string {
    return this.node('Relu', [x])[0];
  }
  identity(x: string): string {
    return this.node('Identity', [x])[0];
  }
  globalAveragePool(x: string): string {
    return this.node('GlobalAveragePool', [x])[0];
  }
  flatten(x: string, axis = 1): string {
    return this.node('Flatten', [x], { axis: attr.int(axis) })[0];
  }
  gather(data: string, indices: string, axis = 0): string {
    return this.node('Gather', [data, indices], { axis: attr.int(axis) })[0];
  }

  /** Reshape to a tensor name, or to a literal shape (stored as an int64 initializer). */
  reshape(x: string, shape: string | readonly number[]): string {
    const target =
      typeof shape === 'string'
        ? shape
        : this.initializer(
            this.fresh('shape'),
            DataType.INT64,
            [shape.length],
            BigInt64Array.from(shape, (d) => BigInt(d)),
          );
    return this.node('Reshape', [x, target])[0];
  }

  gemm(a: string, b: string, c?: string, attrs: GemmAttrs = {}): string {
    return this.node('Gemm', c === undefined ? [a, b] : [a, b, c], {
      alpha: attrs.alpha === undefined ? undefined : attr.float(attrs.alpha),
      beta: attrs.beta === undefined ? undefined : attr.float(attrs.beta),
      transA: attrs.transA === undefined ? undefined : attr.int(Number(attrs.transA)),
      transB: attrs.transB === undefined ? undefined : attr.int(Number(attrs.transB)),
    })[0];
  }

  conv(x: string, w: string, b?: string, attrs: ConvAttrs = {}): string {
    const ints = (v?: readonly number[]) => (v === undefined ? undefined : attr.ints(v));
    return this.node('Conv', b === undefined ? [x, w] : [x, w, b], {
      strides: ints(attrs.strides),
      pads: ints(attrs.pads),
      dilations: ints(attrs.dilations),
      kernel_shape: ints(attrs.kernelShape),
      group: attrs.group === undefined ? undefined : attr.int(attrs.group),
    })[0];
  }

  /** The graph alone, for attr.graph (shared with the builder, as toProto's). */
  toGraph(): onnx.IGraphProto {
    return this.graph;
  }

  /** The ModelProto as a plain object; it shares the builder's graph (build() or toBytes() for a snapshot). */
  toProto(): onnx.IModelProto {
    return {
      irVersion: this.irVersion,
      producerName: 'mc GraphBuilder',
      opsetImport: [...this.opsets].map(([domain, version]) => ({ domain, version })),
      graph: this.graph,
    };
  }

  toBytes(): Uint8Array {
    return pb.ModelProto.encode(this.toProto()).finish();
  }

  /** A model of its own (decoded from the bytes, so later builder calls do not reach it). */
  build(): OnnxModel {
    return OnnxModel.fromBytes(this.toBytes());
  }

  private claim(name: string, isTensor: boolean): void {
    if (!name || this.taken.has(name))
      throw new BugError(`GraphBuilder: name "${name}" is ${name ? 'already used' : 'empty'}`);
    this.taken.add(name);
    if (isTensor) this.tensors.add(name);
  }

  /** `base` if free, else `base_1`, `base_2`, ... */
  private fresh(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  /** Node names count per op type: MatMul_0, MatMul_1, ... */
  private nodeName(opType: string): string {
    let k = this.counters.get(opType) ?? 0;
    while (this.taken.has(`${opType}_${k}`)) k++;
    this.counters.set(opType, k + 1);
    return `${opType}_${k}`;
  }
}

function valueInfo(name: string, elemType: DataType, shape?: readonly Dim[]): onnx.IValueInfoProto {
  const dim = shape?.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, ...(dim ? { shape: { dim } } : {}) } } };
}

const A = pb.AttributeProto.AttributeType;

function toAttribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const typed: TypedAttr =
    typeof value === 'number'
      ? { type: Number.isInteger(value) ? 'int' : 'float', value }
      : typeof value === 'string'
        ? { type: 'string', value }
        : Array.isArray(value) && value.every((v) => typeof v === 'string') && value.length > 0
          ? { type: 'strings', value: value as string[] }
          : Array.isArray(value)
            ? { type: (value as number[]).every(Number.isInteger) ? 'ints' : 'floats', value: value as number[] }
            : (value as TypedAttr);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  switch (typed.type) {
    case 'int':
      return { name, type: A.INT, i: typed.value };
    case 'float':
      return { name, type: A.FLOAT, f: typed.value };
    case 'ints':
      return { name, type: A.INTS, ints: [...typed.value] };
    case 'floats':
      return { name, type: A.FLOATS, floats: [...typed.value] };
    case 'string':
      return { name, type: A.STRING, s: utf8(typed.value) };
    case 'strings':
      return { name, type: A.STRINGS, strings: typed.value.map(utf8) };
    case 'tensor':
      return { name, type: A.TENSOR, t: typed.value };
    case 'graph':
      return { name, type: A.GRAPH, g: typed.value };
  }
}
