/**
 * The last step of an install: load every plugin as the next mc command will, and require that the
 * new one loads, registers all its ids and takes none that another plugin already provides.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';
import { Config } from '@oclif/core';
import { loadPlugins } from '../plugin-loading.js';
import { unloadedPluginWarnings } from '../plugin-warnings.js';

const KIND_WORD = { compressor: 'method', metric: 'metric', dataset: 'dataset' } as const;

export async function verifyPluginLoads(root: string, name: string): Promise<string[]> {
  const config = await Config.load({ root }); // a fresh config reads the plugin folder's package.json again
  const plugin = config.plugins.get(name);
  if (!plugin) {
    const [why] = await unloadedPluginWarnings(config, [{ name, type: 'user' }]);
    throw new UserError(ErrorCodes.PLUGIN_LOAD, `${name} was not installed: ${why.replace(/^plugin \S+ /, '')}`, {
      hint: "mc plugins install --verbose shows npm's output",
    });
  }
  const { registry, warnings } = await loadPlugins(config);
  const mine = warnings.filter(
    (w) => w.includes(`plugin ${name} `) || w.includes(`plugin ${name}@`) || w.includes(`${name}@${plugin.version}`),
  );
  if (mine.length) {
    throw new UserError(
      ErrorCodes.PLUGIN_LOAD,
      `${name}@${plugin.version} was not installed: ${reason(mine[0], name)}`,
      {
        hint: mine[0].includes('declared by')
          ? 'an id can be provided by one plugin only; uninstall the other first'
          : mine[0].includes("newer than this mc's core")
            ? 'mc was left as it was'
            : 'its author can fix it; mc was left as it was',
      },
    );
  }
  return registry
    .list()
    .filter((e) => e.origin.name === name)
    .map((e) => `${KIND_WORD[e.declaration.kind]} ${e.declaration.id}`);
}

/** The loader's warning without what the install line already says (the name, "skipped"). */
function reason(warning: string, name: string): string {
  return warning
    .replace(new RegExp(`^plugin ${escape(name)}(@\\S+)? `), '')
    .replace(/^failed to load and was skipped: /, 'its mc:register hook failed: ')
    .replace(/^was skipped: /, '')
    .replace(/; skipped$/, '')
    .replace(/; that id cannot be used until one is uninstalled$/, '');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
