/**
 * ParamSpec: a method's, metric's or dataset's parameters, declared once. The same spec produces
 * the CLI flags, the validation below, `mc list` output and docs (STYLE.md §6).
 */
import { BugError, ErrorCodes, UserError } from './errors.js';

export type ParamType = 'number' | 'integer' | 'boolean' | 'string' | 'enum' | 'string[]';

export interface ParamSpec {
  /** kebab-case; becomes `--name` on the command line and the key in Params. */
  readonly name: string;
  readonly type: ParamType;
  readonly description: string;
  readonly default?: number | boolean | string | readonly string[];
  /** inclusive bounds for number/integer */
  readonly min?: number;
  readonly max?: number;
  /** allowed values for enum */
  readonly options?: readonly string[];
  /**
   * Only meaningful when other parameters have one of the listed values (after defaults): `--ratio`
   * only with `{ algo: ['channel'] }`. Given otherwise, it is refused rather than ignored.
   */
  readonly onlyWith?: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /** Parameters that must not be given together with this one: `--sparsity` with `--pattern`. */
  readonly conflictsWith?: readonly string[];
  /** A number that must not exceed another numeric parameter (defaults included), and why. */
  readonly atMost?: { readonly param: string; readonly why: string };
  /** A check one value needs beyond type and range (a syntax): the problem, or undefined when fine. */
  readonly validate?: (value: ParamValue) => string | undefined;
}

export type ParamValue = number | boolean | string | string[] | undefined;
export type Params = Record<string, ParamValue>;

/** The parsed value of one declared parameter: an enum is the union of its options. */
export type ParamValueOf<S extends ParamSpec> = S['type'] extends 'enum'
  ? S extends { readonly options: readonly (infer O extends string)[] }
    ? O
    : string
  : S['type'] extends 'number' | 'integer'
    ? number
    : S['type'] extends 'boolean'
      ? boolean
      : S['type'] extends 'string'
        ? string
        : S['type'] extends 'string[]'
          ? readonly string[]
          : never;

/**
 * The typed view of Params parsed against a spec declared `as const satisfies readonly ParamSpec[]`:
 * a parameter with a default (string[] ones included) is always there, one without may be undefined.
 */
export type ParamsOf<S extends readonly ParamSpec[]> = {
  readonly [P in S[number] as P['name']]: P extends { readonly default: unknown } | { readonly type: 'string[]' }
    ? ParamValueOf<P>
    : ParamValueOf<P> | undefined;
};

function hasParsedType(spec: ParamSpec, value: ParamValue): boolean {
  switch (spec.type) {
    case 'number':
    case 'integer':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'enum':
      return typeof value === 'string' && (spec.options ?? []).includes(value);
    case 'string[]':
      return Array.isArray(value);
  }
}

/**
 * `typedParams(SPEC)(params)`: the typed view of Params that parseParams produced from SPEC. No
 * copy and no defaults (parseParams applied them); a value missing or of the wrong type means the
 * caller skipped parseParams, which is our bug, so it throws rather than fall back to a default.
 */
export function typedParams<const S extends readonly ParamSpec[]>(specs: S): (params: Params) => ParamsOf<S> {
  return (params) => {
    for (const spec of specs) {
      const value = params[spec.name];
      const required = spec.default !== undefined || spec.type === 'string[]';
      if (value === undefined ? required : !hasParsedType(spec, value))
        throw new BugError(
          `parameter --${spec.name} is ${JSON.stringify(value)}: params must come from parseParams over the same spec`,
        );
    }
    return params as ParamsOf<S>;
  };
}

function fail(owner: string, message: string, hint?: string): never {
  throw new UserError(ErrorCodes.BAD_PARAM, `${owner}: ${message}`, { hint });
}

function coerce(spec: ParamSpec, raw: unknown, owner: string): ParamValue {
  const flag = `--${spec.name}`;
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail(owner, `${flag} must be true or false (got ${JSON.stringify(raw)})`);
    }
    case 'number':
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return fail(owner, `${flag} must be a number (got ${JSON.stringify(raw)})`);
      if (spec.type === 'integer' && !Number.isInteger(n))
        return fail(owner, `${flag} must be an integer (got ${raw})`);
      const lo = spec.min ?? -Infinity;
      const hi = spec.max ?? Infinity;
      if (n < lo || n > hi) {
        const range =
          hi === Infinity ? `at least ${lo}` : lo === -Infinity ? `at most ${hi}` : `between ${lo} and ${hi}`;
        return fail(owner, `${flag} must be ${range} (got ${n})`, spec.description);
      }
      return n;
    }
    case 'enum': {
      const s = String(raw);
      if (!spec.options?.includes(s))
        return fail(owner, `${flag} must be one of ${spec.options?.join(', ')} (got ${JSON.stringify(raw)})`);
      return s;
    }
    case 'string':
      return String(raw);
    case 'string[]': {
      if (Array.isArray(raw)) return raw.map(String);
      return String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    }
  }
}

function describeBound(b: number): string {
  return b === Infinity ? '∞' : b === -Infinity ? '-∞' : String(b);
}

/**
 * Validate raw values (from flags or a recipe) against specs: apply defaults, coerce, check
 * ranges. Unknown keys are an error, with the known names as a hint.
 */
