/**
 * `mc plugins search`: mc plugins are npm packages with the keyword `mc-plugin`, so finding them is
 * a query to the npm registry's search endpoint (GET {registry}/-/v1/search). The registry is the one
 * `mc plugins install` uses: MC_NPM_REGISTRY (oclif's npmRegistry) when set, else npm's own setting.
 */
import { execFile } from 'node:child_process';
import { ErrorCodes, UserError } from '@mc-kit/core';

export const PLUGIN_KEYWORD = 'mc-plugin';
export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface SearchHit {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly keywords: string[];
  /** when this version was published, when the registry says */
  readonly date?: string;
}

export interface SearchReport {
  readonly kind: 'plugin-search';
  readonly registry: string;
  readonly term: string;
  readonly items: SearchHit[];
}

interface SearchResponse {
  objects?: {
    package?: {
      name?: string;
      version?: string;
      'dist-tags'?: { latest?: string };
      description?: string;
      keywords?: unknown;
      date?: string;
    };
  }[];
}

/**
 * Search `registry` for mc plugins matching `term` (empty: all of them). npmjs.org understands the
 * `keywords:` qualifier; registries that do not (verdaccio matches every word against name and
 * description) get a second query with the term alone. Either way only packages that carry the
 * keyword are kept.
 */
export async function searchPlugins(registry: string, term: string, limit: number): Promise<SearchReport> {
  const words = term.trim().split(/\s+/).filter(Boolean).join(' ');
  let items = await query(registry, `keywords:${PLUGIN_KEYWORD} ${words}`.trim(), limit);
  // The second query is a courtesy to such registries: where it fails, the first answer stands.
  if (items.length === 0) items = await query(registry, words, 250).catch(() => []);
  return { kind: 'plugin-search', registry, term: words, items: items.slice(0, limit) };
}

async function query(registry: string, text: string, size: number): Promise<SearchHit[]> {
  const url = new URL('-/v1/search', registry.endsWith('/') ? registry : `${registry}/`);
  url.searchParams.set('text', text);
  url.searchParams.set('size', String(size));
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(20_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new UserError(
      ErrorCodes.REGISTRY,
      `cannot reach the npm registry ${registry} (${cause?.code ?? cause?.message ?? (e as Error).message})`,
      {
        hint: 'check the network, or point npm_config_registry (or MC_NPM_REGISTRY) at a registry you can reach',
      },
    );
  }
  if (!response.ok) {
    throw new UserError(
      ErrorCodes.REGISTRY,
      `the npm registry ${registry} answered ${response.status} ${response.statusText} to a search`,
      {
        hint: 'the registry may not support npm search (GET /-/v1/search)',
      },
    );
  }
  const body = (await response.json().catch(() => ({}))) as SearchResponse;
  return (
    (body.objects ?? [])
      .map((o) => o.package)
      .filter(
        (p): p is NonNullable<typeof p> =>
          typeof p?.name === 'string' && Array.isArray(p.keywords) && p.keywords.includes(PLUGIN_KEYWORD),
      )
      // npmjs.org says `version`; verdaccio says `dist-tags.latest`
      .map((p) => ({
        name: p.name!,
        version: p.version ?? p['dist-tags']?.latest ?? '',
        description: p.description ?? '',
        keywords: (p.keywords as unknown[]).map(String),
        ...(p.date ? { date: p.date } : {}),
      }))
  );
}

/**
 * The registry installs go to: oclif's npmRegistry (MC_NPM_REGISTRY, passed to npm as --registry by
 * `mc plugins install`), else npm's setting (npm_config_registry, then `npm config get registry`,
 * which reads .npmrc files), else the public registry.
 */
export async function pluginRegistry(
  oclifRegistry: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (oclifRegistry) return oclifRegistry;
  const fromEnv = Object.entries(env).find(([k, v]) => k.toLowerCase() === 'npm_config_registry' && v)?.[1];
  if (fromEnv) return fromEnv;
  return (await npmConfigRegistry()) ?? DEFAULT_REGISTRY;
}

function npmConfigRegistry(): Promise<string | undefined> {
  return new Promise((done) => {
    execFile(
      'npm',
      ['config', 'get', 'registry'],
      { timeout: 10_000, shell: process.platform === 'win32' },
      (error, stdout) => {
        const value = String(stdout ?? '').trim();
        done(!error && /^https?:\/\//.test(value) ? value : undefined);
      },
    );
  });
}
