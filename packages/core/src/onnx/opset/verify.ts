/**
 * An upgrade is kept only when onnxruntime gives the same outputs before and after it: both models
 * run on the same seeded probe inputs (probe/random-feeds.ts), and every output must agree to
 * `tolerance` relative to its scale. Where they do not, the nodes an adapter rewrote are exposed
 * as outputs in both models and the first one (in graph order) whose value moved is named.
 */
import type { RunContext } from '../../contracts.js';
import { ErrorCodes, isMcError, UserError } from '../../errors.js';
import { compareOutputs, type OutputDifference } from '../../probe/compare.js';
import { probeFeeds, SIZE_PLANS } from '../../probe/random-feeds.js';
import type { HostTensor } from '../../session/types.js';
import { OnnxModel } from '../model.js';
import { planUpgrade, upgradeOpset, type UpgradeReport } from './upgrade.js';
import { crossings } from './versions.js';

export interface VerifyOptions {
  /** probe inputs (default 3) */
  readonly probes?: number;
  /** largest relative difference allowed per output (default 1e-5) */
  readonly tolerance?: number;
}

export interface Verification {
  readonly probes: number;
  readonly tolerance: number;
  /** per output, the largest difference over the probes */
  readonly outputs: OutputDifference[];
}

export type Sessions = Pick<RunContext, 'sessions' | 'rng'>;

const firstLine = (e: unknown) =>
  (e instanceof Error ? e.message : String(e))
    .split('\n')[0]
    .replace(/^Error: /, '')
    .slice(0, 300);

type Feeds = Record<string, HostTensor>;

async function open(ctx: Sessions, bytes: Uint8Array, what: string) {
  try {
    return await ctx.sessions.create(bytes, { graphOptimization: 'basic', quiet: true });
  } catch (e) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `onnxruntime-node cannot load the model ${what}: ${isMcError(e) ? e.message.replace(/^onnxruntime cannot load the model: (Error: )?/, '') : firstLine(e)}`,
      { cause: e },
    );
  }
}

function runFailure(e: unknown, f: Feeds, what: string): UserError {
  return new UserError(
    ErrorCodes.UNSUPPORTED,
    `onnxruntime-node cannot run the model ${what} on probe inputs (${Object.entries(f)
      .map(([n, t]) => `${n} [${t.dims.join('x')}]`)
      .join(', ')}): ${firstLine(e)}`,
    {
      hint: 'mc tried symbolic dimensions at batch 1 with image sides 32 and others 8, then every one at 1, 64 and 512 (a past length at 0); a model that needs other sizes cannot be checked',
      cause: e,
    },
  );
}

async function runAll(ctx: Sessions, bytes: Uint8Array, feeds: Feeds[], what: string): Promise<Feeds[]> {
  const session = await open(ctx, bytes, what);
  try {
    const outs: Feeds[] = [];
    for (const f of feeds)
      outs.push(await session.run(f).catch((e: unknown) => Promise.reject(runFailure(e, f, what))));
    return outs;
  } finally {
    await session.release();
  }
}

/** The reference run: the first size plan (probe/random-feeds.ts) the model runs with picks the feeds. */
async function runReference(
  ctx: Sessions,
  model: OnnxModel,
  bytes: Uint8Array,
  probes: number,
  what: string,
): Promise<{ feeds: Feeds[]; outs: Feeds[] }> {
  const session = await open(ctx, bytes, what);
  try {
    let first: UserError | undefined;
    for (const plan of SIZE_PLANS) {
      const feeds = probeFeeds(model, probes, ctx.rng.seed, plan);
      try {
        const outs: Feeds[] = [];
        for (const f of feeds) outs.push(await session.run(f));
        return { feeds, outs };
      } catch (e) {
        first ??= runFailure(e, feeds[0], what);
      }
    }
    throw first!;
  } finally {
    await session.release();
  }
}

/** The worst difference per output over all probes. */
function worst(reference: Record<string, HostTensor>[], other: Record<string, HostTensor>[]): OutputDifference[] {
  const byName = new Map<string, OutputDifference>();
  reference.forEach((r, i) => {
    for (const d of compareOutputs(r, other[i])) {
      const seen = byName.get(d.name);
      if (!seen || d.relative > seen.relative) byName.set(d.name, d);
    }
  });
  return [...byName.values()];
}

function withOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const model = OnnxModel.fromBytes(bytes);
  const have = new Set(model.outputs.map((o) => o.name));
  for (const name of names) if (!have.has(name)) model.outputs.push({ name }); // onnxruntime infers the type
  return model.toBytes();
}

