/**
 * Opset 11 turned Clip's min/max and Pad's pads/value from attributes into inputs. The bounds and
 * the pad value are tensors of the data's own type, so that type must be known (tensor-facts.ts);
 * absent attributes stay absent (no bound; pad value 0).
 */
import { DataType } from '../../dtypes.js';
import type { AdaptContext, Adapter } from '../adapt-context.js';
import { floatAttr, intsAttr, removeAttr, stringAttr } from '../attributes.js';

/** Clip-6 and Pad-2 take float16, float and double. */
const FLOAT_ARRAY: Partial<Record<DataType, (v: number) => ArrayBufferView>> = {
  [DataType.FLOAT]: (v) => Float32Array.of(v),
  [DataType.FLOAT16]: (v) => Float32Array.of(v), // rounded to float16 when stored
  [DataType.DOUBLE]: (v) => Float64Array.of(v),
};

function scalarLike(c: AdaptContext, what: string, value: number): string {
  const x = c.node.input?.[0] ?? '';
  const type = c.facts.elemType(x);
  const make = type === undefined ? undefined : FLOAT_ARRAY[type];
  if (type === undefined || !make)
    throw c.refuse(
      `its ${what} must become a tensor of ${x}'s element type, which the model ${type === undefined ? 'does not declare' : `gives as ${DataType[type]}`}`,
    );
  return c.constant(`${c.node.name || c.node.opType}_${what}`, type, [], make(value));
}

export const clipBoundsToInputs: Adapter = (c) => {
  const { node } = c;
  const min = floatAttr(node, 'min');
  const max = floatAttr(node, 'max');
  if (min === undefined && max === undefined) return;
  const inputs = [node.input?.[0] ?? '', min === undefined ? '' : scalarLike(c, 'min', min)];
  if (max !== undefined) inputs.push(scalarLike(c, 'max', max));
  node.input = inputs;
  removeAttr(node, 'min');
  removeAttr(node, 'max');
};

export const padAttributesToInputs: Adapter = (c) => {
  const { node } = c;
  const pads = intsAttr(node, 'pads');
  if (!pads) throw c.refuse('it has no pads attribute');
  const value = floatAttr(node, 'value') ?? 0;
  const mode = stringAttr(node, 'mode') ?? 'constant';
  const inputs = [
    node.input?.[0] ?? '',
    c.constant(`${node.name || 'Pad'}_pads`, DataType.INT64, [pads.length], BigInt64Array.from(pads)),
  ];
  if (mode === 'constant' && value !== 0) inputs.push(scalarLike(c, 'value', value));
  node.input = inputs;
  removeAttr(node, 'pads');
  removeAttr(node, 'value');
};
