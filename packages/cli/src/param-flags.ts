/**
 * ParamSpec -> oclif flags (STYLE.md §6: params declared once). Values stay raw strings here and are
 * validated by core's parseParams, so flags, recipes and the API share one validation path.
 */
import { describeParam, type ParamSpec, type Registry } from '@mc-kit/core';
import { Flags, type Interfaces } from '@oclif/core';

type AnyFlag = Interfaces.Flag<unknown>;

/** One owner's parameters; `scope` (a method id) also gives each a `--<scope>.<name>` flag. */
export interface ParamGroup {
  readonly owner: string;
  readonly params: readonly ParamSpec[];
  readonly scope?: string;
}

/**
 * The flags a command takes from what its command line chose (`--method int8` adds int8's), as a
 * static of the command class: its run() parses with them and its --help lists them (help.ts).
 */
export type ParamFlags = (argv: readonly string[], registry: Registry) => Record<string, AnyFlag>;

/** One group per known method id in `ids` (an unknown id is left to the planner's "did you mean"). */
export function methodGroups(registry: Registry, ids: readonly string[]): ParamGroup[] {
  return ids
    .filter((id) => registry.has('compressor', id))
    .map((id) => ({ owner: id.toUpperCase(), params: registry.compressor(id).params, scope: id }));
}

/** One group per known metric id in `ids`. */
export function metricGroups(registry: Registry, ids: readonly string[]): ParamGroup[] {
  return ids
    .filter((id) => registry.has('metric', id))
    .map((id) => ({ owner: id.toUpperCase(), params: registry.metric(id).params, scope: id }));
}

/** `--int4.block-size`: the flag of one method's parameter, whatever the other methods of a chain take. */
export const scopedFlagName = (scope: string, name: string): string => `${scope}.${name}`;

function flagFor(spec: ParamSpec, description: string, helpGroup: string, hidden: boolean): AnyFlag {
  const flag =
    spec.type === 'boolean'
      ? Flags.boolean({ description, allowNo: true, helpGroup, hidden })
      : spec.type === 'string[]'
        ? Flags.string({ description, multiple: true, helpGroup, hidden })
        : Flags.string({ description, helpGroup, hidden });
  return flag as AnyFlag;
}

/**
 * Flags for the parameters of every group. A name declared by several groups (chained methods:
 * prune and int8 both take --granularity, with different values) is one flag that feeds all of
 * them, and each scoped group also gets `--<scope>.<name>` for one method alone; those are listed
 * in the help where the name is shared, and accepted (hidden) everywhere else.
 */
export function flagsForParams(groups: readonly ParamGroup[]): Record<string, AnyFlag> {
  const owners = new Map<string, string[]>();
  for (const g of groups)
    for (const spec of g.params) owners.set(spec.name, [...(owners.get(spec.name) ?? []), g.scope ?? g.owner]);
  const flags: Record<string, AnyFlag> = {};
  for (const { owner, params, scope } of groups) {
    for (const spec of params) {
      const description = `${spec.description} (${describeParam(spec)})`;
      const sharedBy = [...new Set(owners.get(spec.name))];
      const shared = sharedBy.length > 1;
      if (!flags[spec.name]) {
        const note =
          shared && scope
            ? `; shared by ${sharedBy.join(', ')}: --${scopedFlagName(scope, spec.name)} sets it for ${scope} alone`
            : '';
        flags[spec.name] = flagFor(spec, description + note, owner, false);
      }
      if (scope)
        flags[scopedFlagName(scope, spec.name)] = flagFor(spec, `${description}, for ${scope} only`, owner, !shared);
    }
  }
  return flags;
}

/**
 * Pick the parsed values that belong to one spec list (undefined = not given -> default); with a
 * scope, `--<scope>.<name>` wins over the shared `--<name>`.
 */
export function rawParamsFor(
  params: readonly ParamSpec[],
  parsed: Record<string, unknown>,
  scope?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of params) {
    const scoped = scope === undefined ? undefined : parsed[scopedFlagName(scope, spec.name)];
    const v = scoped ?? parsed[spec.name];
    if (v === undefined) continue;
    out[spec.name] =
      spec.type === 'string[]' && Array.isArray(v)
        ? v
            .flatMap((s: string) => s.split(','))
            .map((s) => s.trim())
            .filter(Boolean)
        : v;
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
