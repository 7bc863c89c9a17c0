/**
 * compress: resolve every method first (so a typo fails before any work), validate params, load
 * (the validator refuses an invalid graph), open the input in onnxruntime and run the dense side of
 * the drift probes, make every float weight a main-graph initializer (hoist-weights.ts), run the
 * chain in order on one OnnxModel, record provenance in metadata_props, write through a staging
 * folder where the output is validated, loaded and probed before it is renamed into place, and
 * describe the result. Nothing is written when any step fails.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { Compressor, CompressReport, RunContext } from '../contracts.js';
import { throwIfAborted } from '../context.js';
import { sha256File } from '../digest.js';
import { ErrorCodes, UserError } from '../errors.js';
import { resolveModelRef } from '../model-ref.js';
import { externalDataFiles } from '../onnx/external-data.js';
import { hoistWeights } from '../onnx/hoist-weights.js';
import { OnnxModel } from '../onnx/model.js';
import { collectGarbage } from '../onnx/release-memory.js';
import { checkOpsetRange } from '../onnx/opset/index.js';
import { parseParams, type Params } from '../params.js';
import type { Registry } from '../registry.js';
import { resultHeader, runProvenance, type CompressResult } from '../results.js';
import { onnxruntimeVersion } from '../session/factory.js';
import { CORE_VERSION } from '../version.js';
import type { DriftReport } from '../probe/types.js';
import { checkProbeOptions, DEFAULT_PROBES, probeSource, verifyStagedOutput } from './output-checks.js';
import { planOutput, writeOutput, type WriteOutputOptions } from './output-target.js';
import { pluginVersions } from './versions.js';

export interface MethodRequest {
  readonly id: string;
  /** raw values from flags or a recipe; validated against the method's ParamSpecs */
  readonly params: Record<string, unknown>;
}

export interface CompressRequest {
  readonly model: string;
  readonly methods: readonly MethodRequest[];
  readonly out: string;
  readonly seed: number;
  /** drift probe inputs (default 8; 0 skips the drift measurement, not the load checks) */
  readonly probes?: number;
  /** --probe-dataset: a text dataset to draw the probes from instead of random inputs */
  readonly probeDataset?: string;
  readonly probeDatasetType?: string;
  /**
   * No probeDataset: draw the probes from ctx.calibration's dataset (the CLI sets this: its
   * --calib-dataset is a ref any provider opens; a library caller's in-memory source may not be).
   */
  readonly probesFromCalibration?: boolean;
}

export const MC_META = Object.freeze({
  method: 'mc.method',
  steps: 'mc.steps',
  params: 'mc.params',
  sourceSha256: 'mc.source_sha256',
  bitsPerWeight: 'mc.bits_per_weight',
  version: 'mc.version',
});

/**
 * A bad value for a parameter that several chained methods take (prune and int8 both have
 * --granularity, with different values) gets a hint naming the flag that sets it for one method.
 */
function scopeHint(e: unknown, id: string, chain: readonly Compressor[]): unknown {
  if (!(e instanceof UserError) || chain.length < 2) return e;
  const own = chain.find((c) => c.id === id);
  const shared = own?.params.find(
    (p) =>
      e.message.includes(`--${p.name} `) && chain.some((c) => c.id !== id && c.params.some((q) => q.name === p.name)),
  );
  if (!shared) return e;
  const takers = chain.filter((c) => c.params.some((q) => q.name === shared.name)).map((c) => c.id);
  return new UserError(e.code, e.message, {
    hint: `${takers.join(' and ')} both take --${shared.name} and one value feeds both: set it per method with ${takers.map((t) => `--${t}.${shared.name}`).join(' / ')}`,
  });
}

/** One method of a chain, resolved and its parameters validated. */
export interface PlannedStep {
  readonly compressor: Compressor;
  readonly params: Params;
}

/**
 * Resolve every method and validate its parameters (ranges, syntax, conflicts), touching no file: a
 * typo or a bad value fails before any work. `mc sweep` runs it over every point first.
 */
export function planMethods(registry: Registry, methods: readonly MethodRequest[]): PlannedStep[] {
  if (methods.length === 0)
    throw new UserError(ErrorCodes.BAD_PARAM, 'no --method given', {
      hint: 'e.g. --method int8 (mc list shows the methods)',
    });
  const compressors = methods.map((m) => registry.compressor(m.id));
  return methods.map((m, i) => {
    const compressor = compressors[i];
    try {
      return { compressor, params: parseParams(compressor.params, m.params, `--method ${m.id}`) };
    } catch (e) {
      throw scopeHint(e, m.id, compressors);
    }
  });
}

/**
 * With --calib-dataset and no --probe-dataset, the drift probes are drawn from the calibration data:
 * random inputs say little about a model refit or calibrated on real data (a channel-pruned mnist-cnn
 * with its layers refit reads 152 % error and 0 % top-1 agreement on random probes while scoring
 * 97.5 % top-1), and the user has already named data the model takes. It is in-sample for the
 * data-aware methods, which the drift description says.
 */
function probesFromCalibration(
  probes: { probes: number; dataset?: string },
  request: CompressRequest,
  ctx: RunContext,
): { dataset?: string; datasetType?: string; fromCalibration?: boolean } {
  const info = ctx.calibration?.info;
  if (!request.probesFromCalibration || probes.dataset !== undefined || probes.probes === 0 || !info) return {};
  return { dataset: info.dataset, datasetType: info.datasetType, fromCalibration: true };
}

