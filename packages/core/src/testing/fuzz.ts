/**
 * One fuzz case, in process: `inspect` and `compress` on a mutant (mutate.ts), each ending in one of
 * three verdicts. accepted: it succeeded, and a written model passes expectValidModel. refused: a
 * UserError (exit 2) with a one-line message, and nothing left in the output folder. failure:
 * anything else (a BugError, an error that is not mc's, a message of several lines, an invalid
 * output, files left behind, no answer within the time limit).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createRunContext } from '../context.js';
import { isMcError } from '../errors.js';
import type { Registry } from '../registry.js';
import { compressModel } from '../services/compress.js';
import { inspectModel } from '../services/inspect.js';
import { OrtSessionFactory } from '../session/factory.js';
import type { Mutant } from './mutate.js';
import { expectValidModel } from './valid-model.js';

export interface FuzzVerdict {
  readonly verdict: 'accepted' | 'refused' | 'failure';
  /** the error code of a refusal (E_INVALID_MODEL, ...), or what went wrong in a failure */
  readonly code?: string;
  readonly message?: string;
}

export interface FuzzCase {
  readonly mutant: Mutant;
  readonly inspect: FuzzVerdict;
  readonly compress: FuzzVerdict;
}

export interface FuzzOptions {
  readonly registry: Registry;
  /** an empty folder of its own for this case */
  readonly dir: string;
  /** default 'int8' */
  readonly method?: string;
  /** drift probes per compress (default 2: the point is the error contract, not the numbers) */
  readonly probes?: number;
  /** per step (default 30 s) */
  readonly timeoutMs?: number;
}

const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

export async function fuzzCase(mutant: Mutant, options: FuzzOptions): Promise<FuzzCase> {
  const input = join(options.dir, 'mutant.onnx');
  await fs.writeFile(input, mutant.bytes);
  const ctx = createRunContext({
    sessions: new OrtSessionFactory({ device: 'cpu' }),
    progressMode: 'silent',
    json: true,
    stream: quiet,
  });
  const limit = options.timeoutMs ?? 30_000;

  const inspect = await verdictOf(() => inspectModel(input, ctx), limit);
  const out = join(options.dir, 'out', 'model.onnx');
  await fs.mkdir(join(options.dir, 'out'));
  let compress = await verdictOf(
    () =>
      compressModel(
        options.registry,
        {
          model: input,
          methods: [{ id: options.method ?? 'int8', params: {} }],
          out,
          seed: mutant.seed,
          probes: options.probes ?? 2,
        },
        ctx,
      ),
    limit,
  );
  const left = await fs.readdir(join(options.dir, 'out'));
  if (compress.verdict === 'accepted') {
    compress = await expectValidModel(out).then(
      () => compress,
      (e: Error): FuzzVerdict => ({ verdict: 'failure', code: 'invalid-output', message: e.message }),
    );
  } else if (left.length > 0) {
    compress = {
      verdict: 'failure',
      code: 'left-behind',
      message: `${compress.code}: ${left.join(', ')} left in the output folder (${compress.message})`,
    };
  }
  return { mutant, inspect, compress };
}

async function verdictOf(step: () => Promise<unknown>, limitMs: number): Promise<FuzzVerdict> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<FuzzVerdict>((resolve) => {
    timer = setTimeout(
      () => resolve({ verdict: 'failure', code: 'hang', message: `no answer in ${limitMs / 1000} s` }),
      limitMs,
    );
  });
  const run = step().then(
    (): FuzzVerdict => ({ verdict: 'accepted' }),
    (e: unknown): FuzzVerdict => {
      const message = e instanceof Error ? e.message : String(e);
      if (!isMcError(e))
        return { verdict: 'failure', code: `not-mc:${e instanceof Error ? e.name : typeof e}`, message };
      if (e.exitCode !== 2) return { verdict: 'failure', code: e.code, message };
      if (message.includes('\n')) return { verdict: 'failure', code: 'multi-line', message };
      return { verdict: 'refused', code: e.code, message };
    },
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface FuzzCounts {
  readonly mutants: number;
  readonly accepted: number;
  /** refusals by error code */
  readonly refused: Record<string, number>;
  readonly failures: number;
}

/** Counts per step, and the failing cases (seed, kind, step, code, message). */
export function countFuzz(cases: readonly FuzzCase[]): {
  inspect: FuzzCounts;
  compress: FuzzCounts;
  failures: string[];
} {
  const count = (step: 'inspect' | 'compress'): FuzzCounts => {
    const refused: Record<string, number> = {};
    let accepted = 0;
    let failures = 0;
    for (const c of cases) {
      const v = c[step];
      if (v.verdict === 'accepted') accepted++;
      else if (v.verdict === 'refused') refused[v.code!] = (refused[v.code!] ?? 0) + 1;
      else failures++;
    }
    return { mutants: cases.length, accepted, refused, failures };
  };
  const failures = cases.flatMap((c) =>
    (['inspect', 'compress'] as const)
      .filter((s) => c[s].verdict === 'failure')
      .map(
        (s) =>
          `seed ${c.mutant.seed} (${c.mutant.kind}: ${c.mutant.description}) ${s}: ${c[s].code}: ${c[s].message?.split('\n')[0].slice(0, 300)}`,
      ),
  );
  return { inspect: count('inspect'), compress: count('compress'), failures };
}
