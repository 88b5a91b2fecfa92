// The built CLI (out/cli/idlewatch.js) that the CLI tests run as a user would: `npm run build`
// writes it, `npm test` builds first. A test file that runs it calls requireBuiltCli() in beforeAll
// so a missing build fails with what to do, not with a module-not-found from every spawn.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../captured.js';

export const CLI = join(REPO_ROOT, 'out', 'cli', 'idlewatch.js');

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
}

export interface Daemon {
  child: ChildProcess;
  /** What it has written to stderr (its log) so far. */
  log: () => string;
}

/** `idlewatch daemon ARGS` from the built CLI, its log collected; the caller stops it. */
export function startDaemon(args: string[]): Daemon {
  const child = spawn(process.execPath, [CLI, 'daemon', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  return { child, log: () => log };
}
