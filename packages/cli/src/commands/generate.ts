import { CORE_ROOT, CORE_VERSION } from '@mc-kit/core';
import { Args, Flags } from '@oclif/core';
import { McCommand } from '../base-command.js';
import { chooseCoreDependency } from '../generate/core-dependency.js';
import { mcCommand } from '../generate/mc-command.js';
import { generatePlugin, TEMPLATE_KINDS, type GenerateReport, type TemplateKind } from '../generate/scaffold.js';
import { renderGenerate } from '../render/generate.js';

export default class Generate extends McCommand {
  static override summary =
    'Start a new plugin from a template: a compressor (method), a metric or a dataset provider.';
  static override description =
    'Copies a small working example (a compressor that rounds weights, a cross-entropy metric, a CSV image dataset) into a new npm package named mc-plugin-NAME, with NAME as its id, and prints the next three commands: install, build and test, link into mc (with the path to this mc where `mc` on PATH is another one, or none).\n\n' +
    "The new package builds against this mc's @mc-kit/core: the version on your npm registry when it is published there, else this mc's own core folder (a file: dependency; one line says so). The folder must not exist: nothing is ever overwritten. NAME must not be an id an installed plugin already provides. PLUGINS.md in the mc repository describes the contracts.";
  static override examples = [
    '<%= config.bin %> generate compressor my-quant',
    '<%= config.bin %> generate metric my-metric --dir ~/src/mc-plugin-my-metric',
    '<%= config.bin %> generate dataset my-format --json',
  ];
  static override args = {
    kind: Args.string({ description: 'What the plugin adds.', required: true, options: [...TEMPLATE_KINDS] }),
    name: Args.string({
      description: "Its id (lower-case letters, digits, '-'); the package is mc-plugin-NAME.",
      required: true,
    }),
  };
  static override flags = {
    dir: Flags.string({ description: 'Folder to create (default ./mc-plugin-NAME); it must not exist.' }),
    core: Flags.string({
      description:
        "npm spec of the @mc-kit/core dev dependency. Default: this mc's core version from your npm registry when it is there, else this mc's own core folder (file:), said in one line.",
    }),
  };

  async run(): Promise<GenerateReport> {
    const { args, flags } = await this.parse(Generate);
    const cwd = process.cwd();
    const report = await generatePlugin(
      {
        kind: args.kind as TemplateKind,
        name: args.name,
        dir: flags.dir,
        coreVersion: CORE_VERSION,
        coreSpec: flags.core,
        resolveCore: (packageName) =>
          chooseCoreDependency({ coreVersion: CORE_VERSION, coreRoot: CORE_ROOT, packageName, cwd }),
        bin: mcCommand(this.config.bin, process.argv[1]),
        cwd,
      },
      await this.registry(),
    );
    this.log(renderGenerate(report));
    return report;
  }
}
