/**
 * Attributes that became int64 inputs: Slice's starts/ends/axes (opset 10), TopK's k (10),
 * Squeeze/Unsqueeze/ReduceSum's axes and Split's split (13), the other Reduce*'s axes (18), DFT's
 * axis (20). The values move unchanged into a constant at the input slot the new schema gives them;
 * an absent attribute stays absent (the new input's default means the same: reduce or squeeze
 * every axis, equal splits, DFT axis 1 = -2 on its rank-3 signal).
 */
import { DataType } from '../../dtypes.js';
import type { Adapter } from '../adapt-context.js';
import { intsAttr, intAttr, removeAttr } from '../attributes.js';

interface Move {
  readonly attr: string;
  /** the input slot it becomes */
  readonly input: number;
  /** an INT attribute (k, axis) rather than INTS, written as [1] or as a scalar */
  readonly single?: 'vector' | 'scalar';
}

export function attributesToInputs(...moves: Move[]): Adapter {
  return (c) => {
    const { node } = c;
    const inputs = [...(node.input ?? [])];
    for (const m of moves) {
      const values = m.single
        ? intAttr(node, m.attr) === undefined
          ? undefined
          : [BigInt(intAttr(node, m.attr)!)]
        : intsAttr(node, m.attr);
      if (values === undefined) continue;
      if ((inputs[m.input] ?? '') !== '')
        throw c.refuse(`it has both the attribute ${m.attr} and an input in slot ${m.input}`);
      const dims = m.single === 'scalar' ? [] : [values.length];
      const name = c.constant(
        `${node.name || node.opType}_${m.attr}`,
        DataType.INT64,
        dims,
        BigInt64Array.from(values),
      );
      while (inputs.length < m.input) inputs.push('');
      inputs[m.input] = name;
      removeAttr(node, m.attr);
    }
    node.input = inputs;
  };
}

/** Split-18 needs num_outputs when no split input says how to cut (equal parts before and after). */
export const splitNumOutputs: Adapter = (c) => {
  const { node } = c;
  if ((node.input?.[1] ?? '') !== '' || intAttr(node, 'num_outputs') !== undefined) return;
  node.attribute = [
    ...(node.attribute ?? []),
    { name: 'num_outputs', type: 2 /* INT */, i: (node.output ?? []).length },
  ];
};
