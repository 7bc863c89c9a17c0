/** Against a real HTTP server on 127.0.0.1 that answers like a registry's search endpoint. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pluginRegistry, searchPlugins } from './npm-search.js';

const PACKAGES = [
  {
    name: 'mc-plugin-int3',
    version: '1.0.0',
    description: 'int3 weights',
    keywords: ['mc-plugin', 'quantization'],
    date: '2026-01-02T00:00:00.000Z',
  },
  { name: 'int3-tools', version: '2.0.0', description: 'not an mc plugin', keywords: ['quantization'] },
  { name: 'mc-plugin-dice', version: '0.3.1', description: 'dice score', keywords: ['mc-plugin'] },
];

interface Fake {
  url: string;
  queries: string[];
  close(): Promise<void>;
}

/** understandsKeywords: like npmjs.org; otherwise like verdaccio (every word against name/description). */
async function fakeRegistry(options: { understandsKeywords: boolean; status?: number }): Promise<Fake> {
  const queries: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/-/v1/search') return void res.writeHead(404).end();
    const text = url.searchParams.get('text') ?? '';
    queries.push(text);
    if (options.status) return void res.writeHead(options.status, 'Broken').end();
    const words = text.split(' ').filter(Boolean);
    const hits = PACKAGES.filter((p) =>
      words.every((w) =>
        w.startsWith('keywords:') && options.understandsKeywords
          ? p.keywords.includes(w.slice(9))
          : `${p.name} ${p.description}`.includes(w),
      ),
    );
    // verdaccio gives the version as dist-tags.latest
    const shaped = hits.map(({ version, ...p }) =>
      options.understandsKeywords ? { ...p, version } : { ...p, 'dist-tags': { latest: version } },
    );
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ objects: shaped.map((p) => ({ package: p })), total: hits.length }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    queries,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('searchPlugins', () => {
  it('asks for the keyword and the term, and keeps only packages with the keyword', async () => {
    const fake = await fakeRegistry({ understandsKeywords: true });
    try {
      const report = await searchPlugins(fake.url, ' int3 ', 20);
      expect(fake.queries).toEqual(['keywords:mc-plugin int3']);
      expect(report).toEqual({
        kind: 'plugin-search',
        registry: fake.url,
        term: 'int3',
        items: [
          {
            name: 'mc-plugin-int3',
            version: '1.0.0',
            description: 'int3 weights',
            keywords: ['mc-plugin', 'quantization'],
            date: '2026-01-02T00:00:00.000Z',
          },
        ],
      });
      expect((await searchPlugins(fake.url, '', 1)).items.map((i) => i.name)).toEqual(['mc-plugin-int3']);
    } finally {
      await fake.close();
    }
  });

  it('falls back to the term alone where the registry ignores the keywords: qualifier (verdaccio)', async () => {
    const fake = await fakeRegistry({ understandsKeywords: false });
    try {
      const report = await searchPlugins(fake.url.slice(0, -1), 'int3', 20);
      expect(fake.queries).toEqual(['keywords:mc-plugin int3', 'int3']);
      expect(report.items.map((i) => [i.name, i.version])).toEqual([['mc-plugin-int3', '1.0.0']]);
      expect((await searchPlugins(fake.url, '', 20)).items.map((i) => i.name)).toEqual([
        'mc-plugin-int3',
        'mc-plugin-dice',
      ]);
    } finally {
      await fake.close();
    }
  });

  it('a registry that fails or cannot be reached is one line, exit code 2', async () => {
    const fake = await fakeRegistry({ understandsKeywords: true, status: 500 });
    await expect(searchPlugins(fake.url, 'x', 5)).rejects.toMatchObject({
      code: 'E_REGISTRY',
      exitCode: 2,
      message: `the npm registry ${fake.url} answered 500 Broken to a search`,
    });
    await fake.close();
    await expect(searchPlugins(fake.url, 'x', 5)).rejects.toMatchObject({
      code: 'E_REGISTRY',
      message: `cannot reach the npm registry ${fake.url} (ECONNREFUSED)`,
    });
  });
});

describe('pluginRegistry', () => {
  it("prefers oclif's npmRegistry, then npm_config_registry in any case", async () => {
    expect(await pluginRegistry('http://mine/', { npm_config_registry: 'http://other/' })).toBe('http://mine/');
    expect(await pluginRegistry(undefined, { NPM_CONFIG_REGISTRY: 'http://env/' })).toBe('http://env/');
  });
});
