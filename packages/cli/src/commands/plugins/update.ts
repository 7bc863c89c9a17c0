import { Args, Flags } from '@oclif/core';
import { McCommand } from '../../base-command.js';
import { pluginEnvironment } from '../../plugin-install/environment.js';
import { updatePlugins, type UpdateReport } from '../../plugin-install/manage.js';
import { renderUpdate } from '../../render/plugins.js';

export default class PluginsUpdate extends McCommand {
  static override summary = 'Update installed plugins (all, or those named).';
  static override description =
    'A plugin from the registry moves to the newest version its tag or range allows, unless that version is built for another @mc-kit/core: then it is kept, and the output says why. One installed from a folder or tarball is installed again from it. Linked plugins are used in place. Install scripts stay off unless --allow-scripts is given.';
  static override examples = [
    '<%= config.bin %> plugins update',
    '<%= config.bin %> plugins update mc-plugin-my-quant --json',
  ];
  static override strict = false;
  static override args = {
    plugin: Args.string({ description: 'Plugins to update (default: every installed one).', required: false }),
  };
  static override flags = {
    'allow-scripts': Flags.boolean({ description: "Run the packages' install scripts (off by default)." }),
  };

  async run(): Promise<UpdateReport> {
    const { argv, flags } = await this.parse(PluginsUpdate);
    const report = await updatePlugins(
      argv as string[],
      { allowScripts: flags['allow-scripts'] },
      pluginEnvironment(this.config, { verbose: flags.verbose }),
    );
    this.log(renderUpdate(report));
    return report;
  }
}
