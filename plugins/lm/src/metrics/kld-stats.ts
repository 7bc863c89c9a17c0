/**
 * KL-divergence statistics exactly as llama.cpp's `llama-perplexity --kl-divergence` defines them
 * (tools/perplexity/perplexity.cpp, kl_divergence() and log_softmax(..., kl_divergence_result &),
 * ggml-org/llama.cpp at 050fc7f): raw sums per token, merged by addition (STYLE.md §11), divided once.
 *
 *  - KLD per token: Σ_v p_base(v)·(log p_base(v) − log p(v)), base = the dense model.
 *  - Δp: p(target) − p_base(target), each exp(−NLL); RMS Δp from Σ Δp² and Σ Δp⁴.
 *  - same top: the argmax (first of equal maxima) of both models agrees; ± sqrt(p(1 − p)/(n − 1)).
 *  - value ± error: mean_and_uncertainty: f = Σx/n, error sqrt((Σx²/n − f²)/(n − 1)), given only
 *    when that variance is positive and n > 10 (llama.cpp prints 0 there; we leave the error out).
 *  - percentiles: values sorted, p = fraction·(n − 1), linear between the two neighbours.
 *  - ln(PPL(Q)/PPL(base)) ± sqrt(u² + u_base² − 2·cov), cov = (Σ nll·nll_base/n − means' product)/(n − 1), 0 below 10 tokens.
 */
import type { MetricValue } from '@mc-kit/core';

/** Names are the result's `sums` keys (llama.cpp's kl_divergence_result fields). */
export interface KldSums {
  count: number;
  sum_kld: number;
  sum_kld2: number;
  max_kld: number;
  sum_p_diff: number;
  sum_p_diff2: number;
  sum_p_diff4: number;
  max_p_diff: number;
  n_same_top: number;
  sum_nll: number;
  sum_nll2: number;
  sum_nll_base: number;
  sum_nll_base2: number;
  sum_nll_nll_base: number;
}

export function emptyKldSums(): KldSums {
  return {
    count: 0,
    sum_kld: 0,
    sum_kld2: 0,
    max_kld: -Infinity,
    sum_p_diff: 0,
    sum_p_diff2: 0,
    sum_p_diff4: 0,
    max_p_diff: 0,
    n_same_top: 0,
    sum_nll: 0,
    sum_nll2: 0,
    sum_nll_base: 0,
    sum_nll_base2: 0,
    sum_nll_nll_base: 0,
  };
}

/** One scored token. */
export function addToken(s: KldSums, kl: number, nllBase: number, nll: number, sameTop: boolean): void {
  s.count++;
  s.sum_kld += kl;
  s.sum_kld2 += kl * kl;
  s.max_kld = Math.max(s.max_kld, kl);
  const pDiff = Math.exp(-nll) - Math.exp(-nllBase);
  const pDiff2 = pDiff * pDiff;
  s.sum_p_diff += pDiff;
  s.sum_p_diff2 += pDiff2;
  s.sum_p_diff4 += pDiff2 * pDiff2;
  s.max_p_diff = Math.max(s.max_p_diff, Math.abs(pDiff));
  if (sameTop) s.n_same_top++;
  s.sum_nll += nll;
  s.sum_nll2 += nll * nll;
  s.sum_nll_base += nllBase;
  s.sum_nll_base2 += nllBase * nllBase;
  s.sum_nll_nll_base += nll * nllBase;
}

/** Sums of consecutive parts (subsets) merge by addition, maxima by max; eval --shards replays tokens instead (float sums depend on their order). */
export function mergeKldSums(a: KldSums, b: KldSums): KldSums {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof KldSums)[])
    out[k] = k.startsWith('max_') ? Math.max(a[k], b[k]) : a[k] + b[k];
  return out;
}

/** llama.cpp's mean_and_uncertainty: [mean, error]; error undefined where llama.cpp gives 0 for want of data. */
export function meanAndUncertainty(sum: number, sum2: number, count: number): [number, number | undefined] {
  if (count < 1) return [0, undefined];
  const f = sum / count;
  const df = sum2 / count - f * f;
  return [f, df > 0 && count > 10 ? Math.sqrt(df / (count - 1)) : undefined];
}

/** llama.cpp's percentile over ascending `sorted` values. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  const n = sorted.length;
  if (fraction <= 0) return sorted[0];
  if (fraction >= 1) return sorted[n - 1];
  let p = fraction * (n - 1);
  const ip = Math.floor(p);
  p -= ip;
  return (1 - p) * sorted[ip] + p * sorted[Math.min(ip + 1, n - 1)];
}

/**
 * The metric's values: mean KLD first (the primary value, `kld.mean` / `kld.delta` in gates), its
 * 99th percentile and maximum (from the per-token values, `sortedKl` ascending), mean Δp, RMS Δp,
 * same-top agreement (a fraction; llama.cpp prints it in %), and ln(PPL(Q)/PPL(base)).
 */
export function kldValues(s: KldSums, sortedKl: Float64Array): Record<string, MetricValue> {
  const v = (value: number, stderr: number | undefined, higherIsBetter: boolean): MetricValue =>
    stderr === undefined ? { value, higherIsBetter } : { value, stderr, higherIsBetter };
  const n = s.count;
  const [kl, klErr] = meanAndUncertainty(s.sum_kld, s.sum_kld2, n);
  const [pDiff, pDiffErr] = meanAndUncertainty(s.sum_p_diff, s.sum_p_diff2, n);
  const [mse, mseErr] = meanAndUncertainty(s.sum_p_diff2, s.sum_p_diff4, n);
  const rms = Math.sqrt(mse);
  const sameTop = n > 0 ? s.n_same_top / n : 0;
  const [logPpl, logPplErr] = meanAndUncertainty(s.sum_nll, s.sum_nll2, n);
  const [logPplBase, logPplBaseErr] = meanAndUncertainty(s.sum_nll_base, s.sum_nll_base2, n);
  const cov = n < 10 ? 0 : (s.sum_nll_nll_base / n - (s.sum_nll / n) * (s.sum_nll_base / n)) / (n - 1);
  const ratioErr =
    logPplErr === undefined || logPplBaseErr === undefined
      ? undefined
      : Math.sqrt(Math.max(0, logPplErr ** 2 + logPplBaseErr ** 2 - 2 * cov));
  return {
    mean: v(kl, klErr, false),
    p99: v(sortedKl.length ? percentile(sortedKl, 0.99) : 0, undefined, false),
    max: v(sortedKl.length ? sortedKl[sortedKl.length - 1] : 0, undefined, false),
    delta_p: v(pDiff, pDiffErr, true),
    rms_delta_p: v(rms, mseErr === undefined || rms === 0 ? undefined : (0.5 / rms) * mseErr, false),
    same_top: v(sameTop, n > 1 ? Math.sqrt((sameTop * (1 - sameTop)) / (n - 1)) : undefined, true),
    ln_ppl_ratio: v(logPpl - logPplBase, ratioErr, false),
  };
}
