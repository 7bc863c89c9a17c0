/**
 * The test-side graph check (valid-graph.fixture.ts) finds each rule broken on purpose, and passes
 * what onnx.checker accepts (an overridable initializer, a subgraph reading an outer name, a
 * model-local function).
 */
import { DataType, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { graphProblems } from './valid-graph.fixture.js';

/** x -> Relu -> Neg -> y, and an initializer w read by an Add. */
function chain(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [2]);
  const w = g.initializer('w', DataType.FLOAT, [2], Float32Array.from([1, 2]));
  g.output(g.add(g.node('Neg', [g.relu(x)])[0], w), DataType.FLOAT, [2]);
  return g.build();
}

describe('graphProblems', () => {
  it('passes a valid model', () => {
    expect(graphProblems(chain())).toEqual([]);
  });

  it('finds a node that reads a value before its producer', () => {
    const m = chain();
    m.nodes.reverse();
    expect(graphProblems(m).join('\n')).toMatch(/node #0 Add .*reads "Neg_0_out" before anything defines it/);
  });

  it('finds an initializer defined twice, a value produced twice, a node name used twice', () => {
    const m = chain();
    m.proto.graph!.initializer!.push({ ...m.proto.graph!.initializer![0] });
    expect(graphProblems(m)).toEqual(['graph: initializer "w" defined twice']);
    const n = chain();
    n.nodes[1].output = [...n.nodes[0].output!];
    n.nodes[1].name = n.nodes[0].name;
    const said = graphProblems(n).join('\n');
    expect(said).toMatch(/output "Relu_0_out" is defined twice/);
    expect(said).toMatch(/node name used twice/);
    const o = chain();
    o.nodes[0].output = ['w'];
    expect(graphProblems(o).join('\n')).toMatch(/output "w" is defined twice/);
  });

  it('finds an element type that differs between declarations, and an output never defined', () => {
    const m = chain();
    m.proto.graph!.valueInfo = [{ name: 'w', type: { tensorType: { elemType: DataType.INT64 } } }];
    expect(graphProblems(m).join('\n')).toMatch(/"w" is element type 1 in one place and 7 as value_info/);
    const n = chain();
    n.outputs.push({ name: 'nowhere', type: { tensorType: { elemType: DataType.FLOAT } } });
    expect(graphProblems(n)).toEqual(['graph: graph output "nowhere" is never defined']);
  });

  it('below IR 4, finds an initializer that is not also a graph input', () => {
    const m = chain();
    m.proto.irVersion = 3;
    expect(graphProblems(m)).toEqual(['graph: initializer "w" is not a graph input (IR 3 < 4 requires it)']);
    m.inputs.push({ name: 'w', type: { tensorType: { elemType: DataType.FLOAT } } });
    expect(graphProblems(m)).toEqual([]);
  });

  it('accepts an overridable initializer and a subgraph reading an outer name; checks inside subgraphs', () => {
    const m = chain();
    m.inputs.push({ name: 'w', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } } });
    const branch = (reads: string) => ({
      name: 'b',
      node: [{ opType: 'Identity', input: [reads], output: ['o'] }],
      output: [{ name: 'o', type: { tensorType: { elemType: DataType.FLOAT } } }],
    });
    m.proto.graph!.initializer!.push({ name: 'c', dataType: DataType.BOOL, dims: [], int32Data: [1] });
    m.nodes.push({
      opType: 'If',
      input: ['c'],
      output: ['z'],
      attribute: [
        { name: 'then_branch', type: 5, g: branch('w') },
        { name: 'else_branch', type: 5, g: branch('w') },
      ],
    });
    expect(graphProblems(m)).toEqual([]);
    m.nodes[m.nodes.length - 1].attribute![1].g = branch('later');
    expect(graphProblems(m).join('\n')).toMatch(/subgraph "b" node #0 Identity: reads "later"/);
  });

  it('checks model-local functions: their order, that a call names one, IR >= 8', () => {
    const m = chain();
    m.setOpset('mc.test', 1);
    m.proto.functions = [
      {
        name: 'Twice',
        domain: 'mc.test',
        input: ['a'],
        output: ['r'],
        opsetImport: [{ domain: '', version: 17 }],
        node: [{ opType: 'Add', input: ['a', 'a'], output: ['r'] }],
      },
    ];
    m.nodes.push({ opType: 'Twice', domain: 'mc.test', input: ['w'], output: ['w2'] });
    expect(graphProblems(m)).toEqual([]);
    m.proto.functions[0].node = [{ opType: 'Add', input: ['a', 'b'], output: ['r'] }];
    m.nodes.push({ opType: 'Thrice', domain: 'mc.test', input: ['w'], output: ['w3'] });
    m.proto.irVersion = 7;
    expect(graphProblems(m)).toEqual([
      'model-local functions need IR 8 (the model has IR 7)',
      'function mc.test/Twice node #0 Add: reads "b" before anything defines it',
      'graph node #4 Thrice: no model-local function mc.test.Thrice',
    ]);
  });
});
