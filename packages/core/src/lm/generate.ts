/**
 * Text generation with a decoder export (the contract is generate-types.ts).
 *
 * Two step strategies, picked from the graph's inputs:
 *  - cache: an export with past_key_values.* inputs and present.* outputs. Prompts of a batch are
 *    LEFT-padded so that every row's next token sits at the last position; attention_mask hides the
 *    padding and position_ids count real tokens only, so a padded row computes what it would alone.
 *    Then one token per row per step, the present tensors fed back as the past.
 *  - recompute: any other decoder (or --no-cache). Prompts are RIGHT-padded: under the causal mask a
 *    position never sees the padding after it, so each row reads its logits at its own last token.
 *    Every step runs the whole sequence again (O(n^2) in the generated length, as HF with use_cache=False).
 */
import { throwIfAborted } from '../context.js';
import type { LoadedModel, Rng, RunContext } from '../contracts.js';
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { float16ArrayToFloat32 } from '../onnx/dtypes.js';
import { OnnxModel } from '../onnx/model.js';
import { createRng } from '../rng.js';
import type { HostTensor, McSession, SessionOptions } from '../session/types.js';
import { contextLengthOf } from './causal-lm.js';
import { emptyPastDims, inputSpecs, type InputSpec } from './feeds.js';
import { argmax, cutAtStop, sampleToken } from './generate-sampling.js';
import type { FinishReason, GenerateOptions, Generation, GeneratorOptions, TextGenerator } from './generate-types.js';
import { findLogitsOutput } from './loss-head.js';
import { loadTokenizer, type LoadedTokenizer } from './tokenizer.js';

const DEFAULT_BATCH = 8;

/** What the graph says about itself; read once, then the decoded graph is let go. */
interface ExportShape {
  readonly specs: InputSpec[];
  readonly logitsName: string;
  /** past input name -> present output name, for every past input (empty: no cache) */
  readonly presentOf: Map<string, string>;
}

async function readExport(path: string): Promise<ExportShape> {
  const graph = await OnnxModel.load(path);
  const specs = inputSpecs(graph.inputs, new Set(graph.initializerNames()));
  const logits = findLogitsOutput(graph);
  if (!logits?.name) {
    throw new UserError(ErrorCodes.BAD_MODEL, 'not a causal LM: no logits output', {
      hint: 'generation needs a decoder export with an output named logits, or one of shape [batch, sequence, vocab]',
    });
  }
  const outputs = new Set(graph.outputs.map((o) => o.name ?? ''));
  const presentOf = new Map<string, string>();
  for (const spec of specs.filter((s) => s.role === 'past')) {
    // optimum: past_key_values.0.key -> present.0.key; older exports: past.0.key -> present.0.key
    const present = spec.name.replace(/^(past_key_values|past)\./, 'present.');
    if (outputs.has(present)) presentOf.set(spec.name, present);
  }
  const pasts = specs.filter((s) => s.role === 'past').length;
  return { specs, logitsName: logits.name, presentOf: presentOf.size === pasts ? presentOf : new Map() };
}

/** One forward pass's inputs, rows of equal length; mask covers past + new positions. */
interface StepInputs {
  readonly batch: number;
  readonly length: number;
  readonly ids: ArrayLike<number>;
  readonly mask: ArrayLike<number>;
  readonly positions: ArrayLike<number>;
  readonly past?: Record<string, HostTensor>;
  readonly pastLength: number;
}

