/** @mc-kit/plugin-latency: the latency metric (session start, p50/p90 run time, peak RSS, ratios to --baseline). */
export { LatencyMetric, LATENCY_PARAMS } from './metric.js';
export { summarize, quantile, type RunSummary } from './stats.js';
export { type Measurement } from './protocol.js';
