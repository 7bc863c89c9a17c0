/** Test-only helpers for the text dataset tests (excluded from the build as *.fixture.ts). */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OrtSessionFactory, createRunContext } from '@mc-kit/core';
import type { DatasetProvider, DatasetRef, RunContext, TextDataset } from '@mc-kit/core';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The shared assets folder (../shared beside the repo root). */
export const SHARED = resolve(HERE, '../../../../..', 'shared');
export const FIXTURES = join(HERE, 'fixtures');

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mc-lm-text-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write `content` at `dir/name` (folders made as needed); returns the path. */
export function put(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** A .jsonl body: one JSON.stringify'd object per line. */
export function jsonl(objects: readonly unknown[]): string {
  return objects.map((o) => `${JSON.stringify(o)}\n`).join('');
}

/** A silent RunContext whose warnings are kept for the test to read. */
export function testContext(): RunContext & { warnings: string[] } {
  const base = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
  const warnings: string[] = [];
  return { ...base, log: { ...base.log, warn: (m: string) => void warnings.push(m) }, warnings };
}

export function refOf(path: string, extra: Partial<DatasetRef> = {}): DatasetRef {
  return { ref: path, path, ...extra };
}

export async function openText(
  provider: DatasetProvider<'text'>,
  path: string,
  extra: Partial<DatasetRef> = {},
  ctx: RunContext = testContext(),
): Promise<TextDataset> {
  return provider.open(refOf(path, extra), ctx);
}

export const hasShared = (rel: string): boolean => existsSync(join(SHARED, rel));
