/**
 * Test-only helpers (excluded from the build): tiny u8 datasets in temp folders and tiny ONNX
 * classifiers whose logits can be worked out by hand.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OrtSessionFactory, createRunContext, sha256Bytes } from '@mc-kit/core';
import type { RunContext } from '@mc-kit/core';
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';

/** The shared assets folder (../shared from the repo root), as test/helpers/cli.ts finds it. */
export const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../..', '../shared');
export const HAS_SHARED = existsSync(join(SHARED, 'models', 'mnist-cnn', 'model.onnx'));

export function tempDir(prefix = 'mc-vision-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface U8SetSpec {
  images: Uint8Array;
  labels: Uint8Array;
  height: number;
  width: number;
  channels?: number;
  labelNames?: string[];
  layout?: 'CHW' | 'HWC';
  /** fields replaced (or, when undefined, deleted) in meta.json after it is built */
  meta?: Record<string, unknown>;
}

/** Write images.u8, labels.u8 and a meta.json with the right sizes and sha256 into `dir`. */
export function writeU8Set(dir: string, spec: U8SetSpec): void {
  const channels = spec.channels ?? 1;
  const count = spec.labels.length;
  writeFileSync(join(dir, 'images.u8'), spec.images);
  writeFileSync(join(dir, 'labels.u8'), spec.labels);
  const shape =
    channels === 1
      ? [count, spec.height, spec.width]
      : spec.layout === 'HWC'
        ? [count, spec.height, spec.width, channels]
        : [count, channels, spec.height, spec.width];
  const meta: Record<string, unknown> = {
    name: 'tiny',
    kind: 'image-class',
    count,
    height: spec.height,
    width: spec.width,
    channels,
    ...(spec.layout ? { layout: spec.layout } : {}),
    files: {
      images: { path: 'images.u8', dtype: 'uint8', shape, bytes: spec.images.length, sha256: sha256Bytes(spec.images) },
      labels: { path: 'labels.u8', dtype: 'uint8', shape: [count], bytes: count, sha256: sha256Bytes(spec.labels) },
    },
    ...(spec.labelNames ? { labels: spec.labelNames } : {}),
  };
  for (const [k, v] of Object.entries(spec.meta ?? {})) {
    if (v === undefined) delete meta[k];
    else meta[k] = v;
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
}

export interface LinearModelSpec {
  /** [C, H, W] of one image */
  chw: [number, number, number];
  /** weights [C*H*W][classes]: logits = Flatten(x) @ W */
  weights: number[][];
  /** add a second, unused input (to test input selection) */
  extraInput?: boolean;
  /** add a first output `features` (= the flattened image) before `logits` */
  featuresFirst?: boolean;
}

/** x [N, C, H, W] -> Flatten -> MatMul W -> logits [N, classes]; opset 13. */
export function linearClassifier(spec: LinearModelSpec): Uint8Array {
  const [c, h, w] = spec.chw;
  const features = c * h * w;
  if (spec.weights.length !== features) throw new Error(`weights need ${features} rows`);
  const classes = spec.weights[0].length;
  const g = new GraphBuilder({ opset: 13 });
  const x = g.input('x', DataType.FLOAT, ['N', c, h, w]);
  if (spec.extraInput) g.input('mask', DataType.FLOAT, ['N']);
  const W = g.initializer('W', DataType.FLOAT, [features, classes], Float32Array.from(spec.weights.flat()));
  const [flat] = g.node('Flatten', [x], { axis: 1 }, { outputs: ['features'] });
  const [logits] = g.node('MatMul', [flat, W], {}, { outputs: ['logits'] });
  if (spec.featuresFirst) g.output(flat, DataType.FLOAT, ['N', features]);
  g.output(logits, DataType.FLOAT, ['N', classes]);
  return g.toBytes();
}

export function testContext(signal?: AbortSignal): RunContext {
  return createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent', signal });
}
