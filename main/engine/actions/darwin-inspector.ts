import { runFile } from '../util/exec.js';
import { type LiveProcess, MAX_LINEAGE_DEPTH, type PollState, type ProcessInspector } from './process-inspector.js';

const PS = '/bin/ps';
// English month names and a stable column layout whatever the user's locale.
const PS_ENV = { ...process.env, LC_ALL: 'C' };

/**
 * macOS through `ps` (no /proc there). UNTESTED: no Mac in this workplace. `lstart` has whole
 * seconds, and so has the engine's start time on macOS, hence the 1.5 s tolerance: pid reuse
 * within the same second is not detectable on macOS this way.
 */
export class DarwinInspector implements ProcessInspector {
  readonly platform = 'darwin' as const;
  readonly startToleranceMs = 1500;

  async inspect(pid: number): Promise<LiveProcess | null> {
    const r = await runFile(PS, ['-o', 'ppid=,stat=,uid=,user=,lstart=,comm=', '-p', String(pid)], {
      timeoutMs: 5000,
      env: PS_ENV,
    });
    // ps exits 1 with no output when there is no such pid.
    const line = r.stdout.split('\n').find((l) => l.trim() !== '');
    if (!line) return null;
    const parsed = parsePsLine(line);
    if (!parsed) return null;
    const args = await runFile(PS, ['-o', 'args=', '-p', String(pid)], { timeoutMs: 5000, env: PS_ENV });
    return {
      pid,
      ppid: parsed.ppid,
      name: parsed.comm.split('/').pop() ?? parsed.comm,
      exe: parsed.comm.startsWith('/') ? parsed.comm : null,
      cmdline: args.stdout.trim(),
      startTimeMs: parsed.startTimeMs,
      uid: parsed.uid,
      user: parsed.user,
      status: parsed.stat.includes('Z') ? 'zombie' : parsed.stat.includes('T') ? 'stopped' : 'running',
      kernelThread: false,
    };
  }

  async poll(pid: number, startTimeMs: number): Promise<PollState> {
    const p = await this.inspect(pid);
    if (!p || Math.abs(p.startTimeMs - startTimeMs) > this.startToleranceMs) return 'gone';
    return p.status;
  }

  async lineage(pid: number): Promise<number[]> {
    return walkParents(pid, await this.parentTable());
  }

  async parentTable(): Promise<Map<number, number>> {
    const r = await runFile(PS, ['-axo', 'pid=,ppid='], { timeoutMs: 5000, env: PS_ENV });
    const parent = new Map<number, number>();
    for (const l of r.stdout.split('\n')) {
      const [a, b] = l.trim().split(/\s+/);
      if (a && b) parent.set(Number(a), Number(b));
    }
    return parent;
  }
}

/** `ppid stat uid user Www Mmm dd hh:mm:ss yyyy comm…` (lstart is five words). */
export function parsePsLine(
  line: string,
): { ppid: number; stat: string; uid: number; user: string; startTimeMs: number; comm: string } | null {
  const w = line.trim().split(/\s+/);
  if (w.length < 10) return null;
  const startTimeMs = Date.parse(w.slice(4, 9).join(' '));
  const ppid = Number(w[0]);
  const uid = Number(w[2]);
  if (!Number.isFinite(startTimeMs) || !Number.isInteger(ppid) || !Number.isInteger(uid)) return null;
  return { ppid, stat: w[1] ?? '', uid, user: w[3] ?? '', startTimeMs, comm: w.slice(9).join(' ') };
}

export function walkParents(pid: number, parent: ReadonlyMap<number, number>): number[] {
  const chain = [pid];
  let cur = pid;
  while (chain.length < MAX_LINEAGE_DEPTH) {
    const p = parent.get(cur);
    if (p === undefined || p <= 0 || chain.includes(p)) break;
    chain.push(p);
    cur = p;
  }
  return chain;
}
