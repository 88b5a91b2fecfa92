import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { terminateAndWait, waitFor } from './processes.js';

const JOURNALD_PATHS = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'];

/**
 * Why a private journald cannot run here, or null when it can: it needs root, the journald
 * binary (Debian's systemd package), unshare and nsenter (util-linux), and mount namespaces.
 */
export function privateJournaldUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (a private journald needs its own mount namespace)';
  if (!JOURNALD_PATHS.some((p) => existsSync(p))) return 'no systemd-journald binary';
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /run']);
  if (r.status !== 0) return `mount namespaces are not permitted here: ${String(r.stderr).trim()}`;
  return null;
}

/**
 * A real systemd-journald of the test's own, in a private mount namespace: /run (and
 * /var/log/journal where it exists) are fresh tmpfs there, so its sockets and journal files are
 * invisible to the machine and vanish with it. `logger` is a wrapper that runs the real logger(1)
 * inside that namespace (nsenter); `entries()` reads the journal back with the real journalctl.
 */
export class PrivateJournald {
  readonly logger: string;
  private child: ChildProcess | null = null;

  constructor(dir: string) {
    this.logger = join(dir, 'logger-in-namespace');
  }

  /** Its native socket as this process sees it: through the namespace's root in /proc. */
  get socket(): string {
    return `/proc/${this.child?.pid ?? 0}/root/run/systemd/journal/socket`;
  }

  async start(): Promise<void> {
    const journald = JOURNALD_PATHS.find((p) => existsSync(p)) as string;
    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/systemd/journal /run/log/journal',
      'if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi',
      `exec ${journald}`,
    ].join('\n');
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { stdio: 'ignore' });
    this.child = child;
    await waitFor(
      () => child.exitCode !== null || this.inside(['test', '-S', '/run/systemd/journal/socket']).status === 0,
      15_000,
      'the private journald socket',
    );
    if (child.exitCode !== null) throw new Error(`journald exited at start (${child.exitCode})`);
    writeFileSync(this.logger, `#!/bin/sh\nexec nsenter -t ${child.pid} -m -- logger "$@"\n`);
    chmodSync(this.logger, 0o755);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child) await terminateAndWait(child);
  }

  /** The journal's entries matching `match` (journalctl FIELD=value terms), oldest first. */
  entries(match: string[]): Record<string, unknown>[] {
    const r = this.inside(['journalctl', '--no-pager', '-o', 'json', ...match]);
    return String(r.stdout)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  private inside(argv: string[]) {
    return spawnSync('nsenter', ['-t', String(this.child?.pid ?? 0), '-m', '--', ...argv], { encoding: 'utf8' });
  }
}
