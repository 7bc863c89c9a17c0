/**
 * Two causal LMs scored together for KL divergence: a baseline (the dense model) and the model
 * being scored, one batch of windows at a time, returning per-token KL, NLLs and argmaxes.
 *
 * 'fused' (default): the baseline runs cut at its LM head and hands its hidden state [B, T, d] to the
 * model's session, whose KL head (kl-head.ts) computes everything chunk by chunk: what crosses to JS
 * is five numbers per token. 'logits': both sessions return [B, T, V] logits and kl-math.ts reduces
 * them in JS (the reference, for tests and the bench; also the fallback where the baseline's head is
 * not a float32 MatMul, said in one warning).
 */
import { throwIfAborted } from '../context.js';
import type { LoadedModel, RunContext } from '../contracts.js';
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { float16ArrayToFloat32 } from '../onnx/dtypes.js';
import { OnnxModel } from '../onnx/model.js';
import type { HostTensor, McSession } from '../session/types.js';
import { checkWindows, contextLengthOf } from './causal-lm.js';
import { buildFeeds, inputSpecs, type InputSpec } from './feeds.js';
import { appendKlHead, cutAtLmHead, KL_DENSE_HIDDEN, KL_OUTPUTS, type DenseHead } from './kl-head.js';
import { tokenKlFromLogits, type TokenKl } from './kl-math.js';
import { findLogitsOutput, LOSS_TARGETS } from './loss-head.js';
import type { TokenWindows } from './types.js';

export interface KlPairOptions {
  /** 'fused' (default): the KL head in the graph; 'logits': both logits blocks to JS */
  readonly path?: 'fused' | 'logits';
  /** vocabulary columns per chunk of the KL head */
  readonly chunk?: number;
}

export interface KlPair {
  /** how it runs: the KL head with the model's head sliced per chunk or computed whole, or logits in JS */
  readonly head: 'sliced' | 'full' | 'logits';
  readonly chunk?: number;
  /** the smaller of the two models' context lengths (config.json), if known */
  readonly contextLength?: number;
  readonly vocabSize: number;
  tokenKl(windows: TokenWindows): Promise<TokenKl>;
  release(): Promise<void>;
}

interface Side {
  readonly model: LoadedModel;
  readonly specs: InputSpec[];
  readonly session: McSession;
}

export async function loadKlPair(
  base: LoadedModel,
  model: LoadedModel,
  ctx: RunContext,
  options: KlPairOptions = {},
): Promise<KlPair> {
  const contextLength = [contextLengthOf(base.config), contextLengthOf(model.config)]
    .filter((c): c is number => c !== undefined)
    .reduce<number | undefined>((a, c) => (a === undefined ? c : Math.min(a, c)), undefined);
  if (options.path !== 'logits') {
    const fused = await prepareFused(base, model, options.chunk);
    if (fused) {
      const sessions: McSession[] = [];
      try {
        sessions.push(await ctx.sessions.create(fused.baseBytes));
        sessions.push(await ctx.sessions.create(fused.bytes));
      } catch (e) {
        await Promise.all(sessions.map((s) => s.release()));
        throw e;
      }
      const baseSide: Side = { model: base, specs: fused.baseSpecs, session: sessions[0] };
      const side: Side = { model, specs: fused.specs, session: sessions[1] };
      // the closures keep these alone, not `fused`, whose serialized graphs (all the weights) onnxruntime has copied
      const { dense, compressedHead, chunk } = fused;
      return {
        head: compressedHead,
        chunk,
        contextLength,
        vocabSize: dense.vocab,
        tokenKl: (w) => fusedKl(baseSide, side, dense, w, contextLength, ctx),
        release: async () => {
          await Promise.all(sessions.map((s) => s.release()));
        },
      };
    }
    ctx.log.warn(
      `kld: the baseline's LM head is not a float32 MatMul; comparing through full logits (memory grows with the vocabulary)`,
    );
  }
  return logitsPair(base, model, ctx, contextLength);
}

/** Both graphs read, the baseline cut at its head and the model given the KL head; undefined when the baseline's head is not recognised. */
async function prepareFused(base: LoadedModel, model: LoadedModel, chunk: number | undefined) {
  const baseGraph = await OnnxModel.load(base.path);
  const baseSpecs = inputSpecs(baseGraph.inputs, new Set(baseGraph.initializerNames()));
  const dense = cutAtLmHead(baseGraph);
  if (!dense) return undefined;
  const baseBytes = baseGraph.toBytes();
  const graph = await OnnxModel.load(model.path);
  const specs = inputSpecs(graph.inputs, new Set(graph.initializerNames()));
  const { compressedHead, chunk: used } = appendKlHead(graph, dense, { chunk });
  return {
    baseSpecs,
    baseBytes,
    specs,
    bytes: graph.toBytes(),
    dense: { ...dense, weight: new Float32Array(0), bias: undefined } as DenseHead,
    compressedHead,
    chunk: used,
  };
}