export function parseParams(specs: readonly ParamSpec[], raw: Record<string, unknown>, owner: string): Params {
  const known = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(raw)) {
    if (raw[key] !== undefined && !known.has(key)) {
      fail(
        owner,
        `unknown parameter --${key}`,
        known.size ? `${owner} takes: ${[...known].map((k) => `--${k}`).join(', ')}` : `${owner} takes no parameters`,
      );
    }
  }
  const out: Params = {};
  for (const spec of specs) {
    const value = raw[spec.name];
    if (value === undefined) {
      const d = spec.default ?? (spec.type === 'string[]' ? [] : undefined);
      out[spec.name] = Array.isArray(d) ? [...d] : (d as ParamValue);
    } else {
      out[spec.name] = coerce(spec, value, owner);
      const problem = spec.validate?.(out[spec.name]);
      if (problem !== undefined) fail(owner, `--${spec.name} ${String(raw[spec.name])}: ${problem}`, spec.description);
    }
  }
  checkRelations(specs, out, (name) => raw[name] !== undefined, owner);
  return out;
}

/** onlyWith, conflictsWith and atMost, over the parsed values; `given` tells typed flags from defaults. */
function checkRelations(
  specs: readonly ParamSpec[],
  values: Params,
  given: (name: string) => boolean,
  owner: string,
): void {
  const shown = (name: string) => `--${name} ${String(values[name])}${given(name) ? '' : ' (the default)'}`;
  const applies = (spec: ParamSpec) =>
    Object.entries(spec.onlyWith ?? {}).every(([other, allowed]) =>
      allowed.includes(values[other] as string | number | boolean),
    );
  for (const spec of specs) {
    if (!given(spec.name)) continue;
    for (const [other, allowed] of Object.entries(spec.onlyWith ?? {})) {
      if (!allowed.includes(values[other] as string | number | boolean)) {
        fail(
          owner,
          `--${spec.name} applies only with --${other} ${allowed.join('|')}, and ${shown(other)} is in effect`,
          `remove --${spec.name}, or set --${other} ${allowed[0]}`,
        );
      }
    }
    for (const other of spec.conflictsWith ?? []) {
      if (given(other))
        fail(
          owner,
          `--${spec.name} and --${other} cannot be given together`,
          `choose one: --${spec.name} (${spec.description}) or --${other}`,
        );
    }
  }
  for (const spec of specs) {
    if (!spec.atMost || !applies(spec)) continue;
    const v = values[spec.name];
    const limit = values[spec.atMost.param];
    if (typeof v === 'number' && typeof limit === 'number' && v > limit) {
      fail(
        owner,
        `${shown(spec.name)} must be at most ${shown(spec.atMost.param)}: ${spec.atMost.why}`,
        `e.g. --${spec.name} ${limit}, or a larger --${spec.atMost.param}`,
      );
    }
  }
}

/** Flags the commands own; a plugin parameter may not take these names. */
export const RESERVED_PARAM_NAMES: readonly string[] = Object.freeze([
  'out',
  'method',
  'metric',
  'dataset',
  'dataset-type',
  'limit',
  'results',
  'json',
  'verbose',
  'device',
  'seed',
  'help',
  'baseline',
  'gate',
  'resume',
]);

/** Checks a spec list itself (plugin authors' mistakes are caught at registration). */
export function validateParamSpecs(specs: readonly ParamSpec[], owner: string): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (!/^[a-z][a-z0-9-]*$/.test(s.name))
      throw new Error(`${owner}: parameter name ${JSON.stringify(s.name)} must be kebab-case`);
    if (RESERVED_PARAM_NAMES.includes(s.name))
      throw new Error(`${owner}: parameter name --${s.name} is reserved by the mc command line`);
    if (seen.has(s.name)) throw new Error(`${owner}: parameter ${s.name} declared twice`);
    seen.add(s.name);
    if (s.type === 'enum' && (!s.options || s.options.length === 0))
      throw new Error(`${owner}: enum parameter ${s.name} needs options`);
    if (s.default !== undefined)
      parseParams(
        [{ ...s, onlyWith: undefined, conflictsWith: undefined, atMost: undefined }],
        { [s.name]: s.default },
        owner,
      );
  }
  for (const s of specs) {
    for (const other of [
      ...Object.keys(s.onlyWith ?? {}),
      ...(s.conflictsWith ?? []),
      ...(s.atMost ? [s.atMost.param] : []),
    ]) {
      if (!seen.has(other))
        throw new Error(`${owner}: parameter ${s.name} refers to ${other}, which is not one of its parameters`);
    }
  }
}

/** A short human description for help and `mc list`: "integer 1..8, default 4". */
export function describeParam(spec: ParamSpec): string {
  const parts: string[] = [spec.type === 'enum' ? `one of ${spec.options?.join('|')}` : spec.type];
  if (spec.min !== undefined || spec.max !== undefined)
    parts.push(`${describeBound(spec.min ?? -Infinity)}..${describeBound(spec.max ?? Infinity)}`);
  if (spec.default !== undefined && spec.default !== '')
    parts.push(`default ${Array.isArray(spec.default) ? spec.default.join(',') || '(none)' : String(spec.default)}`);
  for (const [other, allowed] of Object.entries(spec.onlyWith ?? {}))
    parts.push(`only with --${other} ${allowed.join('|')}`);
  if (spec.conflictsWith?.length) parts.push(`not with ${spec.conflictsWith.map((c) => `--${c}`).join(', ')}`);
  if (spec.atMost) parts.push(`at most --${spec.atMost.param}`);
  return parts.join(', ');
}
