/**
 * Softmax, LogSoftmax and Hardmax before opset 13 coerce the input to 2-D at `axis` (default 1):
 * [d0..d(axis-1)] x [d(axis)..], and normalise over the whole second part. From 13, `axis`
 * (default -1) is one axis. Where the old axis is the last one the meaning is the same and only the
 * attribute is written out (the default changed); elsewhere, Flatten at the old axis, the op over
 * the last axis, and a Reshape back to the input's shape keep the old meaning for any rank.
 */
import type { Adapter } from '../adapt-context.js';
import { intAttr, setIntAttr } from '../attributes.js';

export const coercedAxisTo2D: Adapter = (c) => {
  const { node } = c;
  const axis = intAttr(node, 'axis') ?? 1;
  const x = node.input?.[0] ?? '';
  const rank = c.facts.rank(x);
  const last = axis === -1 || (rank !== undefined && (axis < 0 ? axis + rank : axis) === rank - 1);
  setIntAttr(node, 'axis', -1);
  if (last) return;
  const base = node.name || node.opType || 'softmax';
  const y = node.output?.[0] ?? '';
  const flat = c.fresh(`${x}_2d`);
  const shape = c.fresh(`${x}_shape`);
  const y2d = c.fresh(`${y}_2d`);
  c.before(
    { opType: 'Shape', domain: '', name: c.fresh(`${base}_shape`), input: [x], output: [shape] },
    {
      opType: 'Flatten',
      domain: '',
      name: c.fresh(`${base}_flatten`),
      input: [x],
      output: [flat],
      attribute: [{ name: 'axis', type: 2, i: axis }],
    },
  );
  node.input = [flat];
  node.output = [y2d];
  c.after({ opType: 'Reshape', domain: '', name: c.fresh(`${base}_reshape`), input: [y2d, shape], output: [y] });
};
