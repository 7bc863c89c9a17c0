/**
 * Temp files and folders this process is writing (atomic writes, staged output folders, output
 * locks). They are removed synchronously when the process exits for any reason other than SIGKILL
 * (a signal handler that calls process.exit, an uncaught error, a normal end), so an interrupted run
 * leaves nothing behind. What a SIGKILL leaves is named with its pid (tempPathFor, stagingPathFor)
 * and cleaned up by the next run on the same target (output-target.ts).
 */
import { rmSync } from 'node:fs';

const tracked = new Set<string>();
let hooked = false;

export function trackTemp(path: string): void {
  tracked.add(path);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeTrackedTempsSync);
  }
}

export function untrackTemp(path: string): void {
  tracked.delete(path);
}

/** Remove every tracked path now (files and folders alike); never throws. */
export function removeTrackedTempsSync(): void {
  for (const path of [...tracked].reverse()) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // best effort: the process is going away
    }
    tracked.delete(path);
  }
}

/** Is a process with this pid alive on this machine? (EPERM: alive, owned by someone else.) */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
