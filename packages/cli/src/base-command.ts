/**
 * What every mc command shares: --json/--verbose/--device/--seed, plugin loading, a RunContext,
 * Ctrl-C wiring, and the single error renderer (one line + hint, exit 2 for user mistakes; the
 * stack only with --verbose).
 */
import {
  createInvocation,
  createRunContext,
  ErrorCodes,
  isMcError,
  OrtSessionFactory,
  preloadSpinner,
  type Registry,
  type AbortReason,
  type RunContext,
} from '@mc-kit/core';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { flagValuesFromArgv, type ParamFlags } from './param-flags.js';
import { explainParseError, type KnownFlag } from './parse-errors.js';
import { loadPlugins } from './plugin-loading.js';

/** The signals that interrupt a run, and the exit code each gives (128 + the signal's number). */
const EXIT_ON_SIGNAL: Readonly<Partial<Record<NodeJS.Signals, number>>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * The global flags of the commands that run a model in onnxruntime with seeded random choices
 * (compress, eval, sweep, convert): `static override baseFlags = { ...McCommand.baseFlags, ...RUNTIME_FLAGS }`.
 * The others (list, generate, plugins, report, inspect, decompress) do not take them, so their
 * help does not offer flags that would change nothing.
 */
export const RUNTIME_FLAGS = {
  device: Flags.string({
    description:
      'Where onnxruntime runs: auto tries CUDA and falls back to CPU (said once); cuda fails if CUDA is absent.',
    options: ['auto', 'cpu', 'cuda'],
    default: 'auto',
    helpGroup: 'GLOBAL',
  }),
  seed: Flags.integer({
    description: 'Seed for every random choice (sampling, calibration order).',
    default: 0,
    helpGroup: 'GLOBAL',
  }),
};

export abstract class McCommand extends Command {
  static override enableJsonFlag = true;

  /** Every command: --json (enableJsonFlag) and --verbose. */
  static override baseFlags = {
    verbose: Flags.boolean({ description: 'Show debug lines and, on errors, the stack trace.', helpGroup: 'GLOBAL' }),
  };

  private registryCache?: Registry;
  private readonly abort = new AbortController();
  /** set once the command has a RunContext, whose work stops at its next check */
  private abortable = false;
  private finished = false;

  /**
   * Ctrl-C, SIGTERM (a service manager, kill) and SIGHUP (a closed terminal) alike: work under a
   * RunContext stops after the current step, writing nothing; a second signal, or one that comes
   * before there is such work, quits now. Either way the temp files, staging folders and locks this
   * process holds are removed on exit (core's temp-paths), so nothing is left behind.
   */
  override async init(): Promise<void> {
    await super.init();
    for (const [signal, exitCode] of Object.entries(EXIT_ON_SIGNAL) as [NodeJS.Signals, number][]) {
      const handler = () => {
        // the command is done (result written): end now with its own exit code
        if (this.finished) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
        if (!this.abortable || this.abort.signal.aborted) process.exit(exitCode);
        process.stderr.write(
          `\ninterrupted${signal === 'SIGINT' ? '' : ` by ${signal}`}: stopping after the current step (again to quit now)\n`,
        );
        this.abort.abort({ signal, exitCode } satisfies AbortReason);
      };
      process.on(signal, handler);
    }
  }

  /** Plugins are loaded once per invocation; warnings (a plugin that failed) are printed once. */
  protected async registry(): Promise<Registry> {
    if (!this.registryCache) {
      const { registry, warnings } = await loadPlugins(this.config);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      this.registryCache = registry;
    }
    return this.registryCache;
  }

  /**
   * Parse with flags known only at run time (a method's or metric's ParamSpecs). The statics are
   * named one by one: baseFlags and enableJsonFlag live on McCommand and a spread would drop them.
   */
  protected async parseWithExtraFlags<T extends typeof McCommand>(
    ctor: T,
    extra: Record<string, Interfaces.Flag<unknown>>,
  ) {
    return this.parse({
      args: ctor.args,
      strict: ctor.strict,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      flags: { ...ctor.flags, ...extra },
    });
  }

