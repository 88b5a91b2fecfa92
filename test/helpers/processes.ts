import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A real child process that burns one core until killed. */
export function spawnBurner(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for(;;){}', '--', 'idlewatch-test-burner'], { stdio: 'ignore' });
}

/** A real child process that sleeps (no CPU) until killed. */
export function spawnSleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 600000)', '--', 'idlewatch-test-sleeper'], {
    stdio: 'ignore',
  });
}

/**
 * A copy of sh named `name` in the hidden folder `dir`/home/.cache/`folder`, sleeping in a loop:
 * a program the monitor records at once (low: where it runs from, not what it does).
 */
export function spawnHiddenSleeper(dir: string, folder: string, name: string): ChildProcess {
  const hidden = join(dir, 'home', '.cache', folder);
  mkdirSync(hidden, { recursive: true });
  const exe = join(hidden, name);
  copyFileSync('/bin/sh', exe);
  return spawn(exe, ['-c', 'while :; do sleep 1; done'], { stdio: 'ignore' });
}

async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** SIGKILL, then the exit. One argument only, so `children.map(killAndWait)` works. */
export const killAndWait = (child: ChildProcess): Promise<void> => signalAndWait(child, 'SIGKILL');

/** SIGTERM, then the exit: for a server that should stop cleanly (a test syslog or journal). */
export const terminateAndWait = (child: ChildProcess): Promise<void> => signalAndWait(child, 'SIGTERM');

/** The exit code of `child`, once it has exited (null when a signal ended it). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` passes or `timeoutMs` elapses (then throws with `what`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
