/**
 * int8 and int4 each have a standard ONNX form that needs a newer opset than many exported models
 * carry (per-channel DequantizeLinear: 13; blocked int4 DequantizeLinear: 21) and a decode that is
 * valid at any opset from 9 (Cast and Mul; int4 nibbles unpacked with integer ops). Per model:
 * the standard form when core's verified upgrade moves the model there (every op adapts and
 * onnxruntime gives the same outputs before and after), else the model's own opset. `--keep-opset`
 * never raises it.
 */
import {
  checkUpgrade,
  throwIfAborted,
  toNumber,
  upgradeOpset,
  type OnnxModel,
  type ParamSpec,
  type RunContext,
} from '@mc-kit/core';

export const KEEP_OPSET_PARAM = Object.freeze({
  name: 'keep-opset',
  type: 'boolean',
  default: false,
  description:
    "never raise the model's opset: below the opset of the standard form (DequantizeLinear per channel: 13, blocked int4 DequantizeLinear: 21) decode with older ops instead (Cast and Mul; 4-bit codes unpacked with integer ops), which onnxruntime folds into dense weights at load",
} as const satisfies ParamSpec);

export interface OpsetChoice {
  /** the default-domain opset the method writes for */
  readonly opset: number;
  readonly notes: string[];
  /** make the model that opset (the checked upgrade; nothing where it already is): call after the last step that may fail */
  readonly apply: () => void;
}

/**
 * The opset to write for: `wanted` (for `why`) where the model is lower and the upgrade is allowed
 * and checks out, else the model's own. The model is not touched until `apply()`, so a method
 * can still fail cleanly in between. The notes say what happened and why.
 */
export async function chooseOpset(
  model: OnnxModel,
  wanted: number,
  why: string,
  keep: boolean,
  ctx: RunContext,
): Promise<OpsetChoice> {
  const current = model.opset('') ?? 1;
  const keepIt = (notes: string[]) => ({ opset: current, notes, apply: () => undefined });
  if (current >= wanted) return keepIt([]);
  if (keep) return keepIt([`kept opset ${current} (--keep-opset); ${why} would need ${wanted}`]);
  throwIfAborted(ctx.signal);
  const irBefore = toNumber(model.proto.irVersion ?? 0);
  const r = await checkUpgrade(model, wanted, ctx);
  if (!r.ok) return keepIt([`kept opset ${current}: ${why} needs opset ${wanted}, and ${r.reason}`]);
  const adapted = r.report.adapted.map((a) => `${a.op}@${a.opset} x${a.nodes}`).join(', ');
  const notes = [
    `raised the opset from ${current} to ${wanted} for ${why} (${adapted ? `rewrote ${adapted}` : 'no op needed rewriting'}; outputs equal on ${r.verification.probes} probe inputs)`,
  ];
  if (r.report.irTo !== irBefore)
    notes.push(`raised the IR version from ${irBefore} to ${r.report.irTo}, which opset ${wanted} needs`);
  return { opset: wanted, notes, apply: () => void upgradeOpset(model, wanted) };
}
