/**
 * The validator on small real models: one case per way a graph can be broken, each named by its
 * check, and onnxruntime's own verdict on the same bytes beside it (so a check that refuses what
 * onnxruntime runs, or misses what it refuses, shows up here).
 */
import { loadOrt } from '../../session/factory.js';
import { GraphBuilder } from '../../testing/graph-builder.js';
import { DataType } from '../dtypes.js';
import { EXTERNAL } from '../external-data.js';
import { normalizeInt64, pb, type onnx } from '../proto.js';
import { assertValidInput, assertValidOutput, CHECKS, prepareForSave, validateModel, type CheckName } from './index.js';

const A = pb.AttributeProto.AttributeType;
/** 2^53 + 1 as protobufjs takes an int64 it cannot hold in a number. */
const PAST_2_53 = { low: 1, high: 0x200000, unsigned: false };

/** x [1, 4] -> MatMul w -> Relu -> y */
function mlp(opset = 17, irVersion = 8): onnx.IModelProto {
  const g = new GraphBuilder({ opset, irVersion });
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  const w = g.initializer('w', DataType.FLOAT, [4, 4], new Float32Array(16).fill(0.5));
  g.output(g.relu(g.matMul(x, w)), DataType.FLOAT, [1, 4]);
  return g.toProto();
}

/** mlp's output, then an If on a graph input whose branches read the outer `w` and `Relu_0_out`. */
function withIf(): onnx.IModelProto {
  const m = mlp();
  const graph = m.graph!;
  graph.input!.push({ name: 'cond', type: { tensorType: { elemType: DataType.BOOL, shape: { dim: [] } } } });
  const branch = (name: string, op: string): onnx.IGraphProto => ({
    name,
    node: [{ name: `${name}_op`, opType: op, input: ['Relu_0_out', 'w'], output: [`${name}_y`] }],
    output: [{ name: `${name}_y`, type: { tensorType: { elemType: DataType.FLOAT } } }],
  });
  graph.node!.push({
    name: 'If_0',
    opType: 'If',
    input: ['cond'],
    output: ['branch_out'],
    attribute: [
      { name: 'then_branch', type: A.GRAPH, g: branch('then', 'MatMul') },
      { name: 'else_branch', type: A.GRAPH, g: branch('else', 'Add') },
    ],
  });
  graph.output = [{ name: 'branch_out', type: { tensorType: { elemType: DataType.FLOAT } } }];
  return m;
}

/** Through the wire, as a loaded model would be (Long dims stay Long, defaults on the prototype). */
function roundTrip(m: onnx.IModelProto): onnx.ModelProto {
  const decoded = pb.ModelProto.decode(pb.ModelProto.encode(m).finish());
  normalizeInt64(decoded);
  return decoded;
}

async function ortLoads(m: onnx.IModelProto): Promise<boolean> {
  const ort = await loadOrt();
  try {
    const s = await ort.InferenceSession.create(pb.ModelProto.encode(m).finish(), { logSeverityLevel: 4 });
    await s.release();
    return true;
  } catch {
    return false;
  }
}

const nodes = (m: onnx.IModelProto) => m.graph!.node!;
const checks = (m: onnx.IModelProto) => validateModel(roundTrip(m)).map((i) => i.check);

interface Case {
  readonly name: string;
  readonly build: () => onnx.IModelProto;
  readonly check: CheckName;
  /** what the issue names */
  readonly names: RegExp;
  /** onnxruntime-node 1.30's verdict on the same model */
  readonly ortLoads: boolean;
}

const mutate =
  (f: (m: onnx.IModelProto) => void, base = mlp) =>
  () => {
    const m = base();
    f(m);
    return m;
  };

