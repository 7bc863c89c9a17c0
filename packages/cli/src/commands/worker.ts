import {
  assertReachable,
  checkQueueName,
  JOB_KINDS,
  parseQueueUrl,
  runWorker,
  type WorkerSummary,
} from '@mc-kit/queue';
import { Flags } from '@oclif/core';
import { McCommand, RUNTIME_FLAGS } from '../base-command.js';

export default class Worker extends McCommand {
  static override summary = "Run queued jobs (mc sweep --queue's points) until stopped: one per machine, or several.";
  static override description =
    'Takes jobs from a Redis queue (BullMQ) and runs them: every sweep point is the same compress-then-eval a local mc sweep runs, on models and datasets at paths this machine can read (a shared filesystem) or hf: references. Without --name it serves every mc sweep queue on that Redis, oldest first.\n\n' +
    'A job carries only data: the kind of job (sweep-point) and its parameters, checked exactly as the command line that made it was. Unknown kinds, unknown fields and parameters the planners refuse fail the job with their message, as does a user error while it runs (a missing file): those are not retried. A crash is retried, up to the attempts mc sweep --attempts set on the job.\n\n' +
    "Ctrl-C or SIGTERM: no new job is taken, the running one stops after its current step and goes back to the queue for another worker, and mc worker exits 0 (a second signal quits at once). A worker that is killed outright loses its jobs' locks: after --lock-duration another worker takes them over (BullMQ's stalled-job check, every --stalled-interval).";
  static override examples = [
    '<%= config.bin %> worker --queue redis://redis.lan:6379',
    '<%= config.bin %> worker --queue rediss://mc:$REDIS_PASSWORD@redis.lan:6380/1 --concurrency 2',
    '<%= config.bin %> worker --queue redis://127.0.0.1:6379 --name mc-sweep-3f2a9c81d0e4   # one sweep only',
  ];
  // --device is this machine's choice (a GPU worker beside CPU ones); the seed travels with each job
  static override baseFlags = { ...McCommand.baseFlags, device: RUNTIME_FLAGS.device };
  static override flags = {
    queue: Flags.string({
      description:
        'The Redis to take jobs from: redis://[user:password@]host[:port][/db], rediss:// for TLS. The password never appears in logs or results.',
      required: true,
    }),
    name: Flags.string({
      description: 'Serve only this queue (mc sweep prints its name); default: every mc sweep queue, oldest first.',
    }),
    concurrency: Flags.integer({ description: 'Jobs run at once in this process.', default: 1, min: 1, max: 64 }),
    'lock-duration': Flags.integer({
      description:
        "Milliseconds a running job's lock lives without renewal: a killed worker's job goes to another worker about this long after. Lower it only for tests.",
      default: 30_000,
      min: 1000,
    }),
    'stalled-interval': Flags.integer({
      description: 'Milliseconds between checks for jobs whose worker died.',
      default: 30_000,
      min: 500,
    }),
  };

  async run(): Promise<WorkerSummary> {
    const { flags } = await this.parse(Worker);
    const connection = parseQueueUrl(flags.queue);
    const name = flags.name === undefined ? undefined : checkQueueName(flags.name);
    await assertReachable(connection);
    const registry = await this.registry();
    const ctx = await this.context(flags);
    const summary = await runWorker({
      connection,
      queue: name,
      concurrency: flags.concurrency,
      lockDurationMs: flags['lock-duration'],
      stalledIntervalMs: flags['stalled-interval'],
      kinds: JOB_KINDS,
      registry,
      ctx,
    });
    this.log(
      `worker: stopped; ${summary.completed} done, ${summary.failed} failed, ${summary.returned} returned to the queue`,
    );
    return summary;
  }
}
