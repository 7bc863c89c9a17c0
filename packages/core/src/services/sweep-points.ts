/**
 * The points of a sweep: `--sweep 0,0.2,0.5` (values of the parameter the first method declares as
 * its sweep parameter, Compressor.sweepParam), `--sweep NAME=v1,v2` (any parameter of the first
 * method), or `--sweep recipe.json`: a JSON array of objects, each the first method's parameter
 * overrides for one point (e.g. [{"sparsity": 0.5}, {"pattern": "2:4"}]).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Compressor } from '../contracts.js';
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { parseParams } from '../params.js';
import { assertRegularFile } from '../safe-paths.js';

export interface SweepPoint {
  /** short label for folders and tables, e.g. "sparsity=0.5" */
  readonly label: string;
  /** raw parameter overrides for the first method */
  readonly overrides: Record<string, unknown>;
}

/** The method a sweep walks and the raw parameters it was given besides the swept one. */
export interface SweptMethod {
  readonly compressor: Pick<Compressor, 'id' | 'params' | 'sweepParam'>;
  readonly params: Record<string, unknown>;
}

export function parseSweep(spec: string, method: SweptMethod): SweepPoint[] {
  const known = method.compressor.params.map((p) => p.name);
  if (spec.endsWith('.json') || existsSync(spec)) return fromRecipe(spec, method.compressor.id, known);
  const eq = spec.indexOf('=');
  const name = eq >= 0 ? spec.slice(0, eq).trim() : declaredSweepParam(spec, method);
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

/**
 * The parameter a bare list of values walks, as the method declares it; a declaration that depends on
 * the other parameters (prune: --ratio under --algo channel) sees them parsed, defaults applied.
 */
function declaredSweepParam(spec: string, { compressor, params }: SweptMethod): string {
  const declared = compressor.sweepParam;
  const names = compressor.params.map((p) => p.name);
  if (declared === undefined)
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `--sweep ${spec}: --method ${compressor.id} declares no parameter for a bare list of values`,
      {
        hint: `name the parameter: --sweep NAME=v1,v2${names.length ? ` (${compressor.id}'s parameters: ${names.join(', ')})` : ''}`,
      },
    );
  const name =
    typeof declared === 'string'
      ? declared
      : declared(parseParams(compressor.params, params, `--method ${compressor.id}`));
  if (!names.includes(name))
    throw new BugError(
      `--method ${compressor.id} declares sweep parameter ${name}, which is not one of its parameters`,
    );
  return name;
}

function fromRecipe(path: string, method: string, known: readonly string[]): SweepPoint[] {
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
        `--sweep ${path}: point ${i + 1} sets ${unknown}, not a parameter of the first method (${method})`,
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

/** The point's folder under --out: its 1-based position and its label, safe as a file name ("02-sparsity-0.5"). */
export function pointFolder(index: number, label: string): string {
  return `${String(index + 1).padStart(2, '0')}-${label.replace(/[^\w.=,:-]+/g, '_').replace(/[:=,]/g, '-')}`;
}
