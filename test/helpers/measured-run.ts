/**
 * Runs a command (the built CLI) as a child and measures what the scan costs: wall time, and the
 * peak resident memory of the child and of every process it starts (the CLI runs its scan in a
 * child of its own), sampled from /proc/PID/status VmHWM. A run that goes over its time or memory
 * limit is killed with its whole process group, so a scan that hangs or balloons fails the test
 * instead of taking the machine down with it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Sum over the process tree of each process's own peak (an upper bound of the tree's peak at any one time). */
  peakKiB: number;
  /** Each process's peak, largest first. */
  peaks: { pid: number; name: string; kib: number }[];
  /** Why the run was killed, if it was. */
  killed: 'time' | 'memory' | null;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  /** Killed after this long (the test then fails on `killed`). */
  timeoutMs: number;
  /** Killed when the tree's summed peak passes this; well above the limit a test asserts. */
  killAboveKiB: number;
  /** Written to the child's stdin, then closed. */
  input?: string;
}

function status(pid: number): { name: string; hwmKiB: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const name = /^Name:\s*(.*)$/m.exec(text)?.[1] ?? '?';
    const hwm = /^VmHWM:\s*(\d+)\s*kB/m.exec(text)?.[1];
    return hwm === undefined ? null : { name, hwmKiB: Number(hwm) };
  } catch {
    return null;
  }
}

/** The pid and all its descendants, through /proc/PID/task/TID/children. */
function tree(root: number): number[] {
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    out.push(pid);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').trim();
        if (kids !== '') for (const k of kids.split(/\s+/)) todo.push(Number(k));
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

export function runMeasured(command: string, args: string[], opts: MeasureOptions): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // Its own process group, so a kill reaches the scan the CLI started too.
    const child = spawn(command, args, { env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid === undefined) {
      reject(new Error(`could not start ${command}`));
      return;
    }
    const peaks = new Map<number, { name: string; kib: number }>();
    let stdout = '';
    let stderr = '';
    let killed: MeasuredRun['killed'] = null;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.stdin.end(opts.input ?? '');
    const killTree = (why: 'time' | 'memory'): void => {
      if (killed) return;
      killed = why;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const sample = (): void => {
      for (const p of tree(pid)) {
        const s = status(p);
        if (!s) continue;
        const before = peaks.get(p);
        const name = p === pid ? `${s.name} (started)` : s.name;
        if (!before || s.hwmKiB > before.kib) peaks.set(p, { name, kib: s.hwmKiB });
      }
      let sum = 0;
      for (const v of peaks.values()) sum += v.kib;
      if (sum > opts.killAboveKiB) killTree('memory');
      if (performance.now() - t0 > opts.timeoutMs) killTree('time');
    };
    const timer = setInterval(sample, 10);
    sample();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      // A scan child that outlived the CLI (it should not) must not outlive the test.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // the group is empty: good
      }
      const list = [...peaks].map(([p, v]) => ({ pid: p, ...v })).sort((a, b) => b.kib - a.kib);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        wallMs: Math.round(performance.now() - t0),
        peakKiB: list.reduce((a, v) => a + v.kib, 0),
        peaks: list,
        killed,
      });
    });
  });
}
