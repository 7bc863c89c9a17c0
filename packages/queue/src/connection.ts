/**
 * Where the queue lives: `redis://[user:pass@]host[:port][/db]` or `rediss://…` (TLS), parsed once
 * into ioredis options. The password goes into the options only; everything that is shown (logs,
 * errors, results, the queue's own description) uses `display`, where it is `***`.
 */
import { isIP } from 'node:net';
import { ErrorCodes, UserError, redactArgv } from '@mc-kit/core';
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';

export interface QueueConnection {
  /** connection options (BullMQ's, which ioredis takes too), secret included: never print */
  readonly options: RedisOptions;
  /** the URL with the password replaced by *** */
  readonly display: string;
}

const HINT = 'give --queue redis://[user:password@]host[:port][/db] (rediss:// for TLS)';

export function parseQueueUrl(text: string): QueueConnection {
  const shown = redactQueueUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(ErrorCodes.BAD_PARAM, `--queue ${shown} is not a URL`, { hint: HINT });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new UserError(ErrorCodes.BAD_PARAM, `--queue ${shown}: only redis:// and rediss:// are supported`, {
      hint: HINT,
    });
  if (!url.hostname) throw new UserError(ErrorCodes.BAD_PARAM, `--queue ${shown} names no host`, { hint: HINT });
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(path) || Number(path) > 65535)
    throw new UserError(ErrorCodes.BAD_PARAM, `--queue ${shown}: the path must be a database number, not "/${path}"`, {
      hint: HINT,
    });
  if (url.search || url.hash)
    throw new UserError(ErrorCodes.BAD_PARAM, `--queue ${shown}: query options are not supported`, { hint: HINT });
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literals come bracketed
  return {
    options: {
      host,
      port,
      db: path === '' ? 0 : Number(path),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      // rediss: TLS with the system's CAs (NODE_EXTRA_CA_CERTS adds a private one); servername for SNI (never an IP: RFC 6066)
      ...(url.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
      // BullMQ's blocking connections require it; a request never fails for want of a retry count
      maxRetriesPerRequest: null,
    },
    display: `${url.protocol}//${url.username || url.password ? `${url.username ? `${url.username}:` : ':'}***@` : ''}${url.host}/${path || 0}`,
  };
}

/** Any text (an error message, a URL) with a Redis URL's password replaced by ***. */
export function redactQueueUrl(text: string): string {
  return redactArgv([text])[0];
}

/**
 * Connect once, with a short timeout and no retries, and PING: an unreachable server, a refused
 * password or a TLS mismatch is one user error, before anything is enqueued.
 */
export async function assertReachable(connection: QueueConnection, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...connection.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    disconnectTimeout: 0, // ioredis otherwise keeps the process alive 2 s after a failed connect
  });
  // the socket's own error (ECONNREFUSED, ENOTFOUND, WRONGPASS) says more than connect()'s "Connection is closed"
  let cause: unknown;
  client.on('error', (e: unknown) => (cause ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const why = cause ?? e;
    const said = redactQueueUrl(
      why instanceof Error ? why.message || String((why as { code?: string }).code) : String(why),
    );
    const auth = /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(said);
    throw new UserError(ErrorCodes.QUEUE_UNREACHABLE, `cannot use the queue at ${connection.display}: ${said}`, {
      hint: auth
        ? 'check the user and password in the --queue URL'
        : 'start redis-server there, or check the host, port, firewall and (rediss://) TLS',
    });
  } finally {
    client.disconnect();
  }
}
