/**
 * ParamSpec -> oclif flags (STYLE.md §6: params declared once). Values stay raw strings here and are
 * validated by core's parseParams, so flags, recipes and the API share one validation path.
 */
import { describeParam, type ParamSpec } from '@mc-kit/core';
import { Flags, type Interfaces } from '@oclif/core';

type AnyFlag = Interfaces.Flag<unknown>;

export function flagsForParams(groups: readonly { owner: string; params: readonly ParamSpec[] }[]): Record<string, AnyFlag> {
  const flags: Record<string, AnyFlag> = {};
  for (const { owner, params } of groups) {
    for (const spec of params) {
      if (flags[spec.name]) continue; // shared name across chained methods: one flag feeds both
      const description = `${spec.description} (${describeParam(spec)})`;
      const flag =
        spec.type === 'boolean'
          ? Flags.boolean({ description, allowNo: true, helpGroup: owner })
          : spec.type === 'string[]'
            ? Flags.string({ description, multiple: true, helpGroup: owner })
            : Flags.string({ description, helpGroup: owner });
      flags[spec.name] = flag as AnyFlag;
    }
  }
  return flags;
}

/** Pick the parsed values that belong to one spec list (undefined = not given -> default). */
export function rawParamsFor(params: readonly ParamSpec[], parsed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of params) {
    const v = parsed[spec.name];
    if (v === undefined) continue;
    out[spec.name] = spec.type === 'string[]' && Array.isArray(v) ? v.flatMap((s: string) => s.split(',')).map((s) => s.trim()).filter(Boolean) : v;
  }
  return out;
}

/**
 * Values of one flag read from raw argv (`--name X`, `--name=X`, or `-c X`), before oclif parses:
 * the chosen methods and metric decide which extra flags exist.
 */
export function flagValuesFromArgv(argv: readonly string[], name: string, char?: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === `--${name}` || (char && a === `-${char}`)) && i + 1 < argv.length) values.push(argv[++i]);
    else if (a.startsWith(`--${name}=`)) values.push(a.slice(name.length + 3));
  }
  return values;
}
