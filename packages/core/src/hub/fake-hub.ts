/**
 * A small Hugging Face Hub on 127.0.0.1 for tests: it answers the routes @huggingface/hub calls
 * when resolveHubRef runs (and no others), and logs every request so a test can tell what was
 * fetched. Point the library at it with resolveHubRef's hubUrl option (or MC_HUB_URL).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCommit {
  /** branches and tags that point at this commit */
  readonly refs: readonly string[];
  readonly files: Readonly<Record<string, string | Uint8Array>>;
}
export interface FakeRepo {
  readonly type: 'model' | 'dataset';
  /** owner/name */
  readonly name: string;
  /** 40-hex commit -> contents */
  readonly commits: Readonly<Record<string, FakeCommit>>;
}
export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly range?: string;
  readonly authorization?: string;
}
export interface FakeHub {
  readonly url: string;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

/** Stored with Git LFS on the real hub (per a typical .gitattributes): those resolve through a CDN redirect. */
const LFS = /\.(onnx|onnx_data|bin|safetensors)$/;

interface Entry {
  path: string;
  bytes: Buffer;
  oid: string;
  sha256: string;
  lfs: boolean;
}

function entry(path: string, content: string | Uint8Array): Entry {
  const bytes = Buffer.from(content);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const lfs = LFS.test(path);
  // git's blob id; for an LFS file it is the id of the small pointer file git stores instead
  const stored = lfs
    ? Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.length}\n`)
    : bytes;
  const oid = createHash('sha1').update(`blob ${stored.length}\0`).update(stored).digest('hex');
  return { path, bytes, oid, sha256, lfs };
}

/** A tree/paths-info entry as the hub API writes it. */
function describe(e: Entry, commit?: string): object {
  const base = { type: 'file', oid: e.oid, size: e.bytes.length, path: e.path };
  const lfs = e.lfs ? { lfs: { oid: e.sha256, size: e.bytes.length, pointerSize: 134 } } : {};
  const last = commit ? { lastCommit: { id: commit, title: 'upload', date: '2024-01-01T00:00:00.000Z' } } : {};
  return { ...base, ...lfs, ...last };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Whole body (200) or one `Range: bytes=a-b` slice (206), as the hub and its CDN answer. */
function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer, headers: Record<string, string>): void {
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const h = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', ...headers };
  if (m) {
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : bytes.length - 1, bytes.length - 1);
    res.writeHead(206, {
      ...h,
      'content-range': `bytes ${start}-${end}/${bytes.length}`,
      'content-length': String(end - start + 1),
    });
    res.end(req.method === 'HEAD' ? undefined : bytes.subarray(start, end + 1));
  } else {
    res.writeHead(200, { ...h, 'content-length': String(bytes.length) });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }
}

export async function startFakeHub(repos: readonly FakeRepo[]): Promise<FakeHub> {
  const requests: FakeRequest[] = [];
  const byKey = new Map(repos.map((r) => [`${r.type}s/${r.name}`, r]));
  const cdn = new Map<string, Buffer>();
  const files = (repo: FakeRepo, commit: string): Entry[] =>
    Object.entries(repo.commits[commit]?.files ?? {})
      .map(([p, c]) => entry(p, c))
      .sort((a, b) => a.path.localeCompare(b.path));
  const commitOf = (repo: FakeRepo, rev: string): string | undefined =>
    repo.commits[rev] ? rev : Object.keys(repo.commits).find((c) => repo.commits[c]?.refs.includes(rev));

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    let m: RegExpExecArray | null;
    // GET /cdn/<sha256>: where LFS files redirect to (the real hub sends them to a CDN host)
    if ((m = /^\/cdn\/([0-9a-f]{64})$/.exec(p)) && cdn.has(m[1]!))
      return sendBytes(req, res, cdn.get(m[1]!)!, { etag: `"${m[1]}"` });
    // /api/{models|datasets}/{owner}/{name}/(revision|tree|paths-info)/{rev}[/{path}]
    if ((m = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/([^/]+)(?:\/(.*))?$/.exec(p))) {
      const repo = byKey.get(`${m[1]}/${m[2]}`);
      if (!repo) return json(res, 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
      const commit = commitOf(repo, decodeURIComponent(m[4]!));
      if (!commit) return json(res, 404, { error: `Invalid rev id: ${m[4]}` }, { 'x-error-code': 'RevisionNotFound' });
      const all = files(repo, commit);
      if (m[3] === 'revision') {
        // modelInfo / datasetInfo with additionalFields ['sha'] (snapshot commit)
        return json(res, 200, {
          _id: repo.name,
          id: repo.name,
          sha: commit,
          private: false,
          gated: false,
          downloads: 0,
          likes: 0,
          lastModified: '2024-01-01T00:00:00.000Z',
        });
      }
      if (m[3] === 'tree') {
        // listFiles: ?recursive=true gives every file and directory below `path`
        const under = m[5] ? `${m[5]}/` : '';
        const recursive = url.searchParams.get('recursive') === 'true';
        const inside = all.filter(
          (e) => e.path.startsWith(under) && (recursive || !e.path.slice(under.length).includes('/')),
        );
        const dirs = [
          ...new Set(
            inside.flatMap((e) =>
              e.path
                .split('/')
                .slice(0, -1)
                .map((_, i, a) => a.slice(0, i + 1).join('/')),
            ),
          ),
        ];
        return json(res, 200, [
          ...dirs.map((d) => ({ type: 'directory', oid: '0'.repeat(40), size: 0, path: d })),
          ...inside.map((e) => describe(e)),
        ]);
      }
      // paths-info (POST, JSON {paths, expand}): downloadFileToCacheDir's etag (lfs.oid or oid) and lastCommit
      const wanted = JSON.parse(body || '{}') as { paths?: string[]; expand?: boolean };
      return json(
        res,
        200,
        all.filter((e) => wanted.paths?.includes(e.path)).map((e) => describe(e, wanted.expand ? commit : undefined)),
      );
    }
    // GET|HEAD /[datasets/]{owner}/{name}/resolve/{rev}/{path}: fileDownloadInfo (Range bytes=0-0), then the download
    if ((m = /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p))) {
      const repo = byKey.get(`${m[1] ? 'datasets' : 'models'}/${m[2]}`);
      const commit = repo && commitOf(repo, decodeURIComponent(m[3]!));
      const e = repo && commit ? files(repo, commit).find((f) => f.path === decodeURIComponent(m![4]!)) : undefined;
      if (!e) return json(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
      const common = { 'x-repo-commit': commit!, 'x-linked-size': String(e.bytes.length) };
      if (e.lfs) {
        cdn.set(e.sha256, e.bytes);
        res.writeHead(302, { ...common, location: `/cdn/${e.sha256}`, 'x-linked-etag': `"${e.sha256}"` });
        return void res.end();
      }
      return sendBytes(req, res, e.bytes, { ...common, etag: `"${e.oid}"` });
    }
    json(res, 404, { error: 'not a route of this fake hub' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        range: req.headers.range,
        authorization: req.headers.authorization,
      });
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) =>
        json(res, 500, { error: String(err) }),
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
