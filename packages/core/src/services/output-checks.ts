/**
 * What compress checks beyond the structure (the validator runs in save()): the input opens in a
 * plain onnxruntime CPU session before any work (a model onnxruntime refuses is the user's problem,
 * exit 2, found before minutes of compression), the dense model runs the drift probes there, and
 * the staged output must load in the same kind of session and run the same probes before it is
 * renamed into place (failing that is mc's bug, exit 1, and nothing is written).
 *
 * The sessions are the checks' memory cost, one at a time (README, "Every output is checked"):
 * onnxruntime itself (some 30 MiB resident once loaded), the input's weights while the dense probes
 * run, and the output's while they run again, where an int8 MatMul weight is dequantized to float on
 * every run. `--probes 0` skips the input's session: the input then gets the structural checks only,
 * and if the output does not load, the input is opened after all to tell whose fault it is.
 *
 * Sessions are CPU ones whatever --device says: the check is that stock onnxruntime runs the file,
 * and dense and compressed outputs are compared on one execution provider.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunContext } from '../contracts.js';
import { BugError, ErrorCodes, isMcError, UserError } from '../errors.js';
import type { ResolvedModelRef } from '../model-ref.js';
import type { OnnxModel } from '../onnx/model.js';
import { datasetProbes } from '../probe/dataset-feeds.js';
import { measureDrift, runProbes, type ProbeBaseline } from '../probe/drift.js';
import { randomProbes, type Planned } from '../probe/random-feeds.js';
import type { DriftReport } from '../probe/types.js';
import type { Registry } from '../registry.js';
import { createRng } from '../rng.js';
import { OrtSessionFactory } from '../session/factory.js';
import type { McSession, SessionOptions } from '../session/types.js';

export interface ProbeOptions {
  /** probe inputs (0: no drift measurement; the load checks still run) */
  readonly probes: number;
  readonly seed: number;
  /** --probe-dataset: text to probe with instead of random inputs */
  readonly dataset?: string;
  readonly datasetType?: string;
  /** the dataset is --calib-dataset's (no --probe-dataset given): its errors are calibration's, and the description says in-sample */
  readonly fromCalibration?: boolean;
  /** the model ref as given (the folder with tokenizer.json for --probe-dataset) */
  readonly modelRef: string;
}

export const DEFAULT_PROBES = 8;

/** Refuse what cannot work together, before any work. */
export function checkProbeOptions(options: Pick<ProbeOptions, 'probes' | 'dataset'>): void {
  if (!Number.isInteger(options.probes) || options.probes < 0)
    throw new UserError(ErrorCodes.BAD_PARAM, `--probes must be an integer >= 0 (got ${options.probes})`);
  if (options.probes === 0 && options.dataset !== undefined) {
    throw new UserError(ErrorCodes.BAD_PARAM, '--probe-dataset with --probes 0: no probe would be drawn from it', {
      hint: 'leave one of them out',
    });
  }
}

/**
 * Every check session reads the large weights from the file (mapWeights: one copy; a session on the
 * path parses them into a protobuf and copies them again, peaking at twice the weights). The input's
 * keeps that one copy: prepacking would repack every MatMul and Conv weight beside it. The output's
 * keeps onnxruntime's other defaults, which decide how the probes are computed (DequantizeLinear ->
 * MatMul fused into MatMulNBits, computed in float), and its arena: the buffer a fused int8 MatMul
 * dequantizes into on every run is then reused, where without the arena glibc kept each run's
 * (bench/int8.mjs's 8-MatMul chain, int8: a median peak over 5 runs of 255 MiB with it, 333 without).
 */
const INPUT_SESSION: SessionOptions = { quiet: true, prepack: false, mapWeights: true };
const OUTPUT_SESSION: SessionOptions = { quiet: true, mapWeights: true };
/** Loading alone (no probe to run) needs no optimization: the graph is resolved and every kernel created, and the weights stay as stored. */
const LOAD_ONLY_SESSION: SessionOptions = { quiet: true, graphOptimization: 'disabled', mapWeights: true };

function cpuSessions(): OrtSessionFactory {
  return new OrtSessionFactory({ device: 'cpu' });
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
}

