/** Feeding an image model: picking its input/output names and running one batch with readable errors. */
import { BugError, ErrorCodes, UserError, didYouMean, isMcError } from '@mc-kit/core';
import type { HostTensor, McSession, ParamSpec } from '@mc-kit/core';

/** --input: which model input takes the images. */
export const INPUT_PARAM = Object.freeze({
  name: 'input',
  type: 'string',
  description: "model input fed with the images ('' = the model's only input)",
  default: '',
} as const satisfies ParamSpec);

/** '' picks the only input / the first output; a name must exist (with a "did you mean"). */
export function pickName(names: readonly string[], wanted: string, what: 'input' | 'output', metric: string): string {
  if (wanted === '') {
    if (what === 'output') return names[0];
    if (names.length === 1) return names[0];
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `the model has ${names.length} inputs (${names.join(', ')}); ${metric} feeds one image tensor`,
      { hint: 'name the image input with --input' },
    );
  }
  if (names.includes(wanted)) return wanted;
  const near = didYouMean(wanted, names);
  throw new UserError(ErrorCodes.BAD_PARAM, `the model has no ${what} named ${JSON.stringify(wanted)}`, {
    hint: near ? `did you mean ${near}?` : `its ${what}s: ${names.join(', ')}`,
  });
}

/** Run one batch; onnxruntime's own errors (wrong shape or dtype) become one readable line. */
export async function runBatch(
  session: McSession,
  input: string,
  output: string,
  x: HostTensor,
  metric: string,
): Promise<HostTensor> {
  try {
    const out = (await session.run({ [input]: x }, [output]))[output];
    if (!out) throw new BugError(`session returned no ${output}`);
    return out;
  } catch (e) {
    if (isMcError(e)) throw e;
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `the model cannot run on images float32 [${x.dims.join(', ')}] fed to ${input}: ${msg}`,
      { hint: `${metric} feeds NCHW float32 pixels; check --input and that the dataset matches the model` },
    );
  }
}
