/**
 * Pieces the excuse families share (issue 11, items 2, 3, 6): an SSH login chain as OpenSSH
 * leaves it in the process table, and a scheduler that starts a program every few minutes.
 */
import type { Actor, Level, Span } from '../model.js';
import type { Rng } from '../prng.js';
import type { Timeline } from '../timeline.js';
import { actor, END } from './common.js';

/**
 * `sshd: ana [priv]` (root) → `sshd: ana@pts/0` (the account) → the login shell, from `from` to
 * `to`. The listener is the background's `sshd` on Linux; `listener` names another one. Both
 * session processes hold the client's connection.
 */
export function sshLogin(
  rng: Rng,
  o: {
    os: 'linux' | 'darwin';
    user: string;
    client: string;
    from: number;
    to: number;
    listener: string;
    role: 'target' | 'lookalike';
  },
): { actors: Actor[]; shell: string } {
  const exe = o.os === 'darwin' ? '/usr/libexec/sshd-session' : '/usr/sbin/sshd';
  const conns = [{ proto: 'tcp', remote: `${o.client}:${rng.int(40_000, 65_000)}`, state: 'ESTABLISHED' }];
  const life: Span[] = [{ from: o.from, to: o.to }];
  const tty = o.os === 'darwin' ? `ttys00${rng.int(1, 9)}` : `pts/${rng.int(0, 4)}`;
  const shellExe = o.os === 'darwin' ? '/bin/zsh' : '/usr/bin/bash';
  const idle = (key: string, name: string, e: string, cmdline: string, user: string, parent: string, at: number) =>
    actor({
      key,
      role: o.role,
      name,
      exe: e,
      cmdline,
      user,
      parent,
      lives: [{ from: life[0]!.from + at, to: life[0]!.to }],
      load: [{ kind: 'flicker', p: 0.02, cpu: [0.1, 1] }],
      ...(name.startsWith('sshd') ? { conns } : {}),
    });
  return {
    actors: [
      idle(
        'ssh-priv',
        o.os === 'darwin' ? 'sshd-session' : 'sshd',
        exe,
        `sshd: ${o.user} [priv]`,
        'root',
        o.listener,
        0,
      ),
      idle(
        'ssh-user',
        o.os === 'darwin' ? 'sshd-session' : 'sshd',
        exe,
        `sshd: ${o.user}@${tty}`,
        o.user,
        'ssh-priv',
        400,
      ),
      idle('ssh-shell', o.os === 'darwin' ? 'zsh' : 'bash', shellExe, '-bash', o.user, 'ssh-user', 900),
    ],
    shell: 'ssh-shell',
  };
}

/** An sshd listener for hosts whose background has none (macOS with Remote Login on). */
export function sshListener(rng: Rng, os: 'darwin' | 'linux'): Actor {
  return actor({
    key: 'sshd-listener',
    role: 'lookalike',
    name: 'sshd',
    exe: '/usr/sbin/sshd',
    cmdline: os === 'darwin' ? '/usr/sbin/sshd -i' : 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups',
    user: 'root',
    parent: os === 'darwin' ? 'launchd' : 'systemd',
    lives: [{ from: -rng.range(3600, 40_000) * 1000, to: END }],
    load: [],
  });
}

/**
 * A scheduler tick every `periodMs`: a run that checks whether the user is idle. Idle at least
 * `idleSec`: it works (`level`) until `periodMs` is nearly over or the user comes back; otherwise it
 * exits at once. Returns the lives and their work spans (the cron-persistence miner).
 */
export function scheduledRuns(
  tl: Timeline,
  rng: Rng,
  o: { periodMs: number; idleSec: number; level: Level; stopSec: [number, number] },
): { lives: Span[]; work: { from: number; to: number; level: Level; rampMs: number }[] } {
  const lives: Span[] = [];
  const work: { from: number; to: number; level: Level; rampMs: number }[] = [];
  const phase = rng.range(0, o.periodMs);
  for (let t = phase; t < tl.durationMs; t += o.periodMs) {
    if (tl.idleSec(t) < o.idleSec) {
      lives.push({ from: t, to: t + rng.range(200, 900) });
      continue;
    }
    const back = tl.nextInputAfter(t) + rng.range(o.stopSec[0], o.stopSec[1]) * 1000;
    const to = Math.min(t + o.periodMs - rng.range(10, 40) * 1000, back);
    if (to - t < 1000) continue;
    lives.push({ from: t, to });
    work.push({ from: t + 300, to, level: o.level, rampMs: rng.range(1500, 5000) });
  }
  return { lives, work };
}
