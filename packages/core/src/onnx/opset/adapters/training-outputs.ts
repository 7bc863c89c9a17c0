/**
 * Outputs that only training reads, whose type or existence changed:
 * - Dropout's mask became bool at opset 10: an unread mask is dropped, a read one refused.
 *   Dropout-12 also took its ratio as an input (it changes nothing at inference, but is kept).
 * - BatchNormalization before 14 is in training mode exactly when it declares more than one
 *   output (Y, mean, var, saved_mean, saved_var); from 14 that is training_mode=1, with outputs
 *   Y, running_mean, running_var and no saved statistics. A one-output node needs nothing; a
 *   training node keeps its mode and first three outputs, and is refused if the saved ones are read.
 */
import { DataType } from '../../dtypes.js';
import type { AdaptContext, Adapter } from '../adapt-context.js';
import { floatAttr, removeAttr, setIntAttr } from '../attributes.js';

/** Keep the first `keep` outputs; the others must be unread. */
function dropUnreadOutputs(c: AdaptContext, keep: number, why: string): void {
  const outputs = c.node.output ?? [];
  const extra = outputs.slice(keep);
  const read = extra.filter((o) => o !== '' && c.isUsed(o));
  if (read.length > 0) throw c.refuse(`${read.join(', ')} ${read.length > 1 ? 'are' : 'is'} read, and ${why}`);
  for (const o of extra) if (o) c.dropValueInfo(o);
  c.node.output = outputs.slice(0, keep);
}

export const dropoutMaskBool: Adapter = (c) => dropUnreadOutputs(c, 1, "Dropout's mask became bool at opset 10");

export const dropoutRatioInput: Adapter = (c) => {
  const ratio = floatAttr(c.node, 'ratio');
  if (ratio === undefined) return; // 0.5 either way
  const name = c.constant(`${c.node.name || 'Dropout'}_ratio`, DataType.FLOAT, [], Float32Array.of(ratio));
  c.node.input = [c.node.input?.[0] ?? '', name];
  removeAttr(c.node, 'ratio');
};

export const batchNormTrainingMode: Adapter = (c) => {
  while ((c.node.output?.length ?? 0) > 1 && c.node.output![c.node.output!.length - 1] === '') c.node.output!.pop();
  if ((c.node.output?.length ?? 0) <= 1) return;
  dropUnreadOutputs(c, 3, 'BatchNormalization-14 has no saved mean and variance');
  setIntAttr(c.node, 'training_mode', 1);
};