  /** A RunContext for this invocation: logger, progress, seeded RNG, Ctrl-C signal, sessions. */
  protected async context(flags: {
    json?: boolean;
    verbose?: boolean;
    device?: string;
    seed?: number;
  }): Promise<RunContext> {
    if (!flags.json && process.stderr.isTTY) await preloadSpinner();
    this.abortable = true;
    // the command line as the user typed it (oclif's this.argv drops the command id), secrets redacted
    const invocation = createInvocation(process.argv.slice(2));
    const ctx: RunContext = createRunContext({
      json: flags.json,
      verbose: flags.verbose,
      seed: flags.seed,
      sessions: new OrtSessionFactory({
        device: (flags.device ?? 'auto') as 'auto' | 'cpu' | 'cuda',
        // through the run's logger (quiet under --json): on a terminal it goes above the spinner, not into its line
        onDeviceChosen: (device, reason) => ctx.log.info(`device: ${device}${reason ? ` (${reason})` : ''}`),
      }),
      signal: this.abort.signal,
      invocation,
    });
    return ctx;
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    // the handlers stay: a signal during teardown ends the process with the command's exit code
    this.finished = true;
    await super.finally(err);
  }

  /** Every flag this command took, the chosen methods' and metric's included: for "did you mean". */
  private knownFlags(): Record<string, KnownFlag> {
    const ctor = this.ctor as typeof McCommand & { paramFlags?: ParamFlags };
    return {
      ...(ctor.enableJsonFlag ? { json: { description: 'Format output as json.' } } : {}),
      ...ctor.baseFlags,
      ...ctor.flags,
      ...(ctor.paramFlags && this.registryCache ? ctor.paramFlags(this.argv, this.registryCache) : {}),
    };
  }

  /** `--method int8`, `--metric bpc` as given (known ids only): their help lists the flags they add. */
  private chosenPlugins(): string[] {
    const registry = this.registryCache;
    if (!(this.ctor as { paramFlags?: ParamFlags }).paramFlags || !registry) return [];
    return [
      ...flagValuesFromArgv(this.argv, 'method', 'm')
        .filter((id) => registry.has('compressor', id))
        .map((id) => `--method ${id}`),
      ...flagValuesFromArgv(this.argv, 'metric')
        .filter((id) => registry.has('metric', id))
        .map((id) => `--metric ${id}`),
    ];
  }

  /** One line on stderr (or a JSON error object on stdout under --json); exit 2 for user mistakes. */
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    const verbose = this.argv.includes('--verbose');
    const mc = isMcError(err) ? err : undefined;
    const parseExit = err.oclif?.exit;
    const exitCode = mc ? mc.exitCode : parseExit !== undefined ? parseExit : 1;
    // a failed --gate (exit 3) is the answer asked for, not a bug
    const userMistake = exitCode === 2 || mc?.code === ErrorCodes.ABORTED || mc?.code === ErrorCodes.GATE_FAILED;
    if (parseExit === 0) return; // oclif's own exit(0), e.g. after --help
    // the parse was tried and refused: oclif's development-mode "did not parse its arguments" warning
    // (NODE_ENV test or development) would be a second, wrong line
    if (parseExit !== undefined) this.parsed = true;
    process.exitCode = exitCode;
    // oclif's parse errors span lines ("Missing 1 required arg:\nmodel  An .onnx file..."): reword the
    // flag errors, fold the others.
    const explained = !mc && parseExit !== undefined ? explainParseError(err, this.knownFlags()) : undefined;
    const message =
      explained ??
      (err.message || String(err))
        .split('\n')
        .map((l) => l.trim().replace(/\s{2,}/g, ': '))
        .filter((l) => l && !/^See more help with/.test(l))
        .join(' ');
    if (this.jsonEnabled()) {
      const body = {
        error: { code: mc?.code ?? (parseExit !== undefined ? 'E_USAGE' : 'E_BUG'), message, hint: mc?.hint, exitCode },
      };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      const hint =
        mc?.hint ??
        (parseExit !== undefined
          ? `see ${['mc', this.id, ...this.chosenPlugins(), '--help'].filter(Boolean).join(' ')}`
          : undefined);
      const bug = userMistake ? '' : ' (this is a bug in mc or a plugin; --verbose shows the stack)';
      process.stderr.write(`Error: ${message}${hint ? ` (hint: ${hint})` : ''}${verbose ? '' : bug}\n`);
    }
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
  }
}