export async function loadGenerator(
  model: LoadedModel,
  ctx: RunContext,
  options: GeneratorOptions = {},
): Promise<TextGenerator> {
  if (!model.dir) {
    throw new UserError(
      ErrorCodes.FILE_NOT_FOUND,
      `no tokenizer for ${model.ref}: pass the model's folder, not the bare .onnx file`,
      {
        hint: 'a model for generation is a folder with model.onnx, tokenizer.json and config.json',
      },
    );
  }
  const tokenizer = await loadTokenizer(model.dir);
  const shape = await readExport(model.path);
  const config = model.config ?? {};
  const contextLength = contextLengthOf(config);
  const has = (role: InputSpec['role']) => shape.specs.some((s) => s.role === role);
  const cached = shape.presentOf.size > 0 && !options.noCache;
  // Left padding is only sound when the graph is told where the padding is and what the positions are.
  const maxBatch = cached && !(has('attention_mask') && has('position_ids')) ? 1 : DEFAULT_BATCH;
  const sessionOptions: SessionOptions = options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {};
  const session: McSession = await ctx.sessions.create(model.path, sessionOptions);
  const padId = tokenizer.eosId ?? 0;
  let saidUnbatched = false;

  const forward = async (
    step: StepInputs,
  ): Promise<{ logits: Float32Array; vocab: number; present: Record<string, HostTensor> }> => {
    throwIfAborted(ctx.signal);
    const { batch: B, length: T, pastLength: P } = step;
    const feeds: Record<string, HostTensor> = {};
    for (const spec of shape.specs) {
      switch (spec.role) {
        case 'input_ids':
          feeds[spec.name] = ints(spec, [B, T], step.ids);
          break;
        case 'attention_mask':
          feeds[spec.name] = ints(spec, [B, P + T], step.mask);
          break;
        case 'position_ids':
          feeds[spec.name] = ints(spec, [B, T], step.positions);
          break;
        case 'use_cache_branch':
          feeds[spec.name] = { type: 'bool', data: Uint8Array.of(P > 0 ? 1 : 0), dims: spec.dims.length ? [1] : [] };
          break;
        case 'past':
          feeds[spec.name] = step.past?.[spec.name] ?? {
            type: spec.type,
            data: spec.type === 'float16' ? new Uint16Array(0) : new Float32Array(0),
            dims: emptyPastDims(spec, B, config),
          };
          break;
      }
    }
    const wanted = [shape.logitsName, ...(cached ? shape.presentOf.values() : [])];
    const out = await session.run(feeds, wanted);
    const logits = out[shape.logitsName];
    if (logits.dims.length !== 3 || logits.dims[0] !== B || logits.dims[1] !== T)
      throw new BugError(`logits came back as [${logits.dims.join(', ')}], expected [${B}, ${T}, vocab]`);
    const values =
      logits.type === 'float16' ? float16ArrayToFloat32(logits.data as Uint16Array) : (logits.data as Float32Array);
    const present: Record<string, HostTensor> = {};
    if (cached) for (const [past, name] of shape.presentOf) present[past] = out[name];
    return { logits: values, vocab: logits.dims[2], present };
  };

  const encodeAll = (prompts: readonly (string | readonly number[])[]): number[][] =>
    prompts.map((p) => (typeof p === 'string' ? tokenizer.encode(p) : [...p]));

  /** null: fits; 'skip': caller said skip; throws otherwise. `room` is the new tokens the prompt needs. */
  const checkFits = (
    i: number,
    n: number,
    room: number,
    itemIds: readonly string[] | undefined,
    onTooLong?: GenerateOptions['onTooLong'],
  ): 'skip' | null => {
    const id = itemIds?.[i] ?? `#${i + 1}`;
    if (n === 0)
      throw new UserError(ErrorCodes.BAD_DATASET, `item ${id}: the prompt encodes to no tokens`, {
        hint: 'a prompt needs at least one token (the tokenizer adds no BOS)',
      });
    if (contextLength === undefined || n + room <= contextLength) return null;
    if (onTooLong?.(i, n, contextLength) === 'skip') return 'skip';
    throw new UserError(
      ErrorCodes.BAD_DATASET,
      `item ${id}: the prompt is ${n} tokens, which leaves no room in the model's context of ${contextLength} tokens`,
      {
        hint: `${model.ref} takes at most ${contextLength} positions (config.json); shorten the prompt or use a model with a longer context`,
      },
    );
  };

  /** Batches of prompt indices: sorted by length (less padding); a prompt that needs the whole context runs alone. */
  const batches = (lengths: readonly number[], todo: readonly number[], maxNew: number, size: number): number[][] => {
    const order = [...todo].sort((a, b) => lengths[a] - lengths[b] || a - b);
    const out: number[][] = [];
    let current: number[] = [];
    for (const i of order) {
      // With a cache the batch's positions run to (longest prompt + steps): keep that inside the context.
      const alone = cached && contextLength !== undefined && lengths[i] + maxNew > contextLength;
      if (alone) {
        out.push([i]);
        continue;
      }
      current.push(i);
      if (current.length === size) {
        out.push(current);
        current = [];
      }
    }
    if (current.length) out.push(current);
    return out;
  };

  /** Prefill: left-padded (cache) or right-padded (recompute) prompts; each row's next-token logits. */
  const prefill = async (
    rows: readonly (readonly number[])[],
  ): Promise<{ next: Float32Array[]; present: Record<string, HostTensor>; length: number }> => {
    const B = rows.length;
    const T = Math.max(...rows.map((r) => r.length));
    const ids = new Array<number>(B * T).fill(padId);
    const mask = new Array<number>(B * T).fill(0);
    const positions = new Array<number>(B * T).fill(0);
    rows.forEach((row, b) => {
      const offset = cached ? T - row.length : 0;
      row.forEach((id, t) => {
        ids[b * T + offset + t] = id;
        mask[b * T + offset + t] = 1;
        positions[b * T + offset + t] = t;
      });
    });
    const { logits, vocab, present } = await forward({ batch: B, length: T, ids, mask, positions, pastLength: 0 });
    const next = rows.map((row, b) => {
      const t = cached ? T - 1 : row.length - 1;
      return logits.slice((b * T + t) * vocab, (b * T + t + 1) * vocab);
    });
    return { next, present, length: T };
  };

  const noteBatching = (requested: number): number => {
    if (requested > maxBatch && !saidUnbatched) {
      saidUnbatched = true;
      ctx.log.info(
        `${model.ref}: the export has a KV cache but no attention_mask/position_ids inputs, so prompts run one at a time`,
      );
    }
    return Math.max(1, Math.min(requested, maxBatch));
  };

  return {
    tokenizer,
    contextLength,
    cached,
    maxBatch,
    countTokens: (text) => tokenizer.encode(text).length,

    async nextTokenLogits(prompts, opts = {}) {
      const rows = encodeAll(prompts);
      rows.forEach((r, i) => checkFits(i, r.length, 0, opts.itemIds));
      const size = noteBatching(DEFAULT_BATCH);
      const result = new Array<Float32Array>(rows.length);
      for (const batch of batches(
        rows.map((r) => r.length),
        rows.map((_, i) => i),
        0,
        size,
      )) {
        const { next } = await prefill(batch.map((i) => rows[i]));
        batch.forEach((i, b) => (result[i] = next[b]));
      }
      return result;
    },

    async generate(prompts, opts) {
      if (!(Number.isInteger(opts.maxNewTokens) && opts.maxNewTokens >= 0))
        throw new BugError(`maxNewTokens ${opts.maxNewTokens}`);
      const rows = encodeAll(prompts);
      const results = new Array<Generation>(rows.length);
      const todo: number[] = [];
      rows.forEach((r, i) => {
        if (checkFits(i, r.length, 1, opts.itemIds, opts.onTooLong) === 'skip')
          results[i] = { text: '', promptIds: r, ids: [], finishReason: 'length', skipped: true };
        else todo.push(i);
      });
      const size = noteBatching(opts.batchSize ?? DEFAULT_BATCH);
      let done = rows.length - todo.length;
      if (opts.done?.size && opts.rng) throw new BugError('generate: a shared rng cannot be resumed (done); use seed');
      for (const batch of batches(
        rows.map((r) => r.length),
        todo,
        opts.maxNewTokens,
        size,
      )) {
        const earlier = opts.done;
        // a record made from other prompt tokens than these is never taken (the batch runs again)
        if (earlier && batch.every((i) => sameIds(earlier.get(i)?.promptIds, rows[i]))) {
          for (const i of batch) results[i] = earlier.get(i)!;
        } else {
          const states = batch.map((i) => new RowState(i, rows[i], opts, tokenizer, contextLength));
          await (cached ? runCached(states) : runRecompute(states));
          for (const s of states) results[s.index] = s.result();
          await opts.onBatch?.(states.map((s) => ({ index: s.index, generation: results[s.index] })));
        }
        done += batch.length;
        opts.onProgress?.(done, rows.length);
      }
      return results;
    },

    release: () => session.release(),
  };

  /** KV cache: one prefill, then one token per row per step; finished rows ride along fed padding. */
  async function runCached(states: RowState[]): Promise<void> {
    let { next, present, length: pastLength } = await prefill(states.map((s) => s.prompt));
    const B = states.length;
    const mask: number[][] = states.map((s) => [
      ...new Array<number>(pastLength - s.prompt.length).fill(0),
      ...new Array<number>(s.prompt.length).fill(1),
    ]);
    for (;;) {
      states.forEach((s, b) => s.active && s.push(next[b]));
      if (!states.some((s) => s.active)) return;
      const ids = states.map((s) => (s.active ? s.ids.at(-1)! : padId));
      mask.forEach((m) => m.push(1));
      const positions = states.map((s) => s.prompt.length + s.ids.length - 1);
      const out = await forward({ batch: B, length: 1, ids, mask: mask.flat(), positions, past: present, pastLength });
      next = states.map((_, b) => out.logits.slice(b * out.vocab, (b + 1) * out.vocab));
      present = out.present;
      pastLength += 1;
    }
  }

  /** No cache: every step runs the active rows' whole sequences again, right-padded. */
  async function runRecompute(states: RowState[]): Promise<void> {
    let active = states;
    let { next } = await prefill(active.map((s) => s.prompt));
    for (;;) {
      active.forEach((s, b) => s.push(next[b]));
      active = active.filter((s) => s.active);
      if (!active.length) return;
      ({ next } = await prefill(active.map((s) => [...s.prompt, ...s.ids])));
    }
  }
}

