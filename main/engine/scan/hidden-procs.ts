/**
 * Hidden processes (Linux): pids that exist when asked for directly but are missing from the
 * /proc listing, which is what a rootkit that filters directory reads (an LD_PRELOAD readdir hook,
 * a kernel module hiding /proc entries) leaves behind.
 *
 * Two probes over the pid range, cheapest first: a lookup of /proc/PID (finds pids that a readdir
 * filter hides), then kill(pid, 0) (finds pids whose /proc entry is hidden from lookups too). Both
 * stop at a time budget; a large pid_max (4,194,304 on systemd machines) is then covered in part
 * and the report says how far. Threads answer both probes but are never listed in /proc: their
 * Tgid tells them apart.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { yieldToLoop } from './scan-context.js';

export interface HiddenProcess {
  pid: number;
  /** What /proc/PID/status says, when it can be read (a kill-only hit cannot). */
  name: string | null;
  /** `lookup`: /proc/PID answers; `signal`: only kill(pid, 0) does. */
  probe: 'lookup' | 'signal';
}

export interface HiddenProbeResult {
  hidden: HiddenProcess[];
  /** Pids probed (listed pids are skipped, not counted). */
  probed: number;
  maxPid: number;
  /** Both probes covered the whole range within the budget. */
  complete: boolean;
}

export interface HiddenProbeOptions {
  procRoot?: string;
  /** The pids the /proc listing showed. */
  listed: ReadonlySet<number>;
  /** Lists /proc again to drop processes started since `listed`; replaceable to simulate a filtering rootkit. */
  relist?: () => Iterable<number>;
  /** Default 3000 ms for both probes together. */
  budgetMs?: number;
  /** Default /proc/sys/kernel/pid_max. */
  maxPid?: number;
  /** kill(pid, 0); default only against the real /proc (a fake one has no such processes). */
  signalProbe?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  now?: () => number;
}

const CHUNK = 4096;

function listProcDir(procRoot: string): number[] {
  try {
    return readdirSync(procRoot)
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

function readPidMax(procRoot: string): number {
  try {
    const n = Number(readFileSync(`${procRoot}/sys/kernel/pid_max`, 'latin1').trim());
    if (Number.isSafeInteger(n) && n > 1) return n;
  } catch {
    // fall through
  }
  return 32768; // the kernel's default
}

/** Tgid and Name from /proc/PID/status; null when unreadable. */
function statusOf(procRoot: string, pid: number): { tgid: number; name: string } | null {
  try {
    const text = readFileSync(`${procRoot}/${pid}/status`, 'latin1');
    const tgid = Number(/^Tgid:\s*(\d+)/m.exec(text)?.[1]);
    const name = /^Name:\s*(.*)$/m.exec(text)?.[1] ?? '';
    return Number.isSafeInteger(tgid) ? { tgid, name } : null;
  } catch {
    return null;
  }
}

function signalAnswers(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it just is not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function probeHiddenProcesses(opts: HiddenProbeOptions): Promise<HiddenProbeResult> {
  const procRoot = opts.procRoot ?? '/proc';
  const now = opts.now ?? (() => performance.now());
  const maxPid = opts.maxPid ?? readPidMax(procRoot);
  const deadline = now() + (opts.budgetMs ?? 3000);
  const signalProbe = opts.signalProbe ?? procRoot === '/proc';
  // A byte per pid: 4 MB at the largest pid_max, and O(1) lookups in the hot loop.
  const skip = new Uint8Array(maxPid + 1);
  for (const pid of opts.listed) if (pid <= maxPid) skip[pid] = 1;
  const candidates = new Map<number, 'lookup' | 'signal'>();
  let probed = 0;
  let complete = true;
  const passes: ('lookup' | 'signal')[] = signalProbe ? ['lookup', 'signal'] : ['lookup'];
  const total = passes.length * maxPid;
  for (let p = 0; p < passes.length && complete; p++) {
    const pass = passes[p];
    for (let start = 1; start < maxPid; start += CHUNK) {
      const end = Math.min(maxPid, start + CHUNK);
      for (let pid = start; pid < end; pid++) {
        if (skip[pid] === 1) continue;
        if (p === 0) probed++; // distinct pids: the signal pass asks the same pids again
        const found =
          pass === 'lookup'
            ? statSync(`${procRoot}/${pid}`, { throwIfNoEntry: false }) !== undefined
            : signalAnswers(pid);
        if (found) {
          skip[pid] = 1; // the signal pass need not ask again
          candidates.set(pid, pass ?? 'lookup');
        }
      }
      opts.onProgress?.((p * maxPid + end) / total);
      await yieldToLoop(opts.signal);
      if (now() > deadline && end < maxPid) {
        complete = false;
        break;
      }
    }
  }
  const relist = opts.relist ?? (() => listProcDir(procRoot));
  return { hidden: confirmHidden(procRoot, candidates, relist), probed, maxPid, complete };
}

/**
 * Drops threads (their Tgid is another pid) and processes that started after the listing (a fresh
 * listing shows them): what is left exists and is not listed.
 */
function confirmHidden(
  procRoot: string,
  candidates: Map<number, 'lookup' | 'signal'>,
  relist: () => Iterable<number>,
): HiddenProcess[] {
  if (candidates.size === 0) return [];
  const relisted = new Set(relist());
  const out: HiddenProcess[] = [];
  for (const [pid, probe] of candidates) {
    if (relisted.has(pid)) continue;
    const st = statusOf(procRoot, pid);
    if (st && st.tgid !== pid) continue; // a thread of process st.tgid
    if (!st && probe === 'lookup') continue; // exited since the probe
    if (probe === 'signal' && !signalAnswers(pid)) continue;
    out.push({ pid, name: st?.name ?? null, probe });
  }
  return out;
}