const CASES: readonly Case[] = [
  {
    name: 'an initializer defined twice',
    build: mutate((m) => m.graph!.initializer!.push({ ...m.graph!.initializer![0] })),
    check: CHECKS.duplicate,
    names: /initializer "w" is defined twice/,
    ortLoads: true,
  },
  {
    name: 'two nodes producing one value',
    build: mutate((m) =>
      nodes(m).splice(1, 0, { name: 'dup', opType: 'Identity', input: ['x'], output: ['MatMul_0_out'] }),
    ),
    check: CHECKS.duplicate,
    names: /"MatMul_0_out" is produced by two nodes/,
    ortLoads: false,
  },
  {
    name: 'a node output named like a graph input',
    build: mutate((m) => nodes(m).push({ name: 'n', opType: 'Identity', input: ['Relu_0_out'], output: ['x'] })),
    check: CHECKS.duplicate,
    names: /"x" has the name of a graph input/,
    ortLoads: false,
  },
  {
    name: 'a node output named like an initializer',
    build: mutate((m) => nodes(m).push({ name: 'n', opType: 'Identity', input: ['Relu_0_out'], output: ['w'] })),
    check: CHECKS.duplicate,
    names: /"w" has the name of an initializer/,
    ortLoads: false,
  },
  {
    name: 'a graph input listed twice',
    build: mutate((m) => m.graph!.input!.push({ ...m.graph!.input![0] })),
    check: CHECKS.duplicate,
    names: /graph input "x" is listed twice/,
    ortLoads: false,
  },
  {
    name: 'a reference to a missing value',
    build: mutate((m) => (nodes(m)[1].input![0] = 'nope')),
    check: CHECKS.undefinedInput,
    names: /input "nope" is not defined.*node "Relu_0"/,
    ortLoads: false,
  },
  {
    name: 'an undefined graph output',
    build: mutate((m) => m.graph!.output!.push({ name: 'ghost' })),
    check: CHECKS.undefinedOutput,
    names: /graph output "ghost"/,
    ortLoads: false,
  },
  {
    name: 'a cycle',
    build: mutate((m) => (nodes(m)[0].input![0] = 'Relu_0_out')),
    check: CHECKS.cycle,
    names: /2 nodes depend on each other in a cycle/,
    ortLoads: false,
  },
  {
    name: 'two nodes of one name',
    build: mutate((m) => (nodes(m)[1].name = 'MatMul_0')),
    check: CHECKS.nodeName,
    names: /node name "MatMul_0" is used by nodes #0 and #1/,
    ortLoads: false,
  },
  {
    name: 'an attribute of unknown type',
    build: mutate((m) => (nodes(m)[1].attribute = [{ name: 'foo', type: 99 as never, i: 1 }])),
    check: CHECKS.attribute,
    names: /attribute "foo" has unknown type 99/,
    ortLoads: false,
  },
  {
    name: 'an attribute with no type',
    build: mutate((m) => (nodes(m)[1].attribute = [{ name: 'foo', i: 1 }])),
    check: CHECKS.attribute,
    names: /attribute "foo" has no type \(it holds i\)/,
    ortLoads: false,
  },
  {
    name: 'an INT attribute holding a float',
    build: mutate((m) =>
      nodes(m).push({
        name: 'f',
        opType: 'Flatten',
        input: ['Relu_0_out'],
        output: ['fl'],
        attribute: [{ name: 'axis', type: A.INT, f: 1.5 }],
      }),
    ),
    check: CHECKS.attribute,
    names: /"axis" is declared INT but holds f/,
    ortLoads: false,
  },
  {
    name: 'an int64 dim past 2^53 in a tensor',
    build: mutate((m) => (m.graph!.initializer![0].dims = [PAST_2_53 as never, 4])),
    check: CHECKS.dims,
    names: /initializer "w" has dimension 9007199254740993 is past 2\^53/,
    ortLoads: false,
  },
  {
    name: 'a negative tensor dim',
    build: mutate((m) =>
      m.graph!.initializer!.push({ name: 'neg', dataType: DataType.FLOAT, dims: [-1], rawData: new Uint8Array(0) }),
    ),
    check: CHECKS.dims,
    names: /"neg" has dimension -1 \(negative\)/,
    ortLoads: true,
  },
  {
    name: 'an input shape dim past 2^53',
    build: mutate((m) => (m.graph!.input![0].type!.tensorType!.shape!.dim![1] = { dimValue: PAST_2_53 as never })),
    check: CHECKS.dims,
    names: /graph input "x" has shape dimension 9007199254740993/,
    ortLoads: false,
  },
  {
    name: 'raw_data shorter than the dims',
    build: mutate((m) => (m.graph!.initializer![0].dims = [4, 5])),
    check: CHECKS.tensorData,
    names: /64 bytes of raw_data but its dims and float32 need 80/,
    ortLoads: false,
  },
  {
    name: 'float_data of the wrong length',
    build: mutate((m) =>
      m.graph!.initializer!.push({ name: 'b', dataType: DataType.FLOAT, dims: [3], floatData: [1, 2] }),
    ),
    check: CHECKS.tensorData,
    names: /"b" has 2 values in float_data but its dims need 3/,
    ortLoads: true,
  },
  {
    name: 'a Constant value with no data',
    build: mutate((m) => {
      nodes(m).push({
        name: 'c',
        opType: 'Constant',
        output: ['k'],
        attribute: [{ name: 'value', type: A.TENSOR, t: { dataType: DataType.FLOAT, dims: [4] } }],
      });
      nodes(m).push({ name: 'add', opType: 'Add', input: ['Relu_0_out', 'k'], output: ['sum'] });
      m.graph!.output = [{ name: 'sum', type: { tensorType: { elemType: DataType.FLOAT } } }];
    }),
    check: CHECKS.tensorData,
    names: /Constant attribute value has no data \(its dims need 4 values\)/,
    ortLoads: false,
  },
  {
    name: 'an external length that the dims contradict',
    build: mutate((m) =>
      Object.assign(m.graph!.initializer![0], {
        rawData: undefined,
        dataLocation: EXTERNAL,
        externalData: [
          { key: 'location', value: 'w.bin' },
          { key: 'length', value: '60' },
        ],
      }),
    ),
    check: CHECKS.tensorData,
    names: /external length 60 but its dims need 64 bytes/,
    ortLoads: false,
  },
  {
    name: 'an opset version past 2^53',
    build: mutate((m) => (m.opsetImport![0].version = { low: 1, high: 0x200000, unsigned: false } as never)),
    check: CHECKS.opsetImport,
    names: /the opset version of domain "ai.onnx" \(9007199254740993 is past 2\^53\) is not an opset/,
    ortLoads: false,
  },
  {
    name: 'a domain with no opset import',
    build: mutate((m) => (nodes(m)[1].domain = 'com.example')),
    check: CHECKS.opsetImport,
    names: /domain "com.example" is used but has no opset_import/,
    ortLoads: false,
  },
  {
    name: 'an IR version older than the opset',
    build: () => mlp(17, 4),
    check: CHECKS.irVersion,
    names: /IR version 4 is older than opset 17 needs \(8\)/,
    ortLoads: true,
  },
  {
    name: 'nodes out of order',
    build: mutate((m) => nodes(m).reverse()),
    check: CHECKS.order,
    names: /"MatMul_0_out" is read before the node that produces it/,
    ortLoads: true,
  },
  {
    name: 'a branch reading a value no scope defines',
    build: mutate((m) => (nodes(m)[2].attribute![0].g!.node![0].input![1] = 'nowhere'), withIf),
    check: CHECKS.undefinedInput,
    names: /"nowhere" is not defined.*in subgraph main\/If_0\.then_branch/,
    ortLoads: false,
  },
  {
    name: 'a branch output shadowing an outer value',
    build: mutate((m) => {
      const b = nodes(m)[2].attribute![1].g!;
      b.node![0].output = ['MatMul_0_out'];
      b.output![0].name = 'MatMul_0_out';
    }, withIf),
    check: CHECKS.duplicate,
    names: /"MatMul_0_out" has the name of a value of an enclosing graph/,
    ortLoads: false,
  },
];