export async function compressModel(
  registry: Registry,
  request: CompressRequest,
  ctx: RunContext,
  options: WriteOutputOptions = {},
): Promise<CompressResult> {
  const t0 = performance.now();
  const plan = planMethods(registry, request.methods);
  const asked = {
    probes: request.probes ?? DEFAULT_PROBES,
    seed: request.seed,
    dataset: request.probeDataset,
    datasetType: request.probeDatasetType,
    modelRef: request.model,
  };
  checkProbeOptions(asked);
  const probes = { ...asked, ...probesFromCalibration(asked, request, ctx) };
  const source = await resolveModelRef(request.model, ctx);
  const target = await planOutput(request.out, source);
  try {
    const model = await OnnxModel.load(source.path);
    const opset = model.opset('');
    if (opset !== undefined) checkOpsetRange(opset, "the model's opset"); // 9 to 26: what every method and onnxruntime-node 1.30 take
    const sourceSha = await sha256File(source.path);
    // every float weight of the source wherever it lives (Constant nodes, If/Loop/Scan bodies included)
    const parameters = model.parameterCount();
    // the input's bytes on disk, external data included: read before any method replaces the tensors that name those files
    const inputBytes = totalBytes(source.path, model);
    const checked = await probeSource(source, model, probes, registry, ctx);
    // Weights in Constant nodes and If/Loop/Scan bodies become ordinary initializers, once, for every method.
    const hoisted = hoistWeights(model);
    const tLoad = performance.now();
    const steps: CompressReport[] = [];
    for (const { compressor, params } of plan) {
      ctx.log.debug(`running ${compressor.id} with ${JSON.stringify(params)}`);
      steps.push(await compressor.compress(model, params, ctx));
    }
    const tCompress = performance.now();
    const bitsPerWeight = [...steps].reverse().find((s) => s.bitsPerWeight !== undefined)?.bitsPerWeight;
    recordProvenance(model, steps, sourceSha, bitsPerWeight);
    throwIfAborted(ctx.signal); // interrupted during the last step: write nothing
    let drift = { measured: false, reason: 'not run' } as DriftReport;
    const written = await writeOutput(target, model, source, {
      verify: async (staged) => {
        // the staged file holds the weights now, and onnxruntime reads them from there: drop the JS copies first
        model.releaseWeights();
        await collectGarbage();
        drift = await verifyStagedOutput(staged, checked);
        await options.verify?.(staged);
      },
    });
    if (drift.measured && drift.warning) ctx.log.warn(drift.warning);
    const tSave = performance.now();

    return {
      ...resultHeader(),
      kind: 'compress',
      versions: {
        mc: CORE_VERSION,
        node: process.version,
        onnxruntime: onnxruntimeVersion(),
        plugins: pluginVersions(
          registry,
          plan.map((p) => p.compressor.id),
          'compressor',
        ),
      },
      // methods run their sessions (calibration) through ctx.sessions; the output checks always run on CPU
      ...runProvenance(ctx, 'cpu'),
      model: { ref: request.model, path: source.path, sha256: sourceSha, bytes: inputBytes },
      output: { path: target.modelPath, sha256: await sha256File(target.modelPath), bytes: written.bytes },
      steps,
      ...(hoisted.constants + hoisted.fromSubgraphs > 0 ? { hoistedWeights: hoisted } : {}),
      bitsPerWeight,
      parameters,
      ...(parameters > 0 ? { fileBitsPerParameter: (8 * written.bytes) / parameters } : {}),
      sizeRatio: inputBytes / written.bytes,
      drift,
      seed: request.seed,
      timings: {
        loadS: (tLoad - t0) / 1000,
        compressS: (tCompress - tLoad) / 1000,
        saveS: (tSave - tCompress) / 1000,
        totalS: (tSave - t0) / 1000,
      },
    };
  } finally {
    await target.release();
  }
}

function recordProvenance(
  model: OnnxModel,
  steps: readonly CompressReport[],
  sourceSha: string,
  bitsPerWeight: number | undefined,
): void {
  // A chain applied to an already-compressed model extends its step list.
  const previous = parseSteps(model.getMetadata(MC_META.steps));
  const all = [
    ...previous,
    ...steps.map((s) => ({ method: s.method, params: s.params, bitsPerWeight: s.bitsPerWeight })),
  ];
  model.setMetadata(MC_META.method, all.map((s) => s.method).join('+'));
  model.setMetadata(MC_META.steps, JSON.stringify(all));
  model.setMetadata(MC_META.params, JSON.stringify(Object.fromEntries(steps.map((s) => [s.method, s.params]))));
  if (!model.getMetadata(MC_META.sourceSha256)) model.setMetadata(MC_META.sourceSha256, sourceSha);
  if (bitsPerWeight !== undefined) model.setMetadata(MC_META.bitsPerWeight, bitsPerWeight.toFixed(4));
  model.setMetadata(MC_META.version, CORE_VERSION);
}

export interface StepRecord {
  readonly method: string;
  readonly params: Params;
  readonly bitsPerWeight?: number;
}

export function parseSteps(raw: string | undefined): StepRecord[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? (v as StepRecord[]) : [];
  } catch {
    throw new UserError(ErrorCodes.BAD_MODEL, `the model's ${MC_META.steps} metadata is not valid JSON`);
  }
}

/** The input's size on disk, external data files included (a missing one is the model's fault: exit 2, naming it). */
function totalBytes(path: string, model: OnnxModel): number {
  let bytes = statSync(path).size;
  for (const file of externalDataFiles(model.proto, dirname(path))) {
    if (!existsSync(file)) {
      throw new UserError(
        ErrorCodes.BAD_MODEL,
        `the model's external data file ${relative(dirname(path), file)} is missing`,
        {
          hint: 'external data files must sit beside the model file, as the model names them',
        },
      );
    }
    bytes += statSync(file).size;
  }
  return bytes;
}
