/**
 * Step 5, hidden processes (Linux): pids that exist but are missing from the /proc listing the
 * processes step took, the mark of something filtering the process list.
 */
import { readLinuxProcDetails } from '../../actions/linux-proc-state.js';
import { UserNames } from '../../platform/linux/users.js';
import { probeHiddenProcesses } from '../hidden-procs.js';
import type { ScanProc } from '../proc-snapshot.js';
import { hiddenProbeText } from '../report-text.js';
import { addProcFinding, plural, type ScanStep } from './step.js';

export const hiddenStep: ScanStep = async (scan, { progress, signal }) => {
  const { platform, procRoot, findings } = scan;
  const probe = scan.options.hiddenProbe;
  if (platform !== 'linux' || probe === false) {
    return { status: 'unavailable', detail: platform !== 'linux' ? 'Linux only' : 'turned off' };
  }
  // Without the listing every live pid would look hidden.
  if (!scan.steps.some((s) => s.id === 'processes' && s.status !== 'skipped')) {
    return { status: 'unavailable', detail: 'needs the process listing, which was not asked for' };
  }
  const r = await probeHiddenProcesses({
    procRoot,
    listed: scan.snapshot.listed,
    budgetMs: probe?.budgetMs,
    maxPid: probe?.maxPid,
    signal,
    onProgress: progress,
  });
  scan.hidden = { pids: r.hidden.map((h) => h.pid), probed: r.probed, maxPid: r.maxPid, complete: r.complete };
  const users = new UserNames();
  for (const h of r.hidden) {
    const d = readLinuxProcDetails(h.pid, procRoot);
    const how =
      h.probe === 'lookup'
        ? '/proc/PID answers a direct lookup'
        : 'it answers a signal probe (kill 0) but has no /proc entry';
    const evidence = [
      `pid ${h.pid} exists (${how}) but is missing from the /proc listing`,
      'something is filtering the process list: the mark of a rootkit',
    ];
    if (d) {
      const p: ScanProc = {
        pid: h.pid,
        ppid: d.ppid,
        name: d.comm,
        state: d.state,
        exe: d.exe,
        cmdline: d.cmdline,
        argv: d.cmdline.split(' '),
        uid: d.uid,
        user: d.uid === null ? null : users.name(d.uid, scan.now()),
        startTimeMs: d.startTimeMs,
        kernelThread: d.kernelThread,
        cpuSec: null,
        sockets: null,
        gpuDevices: [],
      };
      addProcFinding(scan, p, {
        rule: 'hidden-process',
        severity: 'high',
        title: `Process ${h.pid} (${d.comm}) is hidden from the process list`,
        evidence,
      });
    } else {
      findings.add({
        key: String(h.pid),
        rule: 'hidden-process',
        severity: 'high',
        title: `Process ${h.pid}${h.name ? ` (${h.name})` : ''} is hidden from the process list`,
        evidence,
        actions: [
          {
            kind: 'manual',
            text: 'Its details cannot be read: check the machine for a rootkit from trusted boot media',
          },
        ],
      });
    }
  }
  return {
    status: r.complete ? 'ok' : 'partial',
    detail: `${hiddenProbeText(r)}; ${plural(r.hidden.length, 'hidden process', 'hidden processes')}`,
  };
};