describe('validateModel', () => {
  it('passes valid models: a plain graph, outer-scope reads from If branches, initializers listed as inputs (IR 3 and IR 8)', async () => {
    expect(validateModel(roundTrip(mlp()))).toEqual([]);
    expect(validateModel(roundTrip(withIf()))).toEqual([]);
    // IR 3 at the opsets legacy exporters wrote it with (8, and 9-11: PyTorch before 1.6, Paddle2ONNX)
    for (const [ir, opset] of [
      [3, 8],
      [3, 9],
      [3, 11],
      [8, 17],
    ]) {
      const m = mlp(opset, ir);
      m.graph!.input!.push({
        name: 'w',
        type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 4 }, { dimValue: 4 }] } } },
      });
      expect(validateModel(roundTrip(m))).toEqual([]);
      expect(await ortLoads(m)).toBe(true);
    }
    // a sparse initializer (prune --store sparse): its int64 dims come back from the wire as numbers
    const sparse = mlp();
    sparse.graph!.sparseInitializer = [
      {
        dims: [2, 3],
        values: { name: 's', dataType: DataType.FLOAT, dims: [2], floatData: [1, 2] },
        indices: { dataType: DataType.INT64, dims: [2], int64Data: [0, 4] },
      },
    ];
    expect(validateModel(roundTrip(sparse))).toEqual([]);
    // onnxruntime reads a negative dim_value in a shape as unknown: not an error
    const neg = mlp();
    neg.graph!.input![0].type!.tensorType!.shape!.dim![0] = { dimValue: -1 };
    expect(validateModel(roundTrip(neg))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const model = c.build();
    const issues = validateModel(roundTrip(model));
    expect(issues.map((i) => i.check)).toContain(c.check);
    const issue = issues.find((i) => i.check === c.check)!;
    expect(`${issue.message} (node ${issue.node}, in subgraph ${issue.graph})`).toMatch(c.names);
    expect(await ortLoads(model)).toBe(c.ortLoads);
  });

  it('names the int4 data type when it needs a newer IR than the opset', () => {
    const m = mlp(17, 8);
    m.graph!.initializer!.push({ name: 'q', dataType: DataType.INT4, dims: [3], rawData: new Uint8Array(2) });
    expect(validateModel(roundTrip(m)).map((i) => i.message)).toEqual([
      'IR version 8 is older than data type INT4 needs (10)',
    ]);
  });
});

