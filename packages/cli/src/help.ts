/**
 * mc's help (package.json oclif.helpClass). oclif answers --help before a command runs, from the
 * command's static flags, so two things are added here:
 * - `mc --help` ends with a quick start a new user can paste;
 * - a command whose flags depend on its command line (compress/sweep --method, eval/sweep --metric)
 *   shows the chosen method's and metric's own flags, built by the same `paramFlags` its run uses.
 */
import { Help, type Command, type Interfaces } from '@oclif/core';
import type { ParamFlags } from './param-flags.js';
import { loadPlugins } from './plugin-loading.js';

/** What `mc --help` teaches first: every line runs as written from the root of a clone (examples/). */
export const QUICK_START: readonly { readonly comment: string; readonly command: string }[] = [
  { comment: 'what mc can do: its methods, metrics and datasets (--params adds their flags)', command: 'mc list' },
  {
    comment: 'the bundled MNIST CNN, measured dense on its 2000 test digits',
    command: 'mc eval examples/mnist-cnn --metric accuracy --dataset examples/mnist-test',
  },
  {
    comment: 'int8 weights (about 3x smaller), then the same measure on the compressed model',
    command: 'mc compress examples/mnist-cnn --method int8 --out mnist-int8.onnx',
  },
  { comment: '', command: 'mc eval mnist-int8.onnx --metric accuracy --dataset examples/mnist-test' },
  { comment: 'both results side by side: size, accuracy and the change', command: 'mc report mc-results' },
];

type Loadable = Command.Loadable;
/** A command class that declares flags from its command line (compress, eval, sweep). */
type WithParamFlags = { paramFlags?: ParamFlags };

export default class McHelp extends Help {
  private argv: string[] = [];

  override async showHelp(argv: string[]): Promise<void> {
    this.argv = argv;
    await super.showHelp(argv);
  }

  override formatRoot(): string {
    const lines = QUICK_START.flatMap(({ comment, command }) => [...(comment ? [`# ${comment}`] : []), `$ ${command}`]);
    const tail = [
      '# mc COMMAND --help explains a command; with --method or --metric it also lists',
      "# that method's or metric's own flags: mc compress --method int8 --help",
    ];
    return `${super.formatRoot()}\n\n${this.section('QUICK START (from the root of a clone)', [...lines, ...tail].join('\n'))}`;
  }

  override async showCommandHelp(command: Loadable): Promise<void> {
    await super.showCommandHelp(await this.withParamFlags(command));
  }

  /** The command with the flags its command line's methods and metrics add (none for most commands). */
  private async withParamFlags(command: Loadable): Promise<Loadable> {
    const loaded = (await command.load()) as WithParamFlags;
    if (typeof loaded.paramFlags !== 'function') return command;
    const { registry, warnings } = await loadPlugins(this.config);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    const extra = loaded.paramFlags(this.argv, registry);
    const cached: Record<string, Command.Flag.Cached> = {};
    for (const [name, flag] of Object.entries(extra)) cached[name] = cachedFlag(name, flag);
    return { ...command, flags: { ...command.flags, ...cached } };
  }
}

/** The fields of a flag that help renders (oclif's manifest form of a flag). */
function cachedFlag(name: string, flag: Interfaces.Flag<unknown>): Command.Flag.Cached {
  const common = {
    name,
    char: flag.char,
    description: flag.description,
    summary: flag.summary,
    helpGroup: flag.helpGroup,
    hidden: flag.hidden,
    required: flag.required,
  };
  return flag.type === 'boolean'
    ? { ...common, type: 'boolean', allowNo: flag.allowNo }
    : { ...common, type: 'option', multiple: flag.multiple, options: flag.options, helpValue: flag.helpValue };
}
