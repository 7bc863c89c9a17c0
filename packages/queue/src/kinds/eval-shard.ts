/**
 * 'eval-shard': shard `index` of `count` of an mc eval --shards --queue: every metric of the request
 * scored on that shard's contiguous range of its plan (core's evaluateShard). The worker checks the
 * request with planEvalShards, the planner mc eval itself used; the shard's results (each metric's
 * records for the merge) come back as the job's return value, and the coordinator merges them.
 */
import {
  ErrorCodes,
  MAX_SHARDS,
  UserError,
  evaluateShard,
  planEvalShards,
  type EvalRequest,
  type EvalResult,
  type Invocation,
} from '@mc-kit/core';
import { INVOCATION_SCHEMA, type JobKind } from '../kinds.js';
import { RAW_PARAMS } from './sweep-request-schema.js';

export interface EvalShardJob {
  readonly request: EvalRequest;
  readonly shard: { readonly index: number; readonly count: number };
  readonly invocation?: Invocation;
}

const STRING = { type: 'string' };
const OPTIONAL_STRING = { type: 'string', nullable: true };

/** core's EvalRequest as a job carries it; no --resume, and planEvalShards refuses a non-empty alsoOnBaseline. */
export const EVAL_REQUEST_SCHEMA = {
  type: 'object',
  properties: {
    model: STRING,
    metrics: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { id: STRING, params: RAW_PARAMS },
        required: ['id', 'params'],
        additionalProperties: false,
      },
    },
    dataset: OPTIONAL_STRING,
    datasetType: OPTIONAL_STRING,
    limit: { type: 'integer', minimum: 1, nullable: true },
    field: OPTIONAL_STRING,
    seed: { type: 'integer' },
    baseline: OPTIONAL_STRING,
    alsoOnBaseline: { type: 'array', items: STRING, nullable: true },
    run: { type: 'string', pattern: '^[0-9a-f-]{36}$', nullable: true },
  },
  required: ['model', 'metrics', 'seed'],
  additionalProperties: false,
} as const;

export const evalShardKind: JobKind<EvalShardJob> = {
  name: 'eval-shard',
  summary: 'one shard of mc eval --shards: each metric on its range of windows or items, returned for the merge',
  schema: {
    type: 'object',
    properties: {
      request: EVAL_REQUEST_SCHEMA,
      shard: {
        type: 'object',
        properties: {
          index: { type: 'integer', minimum: 0 },
          count: { type: 'integer', minimum: 1, maximum: MAX_SHARDS },
        },
        required: ['index', 'count'],
        additionalProperties: false,
      },
      invocation: INVOCATION_SCHEMA,
    },
    required: ['request', 'shard'],
    additionalProperties: false,
  },
  check(data, registry) {
    planEvalShards(registry, data.request, data.shard.count);
    if (data.shard.index >= data.shard.count)
      throw new UserError(ErrorCodes.BAD_JOB, `eval-shard job: shard ${data.shard.index} of ${data.shard.count}`, {
        hint: 'the job was not made by mc eval --shards',
      });
  },
  async run(data, { registry, run }): Promise<EvalResult[]> {
    return evaluateShard(registry, data.request, data.shard, run);
  },
};
