/**
 * For methods' tests on the exporter-trait models: run the whole `mc compress` service (weight
 * hoisting, the chain, the atomic write) on one model, then run the written file and the dense one in
 * onnxruntime on the model's probe inputs and measure how far apart they are.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../contracts.js';
import { OnnxModel } from '../onnx/model.js';
import type { Registry } from '../registry.js';
import type { CompressResult } from '../results.js';
import { compressModel, type MethodRequest } from '../services/compress.js';
import type { HostTensor, SessionFactory } from '../session/types.js';
import { accumulate, finish, newSums } from '../probe/compare.js';
import type { ExporterModel } from './exporter-models.js';

export interface CompressedExporterModel {
  readonly result: CompressResult;
  /** the written file, read into memory */
  readonly output: OnnxModel;
  /** ‖compressed − dense‖₂ / ‖dense‖₂ over every float output of every probe (the drift measure of `mc compress`, on the model's own probe inputs) */
  readonly relativeError: number;
}

async function runAll(
  sessions: SessionFactory,
  model: Uint8Array | string,
  probes: readonly Record<string, HostTensor>[],
): Promise<Record<string, HostTensor>[]> {
  const session = await sessions.create(model);
  try {
    const out: Record<string, HostTensor>[] = [];
    for (const feeds of probes) out.push(await session.run(feeds));
    return out;
  } finally {
    await session.release();
  }
}

/** The drift sums (probe/compare.ts) over every float output of every probe, as one relative error; Infinity where the output has NaN or Inf the dense one lacks. */
function relativeError(
  dense: readonly Record<string, HostTensor>[],
  compressed: readonly Record<string, HostTensor>[],
): number {
  const sums = newSums('all float outputs');
  dense.forEach((outputs, k) => {
    for (const [name, y] of Object.entries(outputs)) {
      if (y.type !== 'float32' && y.type !== 'float16') continue;
      const z = compressed[k][name];
      if (!z) throw new Error(`the compressed model has no output ${name}`);
      accumulate(sums, y, z);
    }
  });
  const d = finish(sums);
  return d.nonFinite > 0 ? Infinity : d.relativeError;
}

/** Compress `m` with `methods` through compressModel, and compare the output with the dense model on probes `seeds`. */
export async function compressExporterModel(
  registry: Registry,
  ctx: RunContext,
  m: ExporterModel,
  methods: readonly MethodRequest[],
  seeds: readonly number[] = [1, 2, 3, 4],
): Promise<CompressedExporterModel> {
  const dir = await mkdtemp(join(tmpdir(), 'mc-exporter-'));
  try {
    const dense = m.model.toBytes();
    const input = join(dir, 'dense.onnx');
    await writeFile(input, dense);
    const result = await compressModel(registry, { model: input, out: join(dir, 'out.onnx'), methods, seed: 1 }, ctx);
    const output = OnnxModel.fromBytes(await readFile(result.output.path)); // in memory: the folder goes below
    const probes = seeds.map((s) => m.probe(s));
    const [want, got] = [
      await runAll(ctx.sessions, dense, probes),
      await runAll(ctx.sessions, output.toBytes(), probes),
    ];
    return { result, output, relativeError: relativeError(want, got) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
