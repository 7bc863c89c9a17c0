/**
 * What the parent hands the measuring child (child.ts) and what it prints back. Feeds travel as one
 * binary file beside the job, so the child holds exactly what the session needs.
 */
import type { DeviceRequest, HostTensor } from '@mc-kit/core';

export interface FeedEntry {
  readonly name: string;
  readonly type: HostTensor['type'];
  readonly dims: readonly number[];
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface Job {
  readonly model: string;
  readonly device: DeviceRequest;
  readonly threads?: number;
  readonly runs: number;
  readonly warmup: number;
  /** the .bin file holding every feed's bytes */
  readonly data: string;
  readonly feeds: readonly FeedEntry[];
}

/** One model's measurement, as the child prints it (one JSON line on stdout). */
export interface Measurement {
  /** onnxruntime session creation, from the file path to a session ready to run (ms) */
  readonly startMs: number;
  /** wall time of each timed run (ms), warmup runs excluded */
  readonly runsMs: readonly number[];
  /** the child's resident set just before the session was created: node, core and onnxruntime's library loaded, no model (bytes) */
  readonly baseRssBytes: number;
  /** the child's peak resident set (VmHWM) after the last run: the base plus the session and its runs (bytes) */
  readonly peakRssBytes: number;
  readonly device: string;
}
