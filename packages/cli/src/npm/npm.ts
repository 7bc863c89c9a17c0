/**
 * Runs npm for mc's plugin commands and `mc generate`: the copy of npm that @oclif/plugin-plugins
 * ships (so `mc plugins link` and `mc plugins install` use one npm), else the npm on PATH. Output is
 * captured, never streamed: a failure becomes one line (npm's own reason), the whole log only with
 * --verbose.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface NpmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NpmOptions {
  readonly cwd: string;
  /** --registry for this call (MC_NPM_REGISTRY); otherwise npm reads its own settings */
  readonly registry?: string;
  readonly timeoutMs?: number;
}

export type Npm = (args: string[], options: NpmOptions) => Promise<NpmResult>;

/** [node, npm-cli.js] for the npm beside @oclif/plugin-plugins, or ['npm'] from PATH. */
export function npmCommand(): string[] {
  try {
    const require = createRequire(import.meta.url);
    const fromPlugins = createRequire(require.resolve('@oclif/plugin-plugins'));
    const pkgPath = fromPlugins.resolve('npm/package.json');
    const bin = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: { npm: string } }).bin.npm;
    return [process.execPath, join(dirname(pkgPath), bin)];
  } catch {
    return [process.platform === 'win32' ? 'npm.cmd' : 'npm'];
  }
}

export const runNpm: Npm = (args, options) =>
  new Promise((resolve, reject) => {
    const [command, ...pre] = npmCommand();
    const all = [
      ...pre,
      ...args,
      '--no-fund',
      '--no-audit',
      '--no-update-notifier',
      ...(options.registry ? [`--registry=${options.registry}`] : []),
    ];
    // Husky hooks of a plugin would fail in mc's data folder, which is no git checkout.
    const child = spawn(command, all, {
      cwd: options.cwd,
      env: { ...process.env, HUSKY: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 600_000);
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => (clearTimeout(timer), resolve({ code: code ?? -1, stdout, stderr })));
  });

/**
 * npm's reason for a failure, on one line: the error code and the line that says what went wrong
 * ("npm error 404 Not Found - GET .../x - no such package available" -> "E404: 404 Not Found - GET ...").
 */
export function npmReason(result: NpmResult): string {
  const errorLines = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .filter((l) => /^npm (error|ERR!)/.test(l))
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter(
      (l) =>
        l && !/^(A complete log|Log files were not written|You can rerun|The operation was rejected|Run `npm)/.test(l),
    );
  const code = errorLines.find((l) => /^code \S+$/.test(l))?.slice(5);
  const said = errorLines.find((l) => !/^(code|errno|syscall|path|command|cwd) /.test(l));
  const text = said ?? (result.stderr.trim().split('\n').pop() || `npm exited with code ${result.code}`);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
