/**
 * What a worker will run: a table of mc's own job kinds, keyed by name. A job carries only data (a
 * kind's name and its JSON parameters), never a command, code or a plugin to load; the worker looks
 * the name up here and refuses anything else. Each kind checks its data's shape against a JSON
 * schema (no unknown fields) and then re-plans it with the same planners the CLI uses, so a job
 * is accepted exactly when the command line that made it would be.
 */
import { ErrorCodes, UserError, type Invocation, type Registry, type RunContext } from '@mc-kit/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** What a running job may use besides its data. */
export interface JobContext {
  readonly registry: Registry;
  /** a RunContext whose progress also reaches the queue, and whose signal stops the job (the worker is stopping) */
  readonly run: RunContext;
  /** the queue and job id, for a kind that leaves marks on disk (a retried point finds its earlier attempt's) */
  readonly queue: string;
  readonly jobId: string;
}

export interface JobKind<Data> {
  readonly name: string;
  readonly summary: string;
  /** the JSON schema of Data, additionalProperties false everywhere (ajv checks it before check() sees the data) */
  readonly schema: object;
  /** re-validate the (shape-checked) data with the CLI's planners; throws a UserError */
  check(data: Data, registry: Registry): void;
  /** run it; the JSON this returns is the job's return value */
  run(data: Data, ctx: JobContext): Promise<unknown>;
}

/** Every job of every kind may carry the invocation that made it, so the results it writes name the coordinator's command line and run id. */
export interface JobEnvelope {
  readonly invocation?: Invocation;
}

export const INVOCATION_SCHEMA = {
  type: 'object',
  properties: {
    argv: { type: 'array', items: { type: 'string' }, maxItems: 10_000 },
    run: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
  },
  required: ['argv', 'run'],
  additionalProperties: false,
  nullable: true,
} as const;

/** A kind that any data shape can be registered under (the table is heterogeneous). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyJobKind = JobKind<any>;

export class JobKinds {
  private readonly kinds = new Map<string, { kind: AnyJobKind; validate: ValidateFunction }>();
  private readonly ajv = new Ajv({ allErrors: false, strict: true });

  constructor(kinds: readonly AnyJobKind[]) {
    for (const kind of kinds) {
      if (this.kinds.has(kind.name)) throw new Error(`job kind ${kind.name} registered twice`);
      this.kinds.set(kind.name, { kind, validate: this.ajv.compile(kind.schema) });
    }
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }

  /**
   * The kind named `name` and its data, checked: an unknown kind, a field the kind does not take, a
   * value of the wrong type, or data the planners refuse is a UserError (E_BAD_JOB, or the planner's).
   */
  accept(name: string, data: unknown, registry: Registry): { kind: AnyJobKind; data: unknown } {
    const entry = this.kinds.get(name);
    if (!entry)
      throw new UserError(ErrorCodes.BAD_JOB, `job kind "${name}" is not one mc runs`, {
        hint: `this worker runs ${this.names().join(', ')}; a job never carries code, a command or a plugin`,
      });
    if (!entry.validate(data))
      throw new UserError(ErrorCodes.BAD_JOB, `${name} job: ${describeSchemaError(entry.validate.errors?.[0])}`, {
        hint: 'the job was not made by a matching mc sweep (mc versions differ?)',
      });
    entry.kind.check(data, registry);
    return { kind: entry.kind, data };
  }
}

function describeSchemaError(e: ErrorObject | undefined): string {
  if (!e) return 'data is not valid';
  const at = e.instancePath ? `data${e.instancePath.replace(/\//g, '.')}` : 'data';
  if (e.keyword === 'additionalProperties')
    return `${at} has a field it does not take: "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
  return `${at} ${e.message ?? 'is not valid'}`;
}