/** The first rewritten node whose own outputs moved, else the ops whose schema changed on the way. */
async function blame(
  ctx: Sessions,
  model: OnnxModel,
  before: Uint8Array,
  after: Uint8Array,
  report: UpgradeReport,
  feeds: Record<string, HostTensor>,
  tolerance: number,
): Promise<string> {
  const produced = (bytes: Uint8Array) => new Set(OnnxModel.fromBytes(bytes).nodes.flatMap((n) => n.output ?? []));
  const inBoth = [produced(before), produced(after)];
  const names = report.touched.flatMap((t) => t.outputs.filter((o) => o !== '' && inBoth.every((s) => s.has(o))));
  if (names.length > 0) {
    const [b] = await runAll(ctx, withOutputs(before, names), [feeds], `at opset ${report.from}`);
    const [a] = await runAll(ctx, withOutputs(after, names), [feeds], `at opset ${report.to}`);
    for (const t of report.touched) {
      const moved = t.outputs
        .filter((o) => b[o] && a[o])
        .map((o) => compareOutputs({ [o]: b[o] }, { [o]: a[o] })[0])
        .find((d) => d.relative > tolerance);
      if (moved)
        return `${t.op} (node ${t.node || '?'}: ${moved.name} differs by ${moved.relative.toExponential(2)} relative)`;
    }
  }
  const changed = [
    ...new Set(model.nodes.map((n) => n.opType ?? '').filter((op) => crossings(op, report.from, report.to).length > 0)),
  ].sort();
  return `one of the ops whose schema changed between opset ${report.from} and ${report.to}: ${changed.join(', ') || 'none in the main graph'}`;
}

/** Run both versions on the same probes; throws E_UNSUPPORTED naming the op where they differ. */
export async function verifyUpgrade(
  model: OnnxModel,
  before: Uint8Array,
  after: Uint8Array,
  report: UpgradeReport,
  ctx: Sessions,
  options: VerifyOptions = {},
): Promise<Verification> {
  const probes = options.probes ?? 3;
  const tolerance = options.tolerance ?? 1e-5;
  const { feeds, outs: reference } = await runReference(ctx, model, before, probes, `at opset ${report.from}`);
  const converted = await runAll(ctx, after, feeds, `at opset ${report.to}`);
  const outputs = worst(reference, converted);
  const bad = outputs.find((d) => !(d.relative <= tolerance));
  if (bad) {
    const culprit = await blame(ctx, model, before, after, report, feeds[0], tolerance);
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `the model at opset ${report.to} does not compute what it did at opset ${report.from}: output ${bad.name} differs by ${bad.relative.toExponential(2)} relative (more than ${tolerance}); the cause is ${culprit}`,
      {
        hint: `mc keeps only conversions that give the same outputs; re-export the model at opset ${report.to} from its framework`,
      },
    );
  }
  return { probes, tolerance, outputs };
}

/**
 * Whether `model` can be moved to opset `to`: a copy is upgraded and run beside it. The model is
 * not touched; `upgradeOpset(model, to)` afterwards makes the same (deterministic) edit. Gives the
 * one-line reason instead of throwing where the answer is no.
 */
export async function checkUpgrade(
  model: OnnxModel,
  to: number,
  ctx: Sessions,
  options: VerifyOptions = {},
): Promise<{ ok: true; report: UpgradeReport; verification: Verification } | { ok: false; reason: string }> {
  const from = model.opset('') ?? 1;
  const blockers = planUpgrade(model, to);
  if (blockers.length > 0)
    return { ok: false, reason: `${blockers.map((b) => b.op).join(', ')} cannot be moved from opset ${from} to ${to}` };
  try {
    const before = model.toBytes();
    const copy = OnnxModel.fromBytes(before, model.baseDir);
    const report = upgradeOpset(copy, to);
    return { ok: true, report, verification: await verifyUpgrade(model, before, copy.toBytes(), report, ctx, options) };
  } catch (e) {
    if (isMcError(e) && e.exitCode === 2 && e.code !== ErrorCodes.ABORTED) return { ok: false, reason: e.message };
    throw e;
  }
}

/** Move `model` to opset `to` in place once a copy moved the same way gave the same outputs (throws E_UNSUPPORTED otherwise, the model untouched). */
export async function upgradeVerified(
  model: OnnxModel,
  to: number,
  ctx: Sessions,
  options: VerifyOptions = {},
): Promise<{ report: UpgradeReport; verification: Verification }> {
  const before = model.toBytes();
  const copy = OnnxModel.fromBytes(before, model.baseDir);
  const report = upgradeOpset(copy, to);
  const verification = await verifyUpgrade(model, before, copy.toBytes(), report, ctx, options);
  upgradeOpset(model, to); // the same deterministic edit, now on the model itself
  return { report, verification };
}
