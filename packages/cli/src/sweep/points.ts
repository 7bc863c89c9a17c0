/**
 * The points of `mc sweep`: `--sweep 0,0.2,0.5` (values of the first method's sweep parameter:
 * --sparsity, or --ratio for --algo channel), `--sweep NAME=v1,v2` (any parameter of the first
 * method), or `--sweep recipe.json`: a JSON array of objects, each the first method's parameter
 * overrides for one point (e.g. [{"sparsity": 0.5}, {"pattern": "2:4"}]).
 */
import { existsSync, readFileSync } from 'node:fs';
import { assertRegularFile, ErrorCodes, UserError } from '@mc-kit/core';

export interface SweepPoint {
  /** short label for folders and tables, e.g. "sparsity=0.5" */
  readonly label: string;
  /** raw parameter overrides for the first method */
  readonly overrides: Record<string, unknown>;
}

export function parseSweep(spec: string, defaultParam: string, known: readonly string[]): SweepPoint[] {
  if (spec.endsWith('.json') || existsSync(spec)) return fromRecipe(spec, known);
  const eq = spec.indexOf('=');
  const name = eq >= 0 ? spec.slice(0, eq).trim() : defaultParam;
  const values = (eq >= 0 ? spec.slice(eq + 1) : spec)
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (!known.includes(name))
    throw new UserError(ErrorCodes.BAD_PARAM, `--sweep ${spec}: the first method has no parameter --${name}`, {
      hint: `its parameters: ${known.join(', ')}`,
    });
  if (values.length === 0)
    throw new UserError(ErrorCodes.BAD_PARAM, `--sweep ${spec} lists no values`, {
      hint: 'e.g. --sweep 0,0.2,0.4,0.5 or --sweep pattern=2:4,4:8',
    });
  return values.map((v) => ({ label: `${name}=${v}`, overrides: { [name]: v } }));
}

function fromRecipe(path: string, known: readonly string[]): SweepPoint[] {
  let points: unknown;
  if (existsSync(path)) assertRegularFile(path, '--sweep recipe', ErrorCodes.BAD_PARAM);
  try {
    points = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--sweep ${path}: not a readable JSON file (${(e as Error).message})`, {
      hint: 'a recipe is a JSON array of parameter objects, e.g. [{"sparsity": 0.5}, {"pattern": "2:4"}]',
    });
  }
  if (
    !Array.isArray(points) ||
    points.length === 0 ||
    !points.every((p) => p && typeof p === 'object' && !Array.isArray(p))
  ) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--sweep ${path}: expected a non-empty JSON array of parameter objects`);
  }
  return (points as Record<string, unknown>[]).map((p, i) => {
    const unknown = Object.keys(p).find((k) => !known.includes(k));
    if (unknown)
      throw new UserError(
        ErrorCodes.BAD_PARAM,
        `--sweep ${path}: point ${i + 1} sets ${unknown}, not a parameter of the first method`,
        { hint: `its parameters: ${known.join(', ')}` },
      );
    const overrides = Object.fromEntries(
      Object.entries(p).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
    );
    return {
      label:
        Object.entries(p)
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || `point${i + 1}`,
      overrides,
    };
  });
}
