import { CORE_ROOT, CORE_VERSION } from '@mc-kit/core';
import type { Config } from '@oclif/core';
import { runNpm, type Npm } from '../npm/npm.js';
import type { PluginEnvironment } from './install.js';
import { verifyPluginLoads } from './verify.js';

/** What the plugin commands need from the running mc: its data folder, its core, its npm. */
export function pluginEnvironment(config: Config, options: { verbose?: boolean } = {}): PluginEnvironment {
  const npm: Npm = async (args, o) => {
    const r = await runNpm(args, o);
    if (options.verbose) process.stderr.write(`$ npm ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    return r;
  };
  return {
    dataDir: config.dataDir,
    cliName: config.name,
    coreRoot: CORE_ROOT,
    coreVersion: CORE_VERSION,
    registry: config.npmRegistry,
    bundled: config
      .getPluginsList()
      .filter((p) => p.type === 'core')
      .map((p) => p.name),
    npm,
    verify: (name) => verifyPluginLoads(config.root, name),
  };
}
