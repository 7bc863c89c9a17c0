/**
 * Run a child process to the end and keep what it printed; a run past `timeoutMs` is killed
 * (SIGKILL). Never throws on a non-zero exit: the tests assert the code themselves.
 */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function captureRun(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs: number },
): Promise<Run> {
  const { timeoutMs, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += String(d)));
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