/** One prompt's generation in progress: picks tokens, applies EOS / stop strings / the budget. */
class RowState {
  readonly ids: number[] = [];
  active = true;
  private finish: FinishReason = 'length';
  private text?: string;
  private readonly budget: number;
  private readonly rng: Rng;

  constructor(
    readonly index: number,
    readonly prompt: readonly number[],
    private readonly opts: GenerateOptions,
    private readonly tokenizer: LoadedTokenizer,
    contextLength: number | undefined,
  ) {
    this.budget = Math.min(opts.maxNewTokens, contextLength === undefined ? Infinity : contextLength - prompt.length);
    // One stream per prompt, so a prompt's sample does not depend on its batch; a caller's rng is shared.
    this.rng = opts.rng ?? createRng(((opts.seed ?? 0) + Math.imul(index, 0x9e3779b1)) >>> 0);
    if (this.budget <= 0) this.active = false;
  }

  push(logits: Float32Array): void {
    if (!this.active) return;
    const temperature = this.opts.temperature ?? 0;
    const token = temperature > 0 ? sampleToken(logits, temperature, this.rng, this.opts.topK) : argmax(logits);
    if (token === this.tokenizer.eosId && this.opts.stopOnEos !== false) return this.end('eos');
    this.ids.push(token);
    if (this.opts.stop?.length) {
      const cut = cutAtStop(this.tokenizer.decode(this.ids), this.opts.stop);
      if (cut !== undefined) {
        this.text = cut;
        return this.end('stop');
      }
    }
    if (this.ids.length >= this.budget) this.end('length');
  }

