/**
 * The documentation's shell blocks as tests run them. A block is marked in the Markdown with an HTML
 * comment on the line before its fence, `<!-- journey: NAME -->`, so README.md and PLUGINS.md can
 * both carry the same journey and a test can check they agree and that it runs as written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';
import { captureRun } from './process.js';

/** Every marked block of a Markdown file, by name. */
export function journeyBlocks(file: string): Map<string, string> {
  const text = readFileSync(join(REPO, file), 'utf8');
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/<!-- journey: ([\w-]+) -->\n```(?:sh|bash)\n([\s\S]*?)\n```/g)) {
    if (blocks.has(m[1])) throw new Error(`${file}: two blocks named ${m[1]}`);
    blocks.set(m[1], m[2]);
  }
  return blocks;
}

/** The commands of a block: comments and blank lines dropped, spacing normalised. */
export function commands(block: string): string[] {
  return block
    .split('\n')
    .map((l) =>
      l
        .replace(/(^|\s)#.*$/, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter(Boolean);
}

export interface BlockRun {
  code: number;
  stdout: string;
  stderr: string;
  /** each command bash ran, with the seconds until the next one started (or the block ended) */
  times: { command: string; seconds: number }[];
}

/**
 * Run a block as a user pasting it into bash would (stopping at the first failure), with bash's
 * trace carrying a timestamp per command so each step can be timed.
 */
export async function runBlock(
  block: string,
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<BlockRun> {
  const script = `set -e\nPS4='+@\${EPOCHREALTIME} '\nset -x\n${block}\n`;
  const { code, stdout, stderr } = await captureRun('bash', ['-c', script], {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 600_000,
  });
  const end = Date.now() / 1000;
  const traced = [...stderr.matchAll(/^\++@(\d+\.\d+) (.*)$/gm)].map((m) => ({ at: Number(m[1]), command: m[2] }));
  const times = traced.map((t, i) => ({
    command: t.command,
    seconds: Math.round(((traced[i + 1]?.at ?? end) - t.at) * 10) / 10,
  }));
  return { code, stdout, stderr: stderr.replace(/^\++@\d+\.\d+ .*\n/gm, ''), times };
}
