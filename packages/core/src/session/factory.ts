/**
 * The one module that owns onnxruntime (STYLE.md §9): imported lazily so `mc --help` stays fast,
 * devices mapped through one table, feeds checked against the session's inputs, sessions released.
 *
 * --device auto tries CUDA and falls back to CPU, saying so once; --device cuda fails clearly.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ErrorCodes, UserError } from '../errors.js';
import { readMappedModel } from '../onnx/mapped-model.js';
import type { Device, DeviceRequest, HostTensor, McSession, SessionFactory, SessionOptions } from './types.js';

export type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;

/** Lazy import: loading the native binding costs ~100 ms that `mc --help` should not pay. */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then((m) => ((m as { default?: Ort }).default ?? m) as Ort);
  return ortPromise;
}

/** Device → execution providers (the single table). */
const PROVIDERS: Record<Device, string[]> = {
  cpu: ['cpu'],
  cuda: ['cuda', 'cpu'],
};

const CUDA_HINT =
  'CUDA needs the CUDA build of onnxruntime-node: run ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node ' +
  '(see README, "CUDA"), and a visible NVIDIA GPU with CUDA 12 + cuDNN 9; or use --device cpu';

export interface SessionFactoryOptions {
  device?: DeviceRequest;
  /** told once, when auto falls back to CPU or picks CUDA */
  onDeviceChosen?: (device: Device, reason?: string) => void;
}

export class OrtSessionFactory implements SessionFactory {
  readonly requested: DeviceRequest;
  private chosen?: Device;
  private readonly onDeviceChosen?: (device: Device, reason?: string) => void;

  constructor(options: SessionFactoryOptions = {}) {
    this.requested = options.device ?? 'auto';
    this.onDeviceChosen = options.onDeviceChosen;
  }

  /** The device in use, once a session has been created. */
  get device(): Device | undefined {
    return this.chosen;
  }

  async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<McSession> {
    const ort = await loadOrt();
    const mapped = typeof model === 'string' && options.mapWeights ? await readMappedModel(model) : undefined;
    const loaded = mapped?.bytes ?? model;
    const base: import('onnxruntime-node').InferenceSession.SessionOptions = {
      graphOptimizationLevel: options.graphOptimization ?? 'all',
      // At 'extended'/'all', onnxruntime fuses DequantizeLinear -> MatMul/Gemm into MatMulNBits with
      // accuracy level 4, which also quantizes the activations to int8: a measured int8 model would
      // then carry error that weight quantization did not cause. Level 0 computes in float.
      extra: {
        session: {
          qdq_matmulnbits_accuracy_level: '0',
          ...(options.prepack === false ? { disable_prepacking: '1' } : {}),
          // a model given as bytes has no folder of its own: its external data (the file itself) is resolved here
          ...(mapped ? { model_external_initializers_file_folder_path: mapped.folder } : {}),
        },
      },
      ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
      ...(options.quiet ? { logSeverityLevel: 4 as const } : {}),
    };
    if (this.chosen === undefined && this.requested !== 'cpu') {
      const session = await this.tryCuda(ort, loaded, base);
      if (session) return session;
    }
    const device = this.chosen ?? 'cpu';
    if (this.chosen === undefined) this.choose('cpu');
    const session = await createSession(ort, loaded, { ...base, executionProviders: PROVIDERS[device] });
    return wrap(session, device);
  }

  /** First session only: CUDA if it can be had; undefined (after saying so once) when auto falls back. */
  private async tryCuda(
    ort: Ort,
    model: string | Uint8Array,
    base: import('onnxruntime-node').InferenceSession.SessionOptions,
  ): Promise<McSession | undefined> {
    const unavailable = (reason: string): undefined => {
      if (this.requested === 'cuda')
        throw new UserError(ErrorCodes.DEVICE_UNAVAILABLE, `--device cuda: CUDA is not available (${reason})`, {
          hint: CUDA_HINT,
        });
      this.choose('cpu', `CUDA not available: ${reason}`);
      return undefined;
    };
    const missing = cudaProviderMissing();
    if (missing) return unavailable(missing);
    try {
      // Severity 4 (fatal only): a failed CUDA probe otherwise prints onnxruntime's own error lines.
      const session = await createSession(ort, model, {
        ...base,
        executionProviders: PROVIDERS.cuda,
        logSeverityLevel: 4,
      });
      this.choose('cuda');
      return wrap(session, 'cuda');
    } catch (e) {
      return unavailable(firstLine(e));
    }
  }

