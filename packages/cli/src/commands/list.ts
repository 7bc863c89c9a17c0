import { listRegistry, type ListReport } from '@mc-kit/core';
import { Flags } from '@oclif/core';
import { McCommand } from '../base-command.js';
import { renderList } from '../render/list.js';
import { renderListMarkdown } from '../render/list-markdown.js';

export default class List extends McCommand {
  static override summary = 'List compression methods, metrics and dataset providers, and the plugin that gives each.';
  static override examples = [
    '<%= config.bin %> list',
    '<%= config.bin %> list --params',
    '<%= config.bin %> list --kind method --json',
    '<%= config.bin %> list --params --format md   # the tables in README.md',
  ];
  static override flags = {
    kind: Flags.string({ description: 'Only this kind.', options: ['method', 'metric', 'dataset'] }),
    params: Flags.boolean({ description: 'Also list every parameter with its type, range and default.' }),
    format: Flags.string({
      description: 'table: for the terminal; md: Markdown tables (what README.md holds, without versions).',
      options: ['table', 'md'],
      default: 'table',
    }),
  };

  async run(): Promise<ListReport> {
    const { flags } = await this.parse(List);
    const report = listRegistry(await this.registry());
    const shown = flags.kind ? { ...report, items: report.items.filter((i) => i.kind === flags.kind) } : report;
    this.log(flags.format === 'md' ? renderListMarkdown(shown, flags.params) : renderList(shown, flags.params));
    return shown;
  }
}
