/** The stable topological sort save() runs: sorted graphs untouched, independent nodes keep their order. */
import type { onnx } from '../proto.js';
import { sortGraph, topologicalOrder } from './topo-sort.js';

const node = (
  name: string,
  input: string[],
  output: string[],
  attribute: onnx.IAttributeProto[] = [],
): onnx.INodeProto => ({ name, opType: 'Op', input, output, attribute });
const names = (g: onnx.IGraphProto) => g.node!.map((n) => n.name);

describe('topologicalOrder', () => {
  it('keeps a sorted graph as it is, and independent nodes in their order', () => {
    const nodes = [
      node('a', ['x'], ['a']),
      node('b', ['x'], ['b']),
      node('c', ['a', 'b'], ['c']),
      node('d', ['x'], ['d']),
    ];
    expect(topologicalOrder(nodes)).toEqual({ order: [0, 1, 2, 3] });
  });

  it('moves only what must move: a consumer after its producer, the rest in input order', () => {
    // hyper's bug: a Reshape reads t34 before the node that makes it
    const nodes = [
      node('x1', ['in'], ['p']),
      node('reshape', ['p', 't34'], ['w']),
      node('shape', [], ['t34']),
      node('use', ['w'], ['y']),
      node('other', ['in'], ['z']),
    ];
    const g: onnx.IGraphProto = { node: nodes };
    expect(sortGraph(g)).toEqual({ changed: 1 });
    expect(names(g)).toEqual(['x1', 'shape', 'reshape', 'use', 'other']);
  });

  it("orders a node after the producers of what its subgraphs read from outside, and sorts the subgraph's own nodes", () => {
    const body: onnx.IGraphProto = {
      node: [node('inner2', ['i1'], ['o']), node('inner1', ['late'], ['i1'])],
      output: [{ name: 'o' }],
    };
    const g: onnx.IGraphProto = {
      node: [
        node('if', ['cond'], ['r'], [{ name: 'then_branch', type: 5, g: body }]),
        node('producer', ['x'], ['late']),
      ],
    };
    expect(sortGraph(g)).toEqual({ changed: 2 });
    expect(names(g)).toEqual(['producer', 'if']);
    expect(names(body)).toEqual(['inner1', 'inner2']);
  });

  it('names the nodes of a cycle and leaves the graph as it was', () => {
    const g: onnx.IGraphProto = {
      node: [node('a', ['x'], ['a']), node('b', ['a', 'c'], ['b']), node('c', ['b'], ['c'])],
    };
    const result = sortGraph(g);
    expect('cycle' in result && result.cycle.map((n) => n.name)).toEqual(['b', 'c']);
    expect(names(g)).toEqual(['a', 'b', 'c']);
  });
});
