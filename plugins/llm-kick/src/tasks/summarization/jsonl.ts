/** JSON Lines of objects, with the line named on a bad one. */
import { readFileSync } from 'node:fs';
import { assertRegularFile, ErrorCodes, UserError } from '@mc-kit/core';

export function readJsonl(path: string, name: string): Record<string, unknown>[] {
  assertRegularFile(path, name, ErrorCodes.BAD_DATASET);
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l, i) => [l, i] as const)
    .filter(([l]) => l.trim() !== '')
    .map(([line, i]) => {
      try {
        const v: unknown = JSON.parse(line);
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        // one message below
      }
      throw new UserError(ErrorCodes.BAD_DATASET, `${name}: line ${i + 1} is not a JSON object`);
    });
}
