/**
 * One table of provenance evidence: the monitor (and replay, which is the same detector) and the
 * deep scan's process rules must give the same process the same severity. Each case is a process
 * with no load and no network, so provenance is the only evidence either of them has.
 */
import { describe, expect, it } from 'vitest';
import type { Severity } from '../shared/detection.js';
import type { Platform } from '../shared/trace.js';
import { detectSamples } from '../main/engine/detect/detector.js';
import { PROVENANCE_EVIDENCE, provenanceSeverity } from '../main/engine/detect/provenance-evidence.js';
import { buildStream } from '../main/engine/detect/sample-builder.js';
import { FindingSet, processRef } from '../main/engine/scan/findings.js';
import type { ScanProc } from '../main/engine/scan/proc-snapshot.js';
import { WorldWritableDirs } from '../main/engine/scan/path-rules.js';
import { executableIssues } from '../main/engine/scan/process-rules.js';

interface Case {
  what: string;
  platform: Platform;
  name: string;
  exe: string;
  cmdline: string;
  ppid?: number;
}

/** One kind each: the scan raises a process with two kinds a level, the detector adds their points. */
const CASES: Case[] = [
  { what: 'memfd (fileless)', platform: 'linux', name: 'x', exe: '/memfd:x (deleted)', cmdline: 'x' },
  { what: 'memfd without the deleted suffix', platform: 'linux', name: 'x', exe: '/memfd:payload', cmdline: 'x' },
  { what: 'deleted executable', platform: 'linux', name: 'app', exe: '/home/u/build/app (deleted)', cmdline: 'app' },
  { what: 'temp folder', platform: 'linux', name: 'helper', exe: '/tmp/helper', cmdline: '/tmp/helper' },
  { what: 'hidden folder', platform: 'linux', name: 'helper', exe: '/home/u/.x/helper', cmdline: 'helper' },
  { what: 'cache folder', platform: 'linux', name: 'helper', exe: '/home/u/.cache/z/helper', cmdline: 'helper' },
  {
    what: 'kernel-thread impostor',
    platform: 'linux',
    name: 'kworker/0:1',
    exe: '/var/lib/k',
    cmdline: '[kworker/0:1]',
  },
  { what: 'system-name impostor', platform: 'linux', name: 'sshd', exe: '/home/u/sshd', cmdline: 'sshd' },
  {
    what: 'Windows system-name impostor',
    platform: 'win32',
    name: 'svchost.exe',
    exe: 'C:\\Games\\svchost.exe',
    cmdline: 'svchost.exe',
  },
  {
    what: 'Windows misspelt system name',
    platform: 'win32',
    name: 'scvhost.exe',
    exe: 'C:\\Tools\\scvhost.exe',
    cmdline: 'scvhost.exe',
  },
];

function scanProc(c: Case): ScanProc {
  return {
    pid: 100,
    ppid: c.ppid ?? 1,
    name: c.name,
    state: 'S',
    exe: c.exe,
    cmdline: c.cmdline,
    argv: c.cmdline.split(' '),
    uid: 1000,
    user: 'u',
    startTimeMs: 1,
    kernelThread: false,
    cpuSec: 0,
    sockets: [],
    gpuDevices: [],
  };
}

/** What the monitor and replay say: the detector fed a minute of samples with no load and no network. */
function monitorSeverity(c: Case): Severity | null {
  const s = buildStream({
    platform: c.platform,
    session: [{ kind: 'active', sec: 60 }],
    procs: [{ pid: 100, ppid: c.ppid ?? 1, name: c.name, exe: c.exe, cmdline: c.cmdline }],
  });
  return detectSamples(s.header, s.samples).find((i) => i.pid === 100)?.severity ?? null;
}

/** What the deep scan says: its highest finding for the process, after the scan's corroboration of several kinds. */
function scanSeverity(c: Case): Severity | null {
  const order: Severity[] = ['low', 'medium', 'high'];
  const p = scanProc(c);
  const set = new FindingSet();
  const process = processRef(p, new Map());
  for (const i of executableIssues(p, c.platform, null)) set.add({ key: `${p.pid}`, ...i, process, actions: [] });
  set.corroborate();
  let best: Severity | null = null;
  for (const f of set.all()) if (best === null || order.indexOf(f.severity) > order.indexOf(best)) best = f.severity;
  return best;
}

describe('one provenance table for the monitor, replay and the deep scan', () => {
  for (const c of CASES) {
    it(`${c.what}: the same severity from the detector and the scan`, () => {
      const monitor = monitorSeverity(c);
      expect(monitor).not.toBeNull();
      expect(scanSeverity(c)).toBe(monitor);
    });
  }

  it('a memfd process with no load and no network is not "high" anywhere', () => {
    const memfd = CASES[0]!;
    expect(scanSeverity(memfd)).not.toBe('high');
    expect(monitorSeverity(memfd)).not.toBe('high');
  });

  it('the scan words each finding as the detector does', () => {
    const issues = executableIssues(scanProc(CASES[0]!), 'linux', null);
    expect(issues[0]?.title).toBe(
      'Runs from memory (/memfd:x (deleted)) with no program file on disk, as fileless malware does',
    );
  });

  it('a folder anyone can write to weighs what the other suspicious places weigh', () => {
    const dirs = new WorldWritableDirs((p) => (p === '/srv/drop' ? 0o40777 : 0o40755));
    const issues = executableIssues(scanProc({ ...CASES[3]!, exe: '/srv/drop/x' }), 'linux', dirs);
    expect(issues.map((i) => [i.rule, i.severity])).toEqual([
      ['world-writable-folder', provenanceSeverity(PROVENANCE_EVIDENCE['world-writable'].points)],
    ]);
    expect(PROVENANCE_EVIDENCE['world-writable'].points).toBe(PROVENANCE_EVIDENCE.location.points);
  });

  it('an installed program replaced by an update is not a finding on its own, in either', () => {
    const c: Case = {
      what: 'update',
      platform: 'linux',
      name: 'cupsd',
      exe: '/usr/sbin/cupsd (deleted)',
      cmdline: 'cupsd',
    };
    expect(monitorSeverity(c)).toBeNull();
    expect(scanSeverity(c)).toBeNull();
  });
});