describe('assertValidInput / assertValidOutput', () => {
  it("refuses a user's model with one line naming the check, and counts the rest", () => {
    const m = mlp();
    m.graph!.initializer!.push({ ...m.graph!.initializer![0] });
    nodes(m)[1].attribute = [{ name: 'foo', type: 99 as never, i: 1 }];
    let error: unknown;
    try {
      assertValidInput(roundTrip(m), 'm.onnx');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'E_INVALID_MODEL', exitCode: 2 });
    const message = (error as Error).message;
    expect(message).toBe(
      'm.onnx is not a valid ONNX model: [attribute-type] attribute "foo" has unknown type 99 (it holds i) (node "Relu_0"); and 1 more issue',
    );
    expect(message).not.toContain('\n');
  });

  it('takes what save() repairs: nodes out of order, an old IR version', () => {
    const m = mlp(17, 4);
    nodes(m).reverse();
    expect(checks(m).sort()).toEqual([CHECKS.irVersion, CHECKS.order]);
    expect(() => assertValidInput(roundTrip(m), 'm.onnx')).not.toThrow();
  });

  it("calls an invalid output mc's bug, naming the check", () => {
    const m = mlp();
    nodes(m).reverse();
    expect(() => assertValidOutput(roundTrip(m))).toThrow(
      expect.objectContaining({
        code: 'E_BUG',
        exitCode: 1,
        message: expect.stringMatching(
          /^the output model failed validation, so it was not written: \[topological-order\]/,
        ),
      }),
    );
  });
});

describe('prepareForSave', () => {
  it('sorts and raises the IR version, after which the model validates and runs as before', async () => {
    const m = withIf();
    m.irVersion = 4;
    nodes(m).reverse();
    expect(checks(m)).toContain(CHECKS.order);
    const decoded = roundTrip(m);
    prepareForSave(decoded);
    expect(decoded.graph!.node!.map((n) => n.name)).toEqual(['MatMul_0', 'Relu_0', 'If_0']);
    expect(decoded.irVersion).toBe(8);
    expect(validateModel(decoded)).toEqual([]);
    expect(await ortLoads(decoded)).toBe(true);
  });

  it('keeps IR 3 at any opset (its initializers are graph inputs onnxruntime treats as constants), raising it only for a data type IR 3 cannot hold', () => {
    const m = roundTrip(mlp(11, 3));
    m.graph!.input!.push({
      name: 'w',
      type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 4 }, { dimValue: 4 }] } } },
    });
    prepareForSave(m);
    expect(m.irVersion).toBe(3);
    m.graph!.initializer!.push({ name: 'q', dataType: DataType.INT4, dims: [3], rawData: new Uint8Array(2) });
    expect(validateModel(m).map((i) => i.message)).toEqual(['IR version 3 is older than data type INT4 needs (10)']);
    prepareForSave(m);
    expect(m.irVersion).toBe(10);
  });
});
