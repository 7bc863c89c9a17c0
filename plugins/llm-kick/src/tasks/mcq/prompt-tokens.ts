/**
 * The token ids of a question's prompt with the most shots that fit the context, found without
 * re-encoding the whole prompt for every k.
 *
 * The prompt is header + shot_1 + ... + shot_k + question, and every piece ends with "\n\n". For a
 * byte-level BPE tokenizer whose pre-tokenizer is GPT-2's regex (ByteLevel, use_regex, no normalizer),
 * a "\n" that follows a non-space character always starts a new pre-token, and BPE never merges across
 * pre-tokens; so the ids of the whole prompt are the ids of its pieces cut just before each "\n\n"
 * ("...algebra." | "\n\nFind ... Answer: B" | ... | "\n\nFind ...\nAnswer:"), concatenated. Each shot is
 * then encoded once per subject, and the prefix (header + shots) is a whole number of pieces, which is
 * what the past_key_values cache reuses. Any other tokenizer encodes the full prompt for each k (exact,
 * slower). prompt-tokens.test.ts checks the spliced ids against full encodings of real MMLU prompts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTokenizer } from '@mc-kit/core';
import { fewShotPrefix, formatExample, header } from './prompt.js';
import type { McqQuestion, McqSubject } from './types.js';

export interface FittedPrompt {
  readonly text: string;
  readonly ids: number[];
  readonly shots: number;
  /** the first prefixTokens ids are the header and shots: the same for every question with this many shots */
  readonly prefixTokens: number;
}

/** Does tokenizer.json split pre-tokens with GPT-2's regex and no normalizer (so pieces cut before "\n" encode alone)? */
export function splitsBeforeNewlines(modelDir: string | undefined): boolean {
  const path = modelDir === undefined ? undefined : join(modelDir, 'tokenizer.json');
  if (!path || !existsSync(path)) return false;
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as {
      normalizer?: unknown;
      pre_tokenizer?: { type?: string; use_regex?: boolean };
      model?: { type?: string };
    };
    return (
      json.normalizer == null &&
      json.pre_tokenizer?.type === 'ByteLevel' &&
      json.pre_tokenizer.use_regex !== false &&
      json.model?.type === 'BPE'
    );
  } catch {
    return false;
  }
}

const SEP = '\n\n';

/** Builds and fits the prompts of one subject. */
export class SubjectPrompts {
  private readonly specialPrefix: number;
  private readonly pieces: number[][] = [];
  private readonly fullPrefixes = new Map<number, number[]>();

  constructor(
    private readonly subject: McqSubject,
    private readonly tokenizer: TextTokenizer,
    private readonly faithful: boolean,
    private readonly splice: boolean,
  ) {
    this.specialPrefix = tokenizer.encode('').length;
    if (splice) {
      this.pieces.push(tokenizer.encode(header(subject.name).slice(0, -SEP.length)));
      for (const shot of subject.shots)
        this.pieces.push(this.bare(SEP + formatExample(shot, true, faithful).slice(0, -SEP.length)));
    }
  }

  /** ids without the tokenizer's BOS (or other leading specials) */
  private bare(text: string): number[] {
    return this.tokenizer.encode(text).slice(this.specialPrefix);
  }

  textOf(q: McqQuestion, k: number): string {
    return (
      fewShotPrefix(this.subject.name, this.subject.shots, k, this.faithful) + formatExample(q, false, this.faithful)
    );
  }

  /** The prompt with the most shots (<= maxShots) whose ids fit `context`; undefined when none does, not even with 0 shots. */
  fit(q: McqQuestion, maxShots: number, context: number | undefined): FittedPrompt | undefined {
    const kMax = Math.min(maxShots, this.subject.shots.length);
    return this.splice ? this.fitSpliced(q, kMax, context) : this.fitFull(q, kMax, context);
  }

  private fitSpliced(q: McqQuestion, kMax: number, context: number | undefined): FittedPrompt | undefined {
    const end = this.bare(SEP + formatExample(q, false, this.faithful));
    let prefixLength = 0;
    for (let i = 0; i <= kMax; i++) prefixLength += this.pieces[i].length;
    for (let k = kMax; k >= 0; k--) {
      if (context === undefined || prefixLength + end.length <= context) {
        const ids: number[] = [];
        for (let i = 0; i <= k; i++) for (const t of this.pieces[i]) ids.push(t);
        for (const t of end) ids.push(t);
        return { text: this.textOf(q, k), ids, shots: k, prefixTokens: prefixLength };
      }
      prefixLength -= this.pieces[k].length;
    }
    return undefined;
  }

  private fitFull(q: McqQuestion, kMax: number, context: number | undefined): FittedPrompt | undefined {
    for (let k = kMax; k >= 0; k--) {
      const text = this.textOf(q, k);
      const ids = this.tokenizer.encode(text);
      if (context !== undefined && ids.length > context) continue;
      const head =
        this.fullPrefixes.get(k) ??
        this.fullPrefixes
          .set(k, this.tokenizer.encode(fewShotPrefix(this.subject.name, this.subject.shots, k, this.faithful)))
          .get(k)!;
      let p = 0;
      while (p < head.length && head[p] === ids[p]) p++;
      // The prefix's last token may merge with the question's first characters; stopping one short keeps the shared part the same for every question.
      return { text, ids, shots: k, prefixTokens: Math.min(p, head.length - 1) };
    }
    return undefined;
  }
}
