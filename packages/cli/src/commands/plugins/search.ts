import { Args, Flags } from '@oclif/core';
import { McCommand } from '../../base-command.js';
import { renderSearch } from '../../render/search.js';
import { pluginRegistry, searchPlugins, type SearchReport } from '../../search/npm-search.js';

export default class PluginsSearch extends McCommand {
  static override summary = 'Find mc plugins on the npm registry: packages with the keyword mc-plugin.';
  static override description =
    "Searches the registry that mc plugins install uses: MC_NPM_REGISTRY when set, else npm's own (npm_config_registry, .npmrc). mc list shows what is installed, with the plugin and version behind each id.";
  static override examples = [
    '<%= config.bin %> plugins search',
    '<%= config.bin %> plugins search quant',
    '<%= config.bin %> plugins search "pruning llm" --json',
  ];
  static override args = {
    term: Args.string({
      description: 'Words to find in names and descriptions (none: every mc plugin).',
      required: false,
    }),
  };
  static override flags = {
    limit: Flags.integer({ description: 'At most this many packages.', default: 20, min: 1, max: 250 }),
  };

  async run(): Promise<SearchReport> {
    const { args, flags } = await this.parse(PluginsSearch);
    const report = await searchPlugins(await pluginRegistry(this.config.npmRegistry), args.term ?? '', flags.limit);
    this.log(renderSearch(report, this.config.bin));
    return report;
  }
}
