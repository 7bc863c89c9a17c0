/**
 * The CausalLM adapter: a decoder export (plain or with past_key_values) scored one batch of
 * windows at a time, returning one NLL per target token.
 *
 * lossHead 'fused' (default) appends the loss head to the graph (loss-head.ts), so onnxruntime hands
 * back B*T floats instead of a [B, T, vocab] logits block; 'logits' runs the export as it is and
 * takes the log-softmax in JS (nll.ts), the reference the fused head is tested against.
 */
import { throwIfAborted } from '../context.js';
import type { LoadedModel, RunContext } from '../contracts.js';
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { float16ArrayToFloat32 } from '../onnx/dtypes.js';
import { OnnxModel } from '../onnx/model.js';
import type { McSession, SessionOptions } from '../session/types.js';
import { buildFeeds, inputSpecs, type InputSpec } from './feeds.js';
import { appendLossHead, findLogitsOutput, LOSS_OUTPUT, LOSS_TARGETS } from './loss-head.js';
import { nllFromLogits } from './nll.js';
import type { CausalLM, CausalLMOptions, LossHead, TokenWindows } from './types.js';

export interface LoadedCausalLM extends CausalLM {
  readonly lossHead: LossHead;
}

/** n_positions (GPT-2) ?? max_position_embeddings (LLaMA, most others) ?? n_ctx. */
export function contextLengthOf(config: Record<string, unknown> = {}): number | undefined {
  return [config.n_positions, config.max_position_embeddings, config.n_ctx].find(
    (v): v is number => typeof v === 'number' && v > 0,
  );
}

export async function loadCausalLM(
  model: LoadedModel,
  ctx: RunContext,
  options: CausalLMOptions = {},
): Promise<LoadedCausalLM> {
  const lossHead = options.lossHead ?? 'fused';
  const { specs, logitsName, vocabDim, bytes } = await prepare(model.path, lossHead);
  const config = model.config ?? {};
  const vocabSize = vocabDim ?? (typeof config.vocab_size === 'number' ? config.vocab_size : 0);
  const contextLength = contextLengthOf(config);
  const sessionOptions: SessionOptions = options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {};
  // 'logits' hands onnxruntime the file as it is: it reads it (and any external data) itself.
  const session: McSession = await ctx.sessions.create(bytes ?? model.path, sessionOptions);

  return {
    lossHead,
    contextLength,
    vocabSize,
    inputs: specs.map((s) => s.name),
    async tokenNll(windows: TokenWindows): Promise<Float32Array> {
      throwIfAborted(ctx.signal);
      checkWindows(windows, contextLength, vocabSize, model.ref);
      const feeds = buildFeeds(specs, windows, config);
      const rows = windows.batch * windows.length;
      if (lossHead === 'fused') {
        feeds[LOSS_TARGETS] = {
          type: 'int64',
          data: BigInt64Array.from(windows.targets, (t) => BigInt(t)),
          dims: [windows.batch, windows.length],
        };
        const out = (await session.run(feeds, [LOSS_OUTPUT]))[LOSS_OUTPUT];
        if (!(out?.data instanceof Float32Array) || out.data.length !== rows)
          throw new BugError(
            `loss head returned ${out?.type} [${out?.dims.join(', ')}], expected float32 [${windows.batch}, ${windows.length}]`,
          );
        return out.data;
      }
      const out = (await session.run(feeds, [logitsName]))[logitsName];
      const vocab = out.dims[2];
      if (out.dims.length !== 3 || out.dims[0] * out.dims[1] !== rows)
        throw new BugError(
          `logits came back as [${out.dims.join(', ')}], expected [${windows.batch}, ${windows.length}, vocab]`,
        );
      const values =
        out.type === 'float16' ? float16ArrayToFloat32(out.data as Uint16Array) : (out.data as Float32Array);
      return nllFromLogits(values, rows, vocab, windows.targets);
    },
    release: () => session.release(),
  };
}

/**
 * Read the graph, find its inputs and logits, and for 'fused' append the loss head and serialize.
 * A function of its own so that only the bytes outlive it: the decoded graph (which holds the file's
 * bytes) can be collected while onnxruntime builds the session from a third copy of the weights.
 */
async function prepare(
  path: string,
  lossHead: LossHead,
): Promise<{ specs: InputSpec[]; logitsName: string; vocabDim?: number; bytes?: Uint8Array }> {
  const graph = await OnnxModel.load(path);
  const specs = inputSpecs(graph.inputs, new Set(graph.initializerNames()));
  const logits = findLogitsOutput(graph);
  if (!logits?.name) {
    throw new UserError(ErrorCodes.BAD_MODEL, 'not a causal LM: no logits output', {
      hint: 'the model needs an output named logits, or one of shape [batch, sequence, vocab]',
    });
  }
  const v = logits.type?.tensorType?.shape?.dim?.[2]?.dimValue;
  const vocabDim = typeof v === 'number' && v > 0 ? v : undefined;
  if (lossHead === 'logits') return { specs, logitsName: logits.name, vocabDim };
  appendLossHead(graph);
  return { specs, logitsName: logits.name, vocabDim, bytes: graph.toBytes() };
}

/** Shapes are our callers' business (BugError); a window past the context or ids past the vocabulary are the user's. */
export function checkWindows(w: TokenWindows, contextLength: number | undefined, vocabSize: number, ref: string): void {
  const n = w.batch * w.length;
  if (
    !(Number.isInteger(w.batch) && w.batch > 0 && Number.isInteger(w.length) && w.length > 0) ||
    w.inputs.length !== n ||
    w.targets.length !== n
  ) {
    throw new BugError(
      `token windows: batch ${w.batch} x length ${w.length} with ${w.inputs.length} inputs and ${w.targets.length} targets`,
    );
  }
  if (contextLength !== undefined && w.length > contextLength) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `a window of ${w.length} tokens is longer than the model's context of ${contextLength} tokens`,
      {
        hint: `${ref} takes at most ${contextLength} positions (config.json); use a block size / seqlen of ${contextLength} or less`,
      },
    );
  }
  if (vocabSize > 0) {
    for (const ids of [w.inputs, w.targets]) {
      for (let i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= vocabSize) {
          throw new UserError(
            ErrorCodes.BAD_MODEL,
            `token id ${ids[i]} is outside the model's vocabulary of ${vocabSize}`,
            {
              hint: 'the tokenizer does not belong to this model: use the tokenizer.json saved with it',
            },
          );
        }
      }
    }
  }
}
