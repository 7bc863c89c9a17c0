import { Args } from '@oclif/core';
import { McCommand } from '../../base-command.js';
import { pluginEnvironment } from '../../plugin-install/environment.js';
import { uninstallPlugins, type UninstallReport } from '../../plugin-install/manage.js';
import { renderUninstall } from '../../render/plugins.js';

export default class PluginsUninstall extends McCommand {
  static override aliases = ['plugins:remove', 'plugins:unlink'];
  static override summary = 'Remove installed or linked plugins.';
  static override description =
    'Each plugin is named as mc plugins lists it (a linked one also by its folder). One that is not installed is refused before anything is removed.';
  static override examples = [
    '<%= config.bin %> plugins uninstall mc-plugin-my-quant',
    '<%= config.bin %> plugins uninstall ./mc-plugin-my-quant',
  ];
  static override strict = false;
  static override args = { plugin: Args.string({ description: 'Plugins to remove.', required: true }) };

  async run(): Promise<UninstallReport> {
    const { argv, flags } = await this.parse(PluginsUninstall);
    const report = await uninstallPlugins(
      argv as string[],
      pluginEnvironment(this.config, { verbose: flags.verbose }),
      process.cwd(),
    );
    this.log(renderUninstall(report));
    return report;
  }
}
