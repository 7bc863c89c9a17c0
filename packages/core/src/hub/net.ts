/**
 * The seams between @huggingface/hub and mc: the `fetch` we hand the library (for Ctrl-C and byte
 * progress), and reading the library's failures (network down vs. HTTP status).
 */
import type { Logger } from '../contracts.js';

/**
 * A fetch for the library: every request follows ctx.signal, and the body of a whole-file GET
 * (no Range header, outside {hubUrl}/api/) reports its bytes as they stream in. The library asks
 * for file info with `Range: bytes=0-0` and then fetches the file without a Range, so this counts
 * each file's content once. Xet-stored files on the real hub come in ranged chunks from other hosts
 * and are not counted here; the caller ticks what was not seen once a file is done.
 */
export function progressFetch(hubUrl: string, signal: AbortSignal, onBytes: (n: number) => void): typeof fetch {
  const apiPrefix = `${hubUrl}/api/`;
  return async (input, init) => {
    const res = await fetch(input, { ...init, signal: init?.signal ?? signal });
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!res.ok || !res.body || url.startsWith(apiPrefix) || new Headers(init?.headers).has('range')) return res;
    const count = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    });
    const wrapped = new Response(res.body.pipeThrough(count), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
    // the library compares resp.url with the hub's origin (redirects to a CDN); a new Response has ''
    Object.defineProperty(wrapped, 'url', { value: res.url });
    return wrapped;
  };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * True when the hub could not be reached at all: undici's `TypeError: fetch failed` (cause
 * ECONNREFUSED, ENOTFOUND, ...), the bare 'fetch failed' string the library aborts a body stream
 * with, or a gateway status in front of the hub. Duck-typed: under jest the error may come from
 * another realm, where instanceof fails.
 */
export function isUnreachable(e: unknown): boolean {
  if (typeof e === 'string') return e.includes('fetch failed');
  if (typeof e !== 'object' || e === null) return false;
  const status = httpStatus(e);
  if (status !== undefined) return status === 502 || status === 503 || status === 504;
  const cause = (e as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string' && NETWORK_CODES.has(cause.code)) return true;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return String((e as { message?: unknown }).message ?? '').includes('fetch failed');
}

/** The HTTP status of the library's HubApiError, if `e` is one. */
export function httpStatus(e: unknown): number | undefined {
  const s = typeof e === 'object' && e !== null ? (e as { statusCode?: unknown }).statusCode : undefined;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Run a library call with console.debug sent to our logger: downloadFileToCacheDir prints
 * "Downloading <path> to <blob>.incomplete" with console.debug, which Node writes to stdout, the
 * stream --json keeps for the JSON document alone.
 */
export async function withLibraryDebugTo<T>(log: Logger, fn: () => Promise<T>): Promise<T> {
  const original = console.debug;
  console.debug = (...args: unknown[]) => log.debug(args.map(String).join(' '));
  try {
    return await fn();
  } finally {
    console.debug = original;
  }
}
