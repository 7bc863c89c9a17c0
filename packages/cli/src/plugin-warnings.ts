/**
 * One warning line per plugin that oclif itself cannot load (a linked folder that is gone, a broken
 * package.json). oclif reports those as a 6-line process warning that names the CLI, not the plugin;
 * mc keeps them (bin/run.js calls capturePluginLoadWarnings before oclif starts) and the init hook
 * names each plugin that is missing, in the form mc uses for a plugin whose hook fails.
 */
import { join, resolve } from 'node:path';
import type { Interfaces } from '@oclif/core';

const captured: Error[] = [];

/** Keep oclif's plugin warnings; print any other process warning as node would (unless warnings are off). */
export function capturePluginLoadWarnings(): void {
  const silent = process.execArgv.includes('--no-warnings') || process.env.NODE_NO_WARNINGS === '1';
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    if (/ Plugin: /.test(w.name)) captured.push(w);
    else if (!silent) process.stderr.write(`(node:${process.pid}) ${w.name}: ${w.message}\n`);
  });
}

interface UserPluginEntry {
  name: string;
  type: string;
  root?: string;
}

/** `plugin NAME failed to load and was skipped: REASON` for each installed or linked plugin oclif did not load. */
export async function unloadedPluginWarnings(
  config: Pick<Interfaces.Config, 'plugins' | 'dataDir'>,
  entries: readonly UserPluginEntry[],
): Promise<string[]> {
  await new Promise((r) => setImmediate(r)); // process warnings arrive on a later tick
  const missing = entries.filter((e) => (e.type === 'user' || e.type === 'link') && !config.plugins.has(e.name));
  return missing.map((e) => {
    const root = e.type === 'link' && e.root ? resolve(e.root) : join(config.dataDir, 'node_modules', e.name);
    const error =
      captured.find((w) => w.message.includes(root) || w.message.includes(e.name)) ??
      (missing.length === 1 && captured.length === 1 ? captured[0] : undefined);
    const where = e.type === 'link' ? ` (linked from ${root})` : '';
    const reason = error
      ? error.message.split('\n')[0].replace(/^(ENOENT|EACCES): /, '')
      : 'oclif could not read it (DEBUG=* shows why)';
    return `plugin ${e.name}${where} failed to load and was skipped: ${reason}`;
  });
}
