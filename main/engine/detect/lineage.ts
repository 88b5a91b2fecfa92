/**
 * A process's ancestry, as the detector's own identity table knew it when the process first
 * appeared. A parent is a claim the process cannot forge (the kernel sets it), except by leaving
 * it: a process whose parent exits, or that double-forks, is re-parented to init. So a chain that
 * reaches init says nothing about where the work came from, and a chain is read once, at the first
 * appearance, before the real parents can exit.
 */
import type { TraceConn } from '../../../shared/trace.js';
import { type ProcessIdentity, type TraceIdentity, walkParents } from '../../../shared/identity.js';

/** How far up a chain is read: sshd → bash → tmux → bash → make → sh → node fits. */
export const LINEAGE_DEPTH = 10;

/** One ancestor: its identity, and for SSH servers the client it talks to. */
export interface Ancestor extends Omit<ProcessIdentity, 'startTimeMs'> {
  /** The remote host of its established connection, for the processes that keep one (sshd). */
  peer: string | null;
}

/**
 * Walks from `ppid` up through `lookup` (the live identity table), nearest parent first. Stops at
 * init (pid 1, or 0), at a pid it has seen (a cycle from pid reuse), or at an unknown parent.
 */
export function walkLineage(ppid: number | null, lookup: (pid: number) => Ancestor | undefined): Ancestor[] {
  return walkParents(ppid, lookup, { max: LINEAGE_DEPTH, above: 1 }).chain;
}

/** The ancestor record of a tracked identity. */
export function ancestorOf(id: TraceIdentity, peer: string | null): Ancestor {
  return { pid: id.pid, ppid: id.ppid, name: id.name, exe: id.exe, cmdline: id.cmdline, user: id.user, peer };
}

/** The remote host (no port) of the first established TCP connection, or null. */
export function peerHost(conns: readonly TraceConn[]): string | null {
  for (const c of conns) {
    if (!/^tcp/i.test(c.proto) || !/^established$/i.test(c.state)) continue;
    const m = /^\[([^\]]+)\]:\d+$/.exec(c.remote) ?? /^([^:]+):\d+$/.exec(c.remote);
    if (m?.[1]) return m[1];
  }
  return null;
}