  private end(reason: FinishReason): void {
    this.finish = reason;
    this.active = false;
  }

  result(): Generation {
    return {
      text: this.text ?? this.tokenizer.decode(this.ids),
      promptIds: this.prompt,
      ids: this.ids,
      finishReason: this.finish,
    };
  }
}

function sameIds(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An integer tensor of the spec's element type from flat values. */
function ints(spec: InputSpec, dims: number[], values: ArrayLike<number>): HostTensor {
  const n = dims[0] * dims[1];
  if (values.length !== n) throw new BugError(`${spec.name}: ${values.length} values for [${dims.join(', ')}]`);
  switch (spec.type) {
    case 'int64':
      return { type: 'int64', data: BigInt64Array.from({ length: n }, (_, i) => BigInt(values[i])), dims };
    case 'int32':
      return { type: 'int32', data: Int32Array.from({ length: n }, (_, i) => values[i]), dims };
    case 'float32':
      return { type: 'float32', data: Float32Array.from({ length: n }, (_, i) => values[i]), dims };
    case 'int8':
      return { type: 'int8', data: Int8Array.from({ length: n }, (_, i) => values[i]), dims };
    default:
      return { type: spec.type, data: Uint8Array.from({ length: n }, (_, i) => values[i]), dims };
  }
}
