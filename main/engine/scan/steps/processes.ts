/**
 * Step 1, processes and executables: the process listing every later step works from, and what
 * each program's location and name say about it.
 */
import { WorldWritableDirs } from '../path-rules.js';
import { type ProcSnapshot, snapshotLinuxProcesses, snapshotOtherProcesses } from '../proc-snapshot.js';
import { executableIssues } from '../process-rules.js';
import type { ScanContext } from '../scan-context.js';
import { addProcFinding, plural, type ScanStep } from './step.js';

export const processesStep: ScanStep = async (scan, { progress, signal, ctx }) => {
  const { platform, procRoot } = scan;
  const take =
    scan.options.snapshot ??
    (() =>
      platform === 'linux'
        ? snapshotLinuxProcesses({ procRoot, signal, onProgress: progress })
        : snapshotOtherProcesses());
  const snapshot = await take();
  scan.snapshot = snapshot;
  scan.byPid = new Map(snapshot.procs.map((p) => [p.pid, p]));
  const writable = platform === 'win32' ? null : new WorldWritableDirs();
  for (const p of snapshot.procs)
    for (const issue of executableIssues(p, platform, writable)) addProcFinding(scan, p, issue);
  const n = snapshot.procs.length;
  if (snapshot.unreadable > 0) {
    return {
      status: 'partial',
      detail: `${plural(n, 'process', 'processes')}; ${unreadableDetail(snapshot, ctx)}`,
    };
  }
  return { status: 'ok', detail: plural(n, 'process', 'processes') };
};

/**
 * Which processes could not be fully read, and why: another user's (a reason to run as root) or,
 * when running as root already, the kernel's refusal (a process of another namespace, or one a
 * security module such as Yama, AppArmor or SELinux guards), where running as root would not help.
 * Each is also a problem in the report.
 */
function unreadableDetail(snapshot: ProcSnapshot, ctx: ScanContext): string {
  const asRoot = process.getuid?.() === 0;
  const denied = snapshot.denied ?? [];
  for (const d of denied) {
    ctx.problem(
      'processes',
      `/proc/${d.pid}`,
      `pid ${d.pid} (${d.name}): ${d.parts.join(', ')} could not be read: permission denied${asRoot ? ' even as root' : ''}`,
    );
  }
  const named = denied.slice(0, 3).map((d) => `pid ${d.pid} ${d.name}`);
  const rest = snapshot.unreadable - named.length;
  const who = named.length === 0 ? '' : ` (${named.join(', ')}${rest > 0 ? `, and ${plural(rest, 'other')}` : ''})`;
  const count = plural(snapshot.unreadable, 'process', 'processes');
  if (asRoot) {
    return `${count} could not be fully read even as root${who}: the kernel refuses it for processes of another namespace or guarded by a security module (Yama, AppArmor, SELinux)`;
  }
  return `${count} could not be fully read${who}: other users' processes; run as root to see them`;
}
