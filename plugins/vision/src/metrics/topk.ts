/**
 * Top-1 / top-k counting over logits. Pure: typed arrays in, integer sums out (STYLE.md §11), so
 * counts from shards or batches add up exactly and the division happens once, in accuracy.ts.
 *
 * Ties: the label counts as in the top-k only if strictly fewer than k classes have a larger
 * logit than the label's own. A tie is thus resolved in the label's favour, independent of class
 * order (argmax's "first index wins" would favour low class indices instead).
 * A row holding a NaN counts as wrong at every k: a model that produces NaN has not classified.
 */

export interface TopKSums {
  readonly correctTop1: number;
  readonly correctTopK: number;
  readonly samples: number;
  /** rows with a NaN logit (counted wrong) */
  readonly nanRows: number;
  /** per label value: samples, and correct at top-1 */
  readonly perClassCount: readonly number[];
  readonly perClassCorrect: readonly number[];
  /** [true label][predicted class], when kept (width <= confusionMax) */
  readonly confusion?: readonly (readonly number[])[];
  /** 1 where a sample was right at top-1, else 0, in dataset order: per-item scores for a paired comparison of two models (mc report) */
  readonly top1Hits: readonly number[];
}

export class TopKCounter {
  readonly k: number;
  private correct1 = 0;
  private correctK = 0;
  private n = 0;
  private nan = 0;
  private readonly classCount: number[];
  private readonly classCorrect: number[];
  private readonly confusion?: number[][];
  private readonly hits: number[] = [];

  /**
   * @param width logits per sample (classes the model scores)
   * @param classes label values the dataset uses (0..classes-1); at most `width`
   * @param confusionMax keep a confusion matrix when width <= this
   */
  constructor(
    readonly width: number,
    readonly classes: number,
    confusionMax = 20,
  ) {
    if (!Number.isInteger(width) || width < 1 || classes > width)
      throw new RangeError(`TopKCounter: width ${width}, classes ${classes}`);
    this.k = Math.min(5, width);
    this.classCount = new Array<number>(classes).fill(0);
    this.classCorrect = new Array<number>(classes).fill(0);
    if (width <= confusionMax) this.confusion = Array.from({ length: classes }, () => new Array<number>(width).fill(0));
  }

  /** Add `count` rows of `logits` ([count, width], C order) with their labels. */
  add(logits: Float32Array, labels: ArrayLike<number>, count: number): void {
    const w = this.width;
    if (logits.length !== count * w || labels.length < count)
      throw new RangeError(`TopKCounter.add: ${logits.length} logits for ${count}x${w}`);
    for (let i = 0; i < count; i++) {
      const y = labels[i];
      if (!(y >= 0 && y < this.classes)) throw new RangeError(`label ${y} outside 0..${this.classes - 1}`);
      const row = i * w;
      const ly = logits[row + y];
      let greater = 0;
      let hasNaN = Number.isNaN(ly);
      let best = 0; // first index of the largest logit, NaN skipped
      for (let c = 0; c < w; c++) {
        const v = logits[row + c];
        if (Number.isNaN(v)) hasNaN = true;
        else {
          if (v > ly) greater++;
          if (!(logits[row + best] >= v)) best = c;
        }
      }
      this.n++;
      this.classCount[y]++;
      this.hits.push(!hasNaN && greater === 0 ? 1 : 0);
      if (hasNaN) {
        this.nan++;
      } else {
        if (greater === 0) {
          this.correct1++;
          this.classCorrect[y]++;
        }
        if (greater < this.k) this.correctK++;
      }
      // Predicted class for the confusion matrix follows the same tie rule as top-1.
      const predicted = !hasNaN && greater === 0 ? y : best;
      if (this.confusion) this.confusion[y][predicted]++;
    }
  }

  sums(): TopKSums {
    return {
      correctTop1: this.correct1,
      correctTopK: this.correctK,
      samples: this.n,
      nanRows: this.nan,
      perClassCount: [...this.classCount],
      perClassCorrect: [...this.classCorrect],
      confusion: this.confusion?.map((r) => [...r]),
      top1Hits: [...this.hits],
    };
  }
}

/** Accuracy and its binomial standard error sqrt(p(1-p)/n), from integer counts. */
export function proportion(correct: number, samples: number): { value: number; stderr: number } {
  if (samples <= 0) return { value: NaN, stderr: NaN };
  const p = correct / samples;
  return { value: p, stderr: Math.sqrt((p * (1 - p)) / samples) };
}
