import { Args, Flags } from '@oclif/core';
import { McCommand } from '../../base-command.js';
import { pluginEnvironment } from '../../plugin-install/environment.js';
import { installPlugin, type InstallReport } from '../../plugin-install/install.js';
import { renderInstall } from '../../render/plugins.js';

export default class PluginsInstall extends McCommand {
  static override aliases = ['plugins:add'];
  static override summary = 'Install an mc plugin: from your npm registry by name, or a folder or tarball on disk.';
  static override description =
    "A name (mc-plugin-x, mc-plugin-x@1.2.0, @scope/mc-plugin-x) comes from npm's registry (npm_config_registry, .npmrc, or MC_NPM_REGISTRY); ./dir, /abs/dir and file:dir install a plugin folder as npm pack would publish it; ./x.tgz installs a tarball; github:owner/repo and URLs are handed to npm.\n\n" +
    "The plugin's @mc-kit/core peer is this mc's own core: it is never fetched, and a plugin built for another core (another major, or another minor while core is 0.x) is refused before anything is installed. " +
    'Install scripts (preinstall, install, postinstall, prepare) do not run unless --allow-scripts is given. mc then loads the plugin: if it fails to load, or declares an id another plugin provides, it is not installed and mc is left as it was.';
  static override examples = [
    '<%= config.bin %> plugins install mc-plugin-my-quant',
    '<%= config.bin %> plugins install ./mc-plugin-my-quant-0.1.0.tgz',
    '<%= config.bin %> plugins install ./mc-plugin-my-quant',
    '<%= config.bin %> plugins install mc-plugin-needs-build@2.0.0 --allow-scripts',
  ];
  static override args = {
    plugin: Args.string({
      description: 'A package name[@version], a folder, a tarball (.tgz), or a URL.',
      required: true,
    }),
  };
  static override flags = {
    'allow-scripts': Flags.boolean({
      description: "Run the package's install scripts (off by default: they run arbitrary code).",
    }),
  };

  async run(): Promise<InstallReport> {
    const { args, flags } = await this.parse(PluginsInstall);
    const report = await installPlugin(
      args.plugin,
      { cwd: process.cwd(), allowScripts: flags['allow-scripts'] },
      pluginEnvironment(this.config, { verbose: flags.verbose }),
    );
    this.log(renderInstall(report, this.config.bin));
    return report;
  }
}
