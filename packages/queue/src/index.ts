/** @mc-kit/queue: mc sweep's points as BullMQ jobs on Redis, and the worker that runs them. */
export { assertReachable, parseQueueUrl, redactQueueUrl, type QueueConnection } from './connection.js';
export { runQueuedSweep, type QueuedSweepOptions, type QueuedSweepResult } from './coordinator.js';
export { isJobProgress, progressToQueue, type JobProgress } from './job-progress.js';
export { JobKinds, type JobContext, type JobEnvelope, type JobKind } from './kinds.js';
export { sweepPointKind, type SweepPointJob, type SweepPointReturn } from './kinds/sweep-point.js';
export { checkQueueName, QUEUE_PREFIX, sweepQueueName } from './naming.js';
export { runWorker, type WorkerOptions, type WorkerSummary } from './worker.js';
export { JOB_KINDS } from './job-kinds.js';
export { evalQueueName, runQueuedEval, shardJobId, type QueuedEvalOptions } from './eval-coordinator.js';
export { evalShardKind, EVAL_REQUEST_SCHEMA, type EvalShardJob } from './kinds/eval-shard.js';
