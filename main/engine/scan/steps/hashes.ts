/**
 * Step 8, hashes of the executables of processes with a finding or a GPU: last, since it needs
 * both. The runner pins allowlist actions to them and matches the allowlist on them at the end.
 */
import { hashExecutables } from '../exe-hashes.js';
import { plural, type ScanStep } from './step.js';

export const hashesStep: ScanStep = async (scan, { progress, signal }) => {
  const gpuPids = new Set(scan.gpu.processes.map((p) => p.pid));
  const targets = new Map<number, { pid: number; exe: string | null }>();
  for (const f of scan.findings.all())
    if (f.process) targets.set(f.process.pid, { pid: f.process.pid, exe: f.process.exe });
  for (const pid of gpuPids) {
    const p = scan.byPid.get(pid);
    if (p) targets.set(pid, { pid, exe: p.exe });
  }
  const got = await hashExecutables([...targets.values()], scan.hashCache, {
    platform: scan.platform,
    procRoot: scan.procRoot,
    signal,
    onProgress: progress,
  });
  for (const [pid, h] of got) scan.hashes.set(pid, h);
  const hashed = [...got.values()].filter((h) => h !== null).length;
  return { status: 'ok', detail: `${plural(hashed, 'executable')} hashed` };
};
