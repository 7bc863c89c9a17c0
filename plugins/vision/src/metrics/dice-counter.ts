/**
 * Dice counts for binary segmentation, kept as integer sums so shards merge exactly (STYLE.md §11):
 * the set Dice over all pixels of all images, 2|A∩B| / (|A| + |B|) (the number the digits-unet README
 * and the Hyper-Compression UNet table report), and the mean of per-image Dice.
 *
 * An image where both the prediction and the mask are empty has Dice 0/0. It counts as 1 here (nothing
 * to find, nothing found: the convention of segmentation_models_pytorch and MONAI with
 * ignore_empty=False); the count of such images is reported so the mean can be recomputed without them.
 */

export interface DiceSums {
  /** Σ |A ∩ B| over all pixels: predicted foreground that is mask foreground */
  readonly intersection: number;
  /** Σ |A|: predicted foreground pixels */
  readonly predicted: number;
  /** Σ |B|: mask foreground pixels */
  readonly truth: number;
  readonly pixels: number;
  readonly images: number;
  /** Σ per-image Dice (empty/empty images count 1) */
  readonly perImageDiceSum: number;
  /** Σ per-image Dice² (for the standard error of the mean) */
  readonly perImageDiceSqSum: number;
  /** images with no predicted and no mask foreground */
  readonly emptyBoth: number;
  /** pixels whose score was NaN (counted as background) */
  readonly nanPixels: number;
}

export class DiceCounter {
  private intersection = 0;
  private predicted = 0;
  private truth = 0;
  private pixels = 0;
  private images = 0;
  private diceSum = 0;
  private diceSqSum = 0;
  private emptyBoth = 0;
  private nanPixels = 0;

  /**
   * One batch. `foreground(i)` is the prediction at flat pixel i of the batch ([count, H*W]);
   * masks are 0/1 bytes in the same order.
   */
  add(foreground: (i: number) => boolean, masks: Uint8Array, count: number, pixelsPerImage: number): void {
    for (let n = 0; n < count; n++) {
      let inter = 0;
      let pred = 0;
      let tru = 0;
      const base = n * pixelsPerImage;
      for (let p = base; p < base + pixelsPerImage; p++) {
        const a = foreground(p);
        const b = masks[p] === 1;
        if (a) pred++;
        if (b) tru++;
        if (a && b) inter++;
      }
      const dice = pred + tru === 0 ? 1 : (2 * inter) / (pred + tru);
      if (pred + tru === 0) this.emptyBoth++;
      this.intersection += inter;
      this.predicted += pred;
      this.truth += tru;
      this.diceSum += dice;
      this.diceSqSum += dice * dice;
    }
    this.pixels += count * pixelsPerImage;
    this.images += count;
  }

  noteNaN(pixels: number): void {
    this.nanPixels += pixels;
  }

  sums(): DiceSums {
    return {
      intersection: this.intersection,
      predicted: this.predicted,
      truth: this.truth,
      pixels: this.pixels,
      images: this.images,
      perImageDiceSum: this.diceSum,
      perImageDiceSqSum: this.diceSqSum,
      emptyBoth: this.emptyBoth,
      nanPixels: this.nanPixels,
    };
  }
}

/** Set Dice from sums; 1 when nothing is predicted and nothing is there. */
export function setDice(s: Pick<DiceSums, 'intersection' | 'predicted' | 'truth'>): number {
  return s.predicted + s.truth === 0 ? 1 : (2 * s.intersection) / (s.predicted + s.truth);
}

/** Mean per-image Dice and its standard error (sample standard deviation / sqrt(n)). */
export function meanImageDice(s: Pick<DiceSums, 'images' | 'perImageDiceSum' | 'perImageDiceSqSum'>): {
  value: number;
  stderr: number;
} {
  if (s.images === 0) return { value: NaN, stderr: NaN };
  const mean = s.perImageDiceSum / s.images;
  if (s.images < 2) return { value: mean, stderr: NaN };
  const variance = Math.max(0, (s.perImageDiceSqSum - s.images * mean * mean) / (s.images - 1));
  return { value: mean, stderr: Math.sqrt(variance / s.images) };
}