/** A session on the user's model; failing to load is the user's problem. */
async function openInput(path: string): Promise<McSession> {
  try {
    return await cpuSessions().create(path, INPUT_SESSION);
  } catch (e) {
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `onnxruntime cannot load ${path}: ${firstLine(isMcError(e) ? ((e as { cause?: unknown }).cause ?? e) : e)}`,
      {
        hint: 'mc writes models that stock onnxruntime runs, so it takes only those: check the opsets and ops with mc inspect',
      },
    );
  }
}

/** What the checks of the output need to know about the input. */
export interface SourceCheck {
  readonly path: string;
  /** whether the input was opened in onnxruntime before the work */
  readonly opened: boolean;
  readonly baseline: ProbeBaseline;
}

/** Open the input in onnxruntime and run the dense side of the drift probes (nothing with --probes 0). */
export async function probeSource(
  source: ResolvedModelRef,
  model: OnnxModel,
  options: ProbeOptions,
  registry: Registry,
  ctx: RunContext,
): Promise<SourceCheck> {
  const path = source.path;
  if (options.probes === 0) return { path, opened: false, baseline: { notMeasured: 'disabled with --probes 0' } };
  const session = await openInput(path);
  try {
    return { path, opened: true, baseline: await denseBaseline(session, source, model, options, registry, ctx) };
  } finally {
    await session.release();
  }
}

async function denseBaseline(
  session: McSession,
  source: ResolvedModelRef,
  model: OnnxModel,
  options: ProbeOptions,
  registry: Registry,
  ctx: RunContext,
): Promise<ProbeBaseline> {
  const planned: Planned = options.dataset
    ? await datasetProbes(
        model,
        {
          dataset: options.dataset,
          datasetType: options.datasetType,
          count: options.probes,
          modelRef: options.modelRef,
          registry,
          fromCalibration: options.fromCalibration,
        },
        ctx,
      )
    : randomProbes(model, options.probes, createRng(options.seed), readConfig(source));
  if ('notMeasured' in planned) return planned;
  const outputs = await runProbes(session, planned);
  if (typeof outputs === 'string')
    return { notMeasured: `the dense model does not run on the probes (${planned.description}): ${outputs}` };
  const batchFirst = new Map(
    model.outputs.map((o) => [
      o.name ?? '',
      !!o.type?.tensorType?.shape?.dim?.[0]?.dimParam || !o.type?.tensorType?.shape,
    ]),
  );
  return { plan: planned, inputs: options.dataset ?? 'random', seed: options.seed, outputs, batchFirst };
}

/**
 * A session on a model mc wrote; failing to load is mc's bug, unless the input was not opened
 * before the work and onnxruntime refuses it too (then it is the user's, exit 2).
 */
async function openOutput(
  path: string,
  what: string,
  source: { path: string; opened: boolean },
  options: SessionOptions,
): Promise<McSession> {
  try {
    return await cpuSessions().create(path, options);
  } catch (e) {
    if (!source.opened) await (await openInput(source.path)).release();
    throw new BugError(
      `the ${what} model does not load in onnxruntime, so it was not written: ${firstLine(isMcError(e) ? ((e as { cause?: unknown }).cause ?? e) : e)}`,
      { cause: e },
    );
  }
}

/** A staged output that is not compared with anything (decompress): it must load. */
export async function verifyStagedLoads(path: string, what: string, sourcePath: string): Promise<void> {
  await (await openOutput(path, what, { path: sourcePath, opened: false }, LOAD_ONLY_SESSION)).release();
}

/** The staged output: it loads in onnxruntime, and runs the probes the dense model ran. */
export async function verifyStagedOutput(path: string, source: SourceCheck): Promise<DriftReport> {
  const baseline = source.baseline;
  const session = await openOutput(
    path,
    'compressed',
    source,
    'notMeasured' in baseline ? LOAD_ONLY_SESSION : OUTPUT_SESSION,
  );
  try {
    if ('notMeasured' in baseline) return { measured: false, reason: baseline.notMeasured };
    return await measureDrift(session, baseline);
  } catch (e) {
    throw new BugError(
      `the compressed model loads but fails on the probes the dense model ran, so it was not written: ${firstLine(e)}`,
      { cause: e },
    );
  } finally {
    await session.release();
  }
}

function readConfig(source: ResolvedModelRef): Record<string, unknown> | undefined {
  if (!source.dir) return undefined;
  try {
    const v = JSON.parse(readFileSync(join(source.dir, 'config.json'), 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
