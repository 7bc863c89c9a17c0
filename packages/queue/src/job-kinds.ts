/**
 * The job kinds mc worker runs: this table and nothing else. A new kind (sharded evals: 'eval-shard')
 * is one entry here, with its schema and its check through the CLI's planners.
 */
import { JobKinds } from './kinds.js';
import { evalShardKind } from './kinds/eval-shard.js';
import { sweepPointKind } from './kinds/sweep-point.js';

export const JOB_KINDS = new JobKinds([sweepPointKind, evalShardKind]);
