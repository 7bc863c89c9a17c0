/**
 * Where mc's jobs live in Redis. Every key starts with `mc:` (BullMQ's prefix), so mc shares a
 * Redis with other users of BullMQ without meeting their queues. Each sweep gets its own queue,
 * named from a hash of what it asks for, so the same sweep run again (`--resume`) finds its jobs;
 * the directory of queues that have work lets `mc worker` without `--name` serve every sweep.
 */
import { createHash } from 'node:crypto';
import { ErrorCodes, UserError } from '@mc-kit/core';
import { Redis } from 'ioredis';
import type { QueueConnection } from './connection.js';

export const QUEUE_PREFIX = 'mc';
/** a sorted set: queue name → when it was first given work (a queue name is never empty, so no queue's keys meet it) */
const DIRECTORY_KEY = `${QUEUE_PREFIX}::queues`;

/** JSON with object keys sorted, so equal requests hash equally whatever order their fields were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** `mc-sweep-<12 hex>`: the same request, the same queue. */
export function sweepQueueName(request: unknown): string {
  return `mc-sweep-${createHash('sha256').update(canonicalJson(request)).digest('hex').slice(0, 12)}`;
}

/** A --name: letters, digits, `.`, `_`, `-` (it becomes part of Redis keys; `:` would split them). */
export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name))
    throw new UserError(ErrorCodes.BAD_PARAM, `--name "${name}" is not a queue name`, {
      hint: 'use 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  return name;
}

async function withClient<T>(connection: QueueConnection, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ ...connection.options, lazyConnect: true, disconnectTimeout: 0 });
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** List the queue in the directory mc worker (without --name) reads. */
export function announceQueue(connection: QueueConnection, name: string): Promise<unknown> {
  return withClient(connection, (redis) => redis.zadd(DIRECTORY_KEY, 'NX', Date.now(), name));
}

export function retireQueue(connection: QueueConnection, name: string): Promise<unknown> {
  return withClient(connection, (redis) => redis.zrem(DIRECTORY_KEY, name));
}

/** The announced queues, oldest first. */
export async function announcedQueues(redis: Redis): Promise<string[]> {
  return redis.zrange(DIRECTORY_KEY, 0, -1);
}
