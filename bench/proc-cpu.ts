// CPU accounting shared by the bench runners (bench/overhead-runner.ts, bench/daemon-cost-runner.ts):
// this process (all threads) from /proc/self/stat, its reaped children, and its live descendants
// (nvidia-smi, ps and the like), so a child's work is charged to the side that spawned it.
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;

function statTicks(pid: number | 'self'): { own: number; children: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

/** CPU ticks of this process's live descendants, found by walking /proc. */
function descendantTicks(): number {
  let ticks = 0;
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    const c = e.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const t = readFileSync(`/proc/${e}/stat`, 'latin1');
      parent.set(Number(e), Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited
    }
  }
  const ours = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!ours.has(pid) && ours.has(ppid)) {
        ours.add(pid);
        grew = true;
        const s = statTicks(pid);
        if (s) ticks += s.own + s.children;
      }
    }
  }
  return ticks;
}

/**
 * CPU seconds of this process, its reaped children, and its live descendants. The /proc walk that
 * finds the descendants costs tens of ms at 1,000 processes: it must not be charged to the engine,
 * so at the start of the window this process is read after the walk, and at the end before it.
 */
export function cpuSeconds(at: 'start' | 'end'): number {
  let self: ReturnType<typeof statTicks> = null;
  if (at === 'end') self = statTicks('self');
  const children = descendantTicks();
  if (at === 'start') self = statTicks('self');
  if (!self) return 0;
  return (self.own + self.children + children) / CLK_TCK;
}