  private choose(device: Device, reason?: string): void {
    this.chosen = device;
    this.onDeviceChosen?.(device, reason);
  }
}

async function createSession(
  ort: Ort,
  model: string | Uint8Array,
  options: import('onnxruntime-node').InferenceSession.SessionOptions,
) {
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  } catch (e) {
    if (options.executionProviders?.includes('cuda')) throw e;
    throw new UserError(ErrorCodes.BAD_MODEL, `onnxruntime cannot load the model: ${firstLine(e)}`, {
      hint: 'the file is not a model onnxruntime-node 1.30 can run (check opsets and ops with `mc inspect`)',
      cause: e,
    });
  }
}

/**
 * onnxruntime-node ships the CPU provider only; the CUDA provider's library appears in the package's
 * bin folder when it was installed with ONNXRUNTIME_NODE_INSTALL=cuda12. Checking for the file first
 * avoids a failed probe, which onnxruntime reports on stderr whatever the log level.
 */
function cudaProviderMissing(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    const lib = join(
      pkg,
      'bin',
      'napi-v6',
      `${process.platform}`,
      `${process.arch}`,
      'libonnxruntime_providers_cuda.so',
    );
    return existsSync(lib) ? undefined : 'onnxruntime-node was installed without the CUDA provider';
  } catch {
    return undefined;
  }
}

/**
 * The version of the onnxruntime-node binding (the native library ships with it, same version),
 * read from its package.json so that recording it in a result loads nothing.
 */
export function onnxruntimeVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('onnxruntime-node/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * A run error whose cause is the input, not mc: a Gather reading past its table is a window longer
 * than the model's position table, which config.json (n_positions, max_position_embeddings, n_ctx)
 * claimed it had.
 */
function inputFault(e: unknown, feeds: Record<string, HostTensor>): UserError | undefined {
  const m =
    /running Gather node\. Name:'([^']*)'.*out of data bounds, idx=(-?\d+) must be within the inclusive range \[-?\d+,(\d+)\]/.exec(
      e instanceof Error ? e.message : String(e),
    );
  if (!m) return undefined;
  const rows = Number(m[3]) + 1;
  // only where the feeds are token windows longer than the table (or positions past it); otherwise the graph is at fault
  const tokens = Object.entries(feeds).filter(([, t]) => t.type === 'int64' || t.type === 'int32');
  const tooLong = tokens.some(
    ([name, t]) =>
      (t.dims.length >= 2 && t.dims[t.dims.length - 1] > rows) ||
      (/position/.test(name) && Array.from(t.data as ArrayLike<number | bigint>).some((v) => Number(v) >= rows)),
  );
  if (!tooLong) return undefined;
  return new UserError(
    ErrorCodes.BAD_MODEL,
    `the model's Gather ${m[1]} has ${rows} rows and was asked for row ${m[2]}: the window is longer than the model's position table`,
    {
      hint: `config.json beside the model gives a context (n_positions / max_position_embeddings / n_ctx) larger than ${rows}: fix it, or use windows of at most ${rows} tokens (--calib-seqlen, --block-size, --seqlen)`,
      cause: e,
    },
  );
}

function wrap(session: import('onnxruntime-node').InferenceSession, device: Device): McSession {
  const inputNames = [...session.inputNames];
  const outputNames = [...session.outputNames];
  let released = false;
  return {
    device,
    inputNames,
    outputNames,
    async run(feeds: Record<string, HostTensor>, wanted?: readonly string[]) {
      const ort = await loadOrt();
      const missing = inputNames.filter((n) => !(n in feeds));
      const extra = Object.keys(feeds).filter((n) => !inputNames.includes(n));
      if (missing.length || extra.length) {
        throw new UserError(
          ErrorCodes.BAD_MODEL,
          `model inputs do not match: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unexpected ${extra.join(', ')}` : ''}`,
          { hint: `the model takes ${inputNames.join(', ')}` },
        );
      }
      const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        ortFeeds[name] = new ort.Tensor(t.type, t.data as never, [...t.dims]);
      }
      const result = await (wanted ? session.run(ortFeeds, [...wanted]) : session.run(ortFeeds)).catch((e: unknown) => {
        throw inputFault(e, feeds) ?? e;
      });
      const out: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(result)) {
        out[name] = { type: t.type as HostTensor['type'], data: t.data as HostTensor['data'], dims: [...t.dims] };
        t.dispose?.();
      }
      return out;
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}
