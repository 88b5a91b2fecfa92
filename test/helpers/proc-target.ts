import { readdirSync, readFileSync } from 'node:fs';
import type { ActionTarget } from '../../shared/actions.js';
import { readLinuxProcState } from '../../main/engine/actions/linux-proc-state.js';
import { parseProcStat } from '../../main/engine/platform/linux/proc-file.js';

/** The identity of a live pid, read the way the engine reads it. */
export function targetOf(pid: number | undefined): ActionTarget {
  if (pid === undefined) throw new Error('process has no pid (spawn failed)');
  const st = readLinuxProcState(pid);
  if (!st) throw new Error(`process ${pid} is not in /proc`);
  return { pid, startTimeMs: st.startTimeMs };
}

/** stat field 3 (R, S, T, Z, …), or null when the pid is gone. */
export function procState(pid: number): string | null {
  return readLinuxProcState(pid)?.state ?? null;
}

/** utime + stime in clock ticks, or null when the pid is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    const st = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return st ? st.utime + st.stime : null;
  } catch {
    return null;
  }
}

/** A kernel thread to try to act on: a child of kthreadd, flagged PF_KTHREAD. Null where none is visible (pid namespaces). */
export function findKernelThread(): number | null {
  const two = readLinuxProcState(2);
  if (two?.comm !== 'kthreadd') return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readLinuxProcState(Number(entry));
    if (st && st.ppid === 2 && st.kernelThread) return st.pid;
  }
  return null;
}
