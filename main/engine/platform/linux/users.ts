import { readFileSync } from 'node:fs';

/**
 * uid → user name from /etc/passwd, read once and re-read (at most once a minute) when an
 * unknown uid shows up. Avoids a getpwuid call per process per tick.
 */
export class UserNames {
  private names = new Map<number, string>();
  private loadedAt = -Infinity;

  constructor(private readonly passwdPath = '/etc/passwd') {}

  name(uid: number, nowMs: number): string {
    let name = this.names.get(uid);
    if (name === undefined && nowMs - this.loadedAt > 60_000) {
      this.load(nowMs);
      name = this.names.get(uid);
    }
    return name ?? String(uid);
  }

  private load(nowMs: number): void {
    this.loadedAt = nowMs;
    try {
      const next = new Map<number, string>();
      for (const line of readFileSync(this.passwdPath, 'utf8').split('\n')) {
        const parts = line.split(':');
        const uid = Number(parts[2]);
        if (parts[0] && Number.isInteger(uid)) next.set(uid, parts[0]);
      }
      this.names = next;
    } catch {
      // No passwd (containers, sandboxes): numeric uids are shown instead.
    }
  }
}