async function fusedKl(
  base: Side,
  side: Side,
  dense: DenseHead,
  w: TokenWindows,
  contextLength: number | undefined,
  ctx: RunContext,
): Promise<TokenKl> {
  throwIfAborted(ctx.signal);
  checkWindows(w, contextLength, dense.vocab, side.model.ref);
  const rows = w.batch * w.length;
  const hidden = (await base.session.run(buildFeeds(base.specs, w, base.model.config), [dense.hidden]))[dense.hidden];
  if (!(hidden?.data instanceof Float32Array) || hidden.data.length !== rows * dense.dModel) {
    throw new BugError(
      `the baseline's hidden state came back as ${hidden?.type} [${hidden?.dims.join(', ')}], expected float32 [${w.batch}, ${w.length}, ${dense.dModel}]`,
    );
  }
  const feeds: Record<string, HostTensor> = buildFeeds(side.specs, w, side.model.config);
  feeds[LOSS_TARGETS] = {
    type: 'int64',
    data: BigInt64Array.from(w.targets, (t) => BigInt(t)),
    dims: [w.batch, w.length],
  };
  feeds[KL_DENSE_HIDDEN] = { type: 'float32', data: hidden.data, dims: [w.batch, w.length, dense.dModel] };
  const out = await side.session.run(feeds, Object.values(KL_OUTPUTS));
  const floats = (name: string) => {
    const t = out[name];
    if (!(t?.data instanceof Float32Array) || t.data.length !== rows)
      throw new BugError(`KL head output ${name} came back as ${t?.type} [${t?.dims.join(', ')}]`);
    return Float64Array.from(t.data);
  };
  const ids = (name: string) => {
    const t = out[name];
    if (!(t?.data instanceof BigInt64Array) || t.data.length !== rows)
      throw new BugError(`KL head output ${name} came back as ${t?.type} [${t?.dims.join(', ')}]`);
    return Int32Array.from(t.data, (v) => Number(v));
  };
  return {
    kl: floats(KL_OUTPUTS.kl),
    nllBase: floats(KL_OUTPUTS.nllBase),
    nll: floats(KL_OUTPUTS.nll),
    topBase: ids(KL_OUTPUTS.topBase),
    top: ids(KL_OUTPUTS.top),
  };
}

async function logitsPair(
  base: LoadedModel,
  model: LoadedModel,
  ctx: RunContext,
  contextLength: number | undefined,
): Promise<KlPair> {
  const sides: (Side & { logits: string; vocab?: number })[] = [];
  try {
    for (const m of [base, model]) {
      const graph = await OnnxModel.load(m.path);
      const specs = inputSpecs(graph.inputs, new Set(graph.initializerNames()));
      const out = findLogitsOutput(graph);
      if (!out?.name)
        throw new UserError(ErrorCodes.BAD_MODEL, `not a causal LM: ${m.ref} has no logits output`, {
          hint: 'the model needs an output named logits, or one of shape [batch, sequence, vocab]',
        });
      const v = out.type?.tensorType?.shape?.dim?.[2]?.dimValue;
      sides.push({
        model: m,
        specs,
        logits: out.name,
        vocab: typeof v === 'number' ? v : undefined,
        session: await ctx.sessions.create(m.path),
      });
    }
  } catch (e) {
    await Promise.all(sides.map((s) => s.session.release()));
    throw e;
  }
  const [a, b] = sides;
  if (a.vocab !== undefined && b.vocab !== undefined && a.vocab !== b.vocab) {
    await Promise.all(sides.map((s) => s.session.release()));
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `the model's vocabulary (${b.vocab}) differs from the baseline's (${a.vocab})`,
      {
        hint: 'KL divergence compares two models over the same vocabulary: pass the model this one was compressed from as --baseline',
      },
    );
  }
  const vocabSize = a.vocab ?? b.vocab ?? 0;
  const logitsOf = async (s: (typeof sides)[number], w: TokenWindows) => {
    const t = (await s.session.run(buildFeeds(s.specs, w, s.model.config), [s.logits]))[s.logits];
    if (t.dims.length !== 3 || t.dims[0] * t.dims[1] !== w.batch * w.length)
      throw new BugError(`logits came back as [${t.dims.join(', ')}], expected [${w.batch}, ${w.length}, vocab]`);
    return {
      values: t.type === 'float16' ? float16ArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array),
      vocab: t.dims[2],
    };
  };
  return {
    head: 'logits',
    contextLength,
    vocabSize,
    async tokenKl(w) {
      throwIfAborted(ctx.signal);
      checkWindows(w, contextLength, vocabSize, model.ref);
      const [la, lb] = [await logitsOf(a, w), await logitsOf(b, w)];
      if (la.vocab !== lb.vocab)
        throw new UserError(
          ErrorCodes.BAD_MODEL,
          `the model's vocabulary (${lb.vocab}) differs from the baseline's (${la.vocab})`,
          { hint: 'pass the model this one was compressed from as --baseline' },
        );
      return tokenKlFromLogits(la.values, lb.values, w.batch * w.length, la.vocab, w.targets);
    },
    release: async () => {
      await Promise.all(sides.map((s) => s.session.release()));
    },
  };
}
