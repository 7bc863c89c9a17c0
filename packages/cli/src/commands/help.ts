import { Args, Command, loadHelpClass } from '@oclif/core';

/**
 * `mc help COMMAND [--method ID] [--metric ID]`, the same page as `mc COMMAND ... --help`.
 *
 * It replaces @oclif/plugin-help's command (a command of mc itself wins over a plugin's), which parses
 * its own flags and so refused `mc help compress --method int8` as a nonexistent flag. This one has no
 * flags: every word goes to mc's help class as typed, which reads --method and --metric from them.
 */
export default class Help extends Command {
  static override summary = 'Show help for mc or one of its commands.';
  static override description =
    "With --method or --metric after the command, the help lists that method's or metric's own flags too, as COMMAND --help does.";
  static override examples = [
    '<%= config.bin %> help',
    '<%= config.bin %> help compress',
    '<%= config.bin %> help compress --method int8',
    '<%= config.bin %> help eval --metric bpc',
  ];
  static override args = {
    command: Args.string({ description: 'The command to explain, and its --method or --metric.', required: false }),
  };
  static override strict = false;

  async run(): Promise<void> {
    // '--' first: every word, --method included, is an argument here, and goes on to the help class as typed
    const { argv } = await this.parse(Help, ['--', ...this.argv]);
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config).showHelp(argv as string[]);
  }
}
