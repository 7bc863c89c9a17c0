/**
 * Runs before every command: one warning line for each installed or linked plugin that oclif could
 * not load (see plugin-warnings.ts). Plugins whose mc:register hook fails are reported by the
 * commands that load them (plugin-loading.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hook } from '@oclif/core';
import { unloadedPluginWarnings } from '../plugin-warnings.js';

const hook: Hook<'init'> = async function ({ config }) {
  const file = join(config.dataDir, 'package.json');
  if (!existsSync(file)) return;
  let entries: { name: string; type: string; root?: string }[] = [];
  try {
    const plugins =
      (JSON.parse(readFileSync(file, 'utf8')) as { oclif?: { plugins?: unknown[] } }).oclif?.plugins ?? [];
    entries = plugins.map((p) =>
      typeof p === 'string' ? { name: p, type: 'user' } : (p as { name: string; type: string; root?: string }),
    );
  } catch {
    process.stderr.write(
      `warning: ${file} is not valid JSON: installed plugins are not loaded (mc plugins reset starts over)\n`,
    );
    return;
  }
  for (const line of await unloadedPluginWarnings(config, entries)) process.stderr.write(`warning: ${line}\n`);
};

export default hook;
