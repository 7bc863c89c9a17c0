import { isUserError } from '@mc-kit/core';
import { redisProblem, startRedis, type RedisServer } from '../../../test/helpers/redis.js';
import { assertReachable, parseQueueUrl } from './connection.js';

describe('parseQueueUrl: redis:// and rediss:// into ioredis options, the password shown nowhere', () => {
  it.each([
    ['redis://127.0.0.1:6380/3', { host: '127.0.0.1', port: 6380, db: 3 }, 'redis://127.0.0.1:6380/3'],
    ['redis://redis.lan', { host: 'redis.lan', port: 6379, db: 0 }, 'redis://redis.lan/0'],
    [
      'redis://:s3cret@redis.lan:7000',
      { host: 'redis.lan', port: 7000, db: 0, password: 's3cret' },
      'redis://:***@redis.lan:7000/0',
    ],
    [
      'rediss://mc:p%40ss@redis.lan:6380/1',
      { host: 'redis.lan', port: 6380, db: 1, username: 'mc', password: 'p@ss', tls: { servername: 'redis.lan' } },
      'rediss://mc:***@redis.lan:6380/1',
    ],
    ['redis://[::1]:6379/2', { host: '::1', port: 6379, db: 2 }, 'redis://[::1]:6379/2'],
  ])('%s', (url, options, display) => {
    const c = parseQueueUrl(url);
    expect(c.options).toEqual({ ...options, maxRetriesPerRequest: null });
    expect(c.display).toBe(display);
  });

  it.each([
    ['not a url', /is not a URL/],
    ['http://:pw@host:6379', /only redis:\/\/ and rediss:\/\/ are supported/],
    ['redis://host:6379/queue', /the path must be a database number/],
    ['redis://host:6379/0?tls=true', /query options are not supported/],
  ])('%s is refused in one line, password redacted', (url, message) => {
    let caught: unknown;
    try {
      parseQueueUrl(url);
    } catch (e) {
      caught = e;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toMatch(/pw/);
  });
});

const problem = redisProblem();
if (problem) console.warn(`SKIPPED the Redis connection tests: ${problem}`);
(problem ? describe.skip : describe)('assertReachable against a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis(['--requirepass', 'hunter2-secret']);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('the right password: no error', async () => {
    await expect(assertReachable(parseQueueUrl(redis.url(0, ':hunter2-secret')))).resolves.toBeUndefined();
  });

  it('a wrong password: a user error naming the server, never the password', async () => {
    const e: unknown = await assertReachable(parseQueueUrl(redis.url(0, ':wrong-secret'))).catch((x: unknown) => x);
    expect(isUserError(e)).toBe(true);
    const { message, hint } = e as { message: string; hint: string };
    expect(message).toContain(`redis://:***@127.0.0.1:${redis.port}/0`);
    expect(`${message} ${hint}`).not.toMatch(/wrong-secret|hunter2/);
    expect(hint).toMatch(/password/);
  });

  it('nothing listening: a user error within the connect timeout', async () => {
    const t0 = performance.now();
    const e: unknown = await assertReachable(parseQueueUrl('redis://127.0.0.1:1/0'), 2000).catch((x: unknown) => x);
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(/cannot use the queue at redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
