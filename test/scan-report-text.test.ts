/**
 * The scan's wording: times in the reader's zone, the same hidden-probe figures in the step and
 * the report's footer, a sentence instead of a stray "none" under an empty heading, and a reason
 * for unreadable processes that fits who runs the scan.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyScanReport } from './helpers/scan-report.js';
import type { ScanReport } from '../shared/scan.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { renderScanHtml } from '../main/engine/scan/html-report.js';
import type { ScanProc } from '../main/engine/scan/proc-snapshot.js';
import { hiddenProbeText, localTime } from '../main/engine/scan/report-text.js';

const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
  vi.restoreAllMocks();
});

function report(over: Partial<ScanReport> = {}): ScanReport {
  return emptyScanReport({
    startedAt: '2026-12-07T18:25:56.000Z',
    durationMs: 1500,
    gpu: {
      devices: [],
      processes: [],
      tools: [{ tool: 'nvidia-smi', ok: false, detail: 'not found on PATH' }],
      driverVersion: null,
    },
    hidden: { pids: [], probed: 32_674, maxPid: 32_768, complete: true },
    domainList: { source: 'shipped', count: 72 },
    steps: [
      { id: 'processes', label: 'Processes and executables', status: 'ok', durationMs: 5, detail: '93 processes' },
    ],
    ...over,
  });
}

describe('local time with its zone', () => {
  it.each([
    ['Europe/Berlin', '2026-12-07 19:25:56 Europe/Berlin (UTC+01:00)'],
    ['America/New_York', '2026-12-07 13:25:56 America/New_York (UTC-05:00)'],
    ['Asia/Kolkata', '2026-12-07 23:55:56 Asia/Kolkata (UTC+05:30)'],
    ['UTC', '2026-12-07 18:25:56 UTC (UTC+00:00)'],
  ])('%s', (zone, text) => {
    process.env.TZ = zone;
    expect(localTime(Date.parse('2026-12-07T18:25:56.000Z'), zone)).toBe(text);
  });

  it('shows the report start and a kill action in local time, never as raw UTC', () => {
    process.env.TZ = 'Europe/Berlin';
    const r = report({
      findings: [
        {
          id: 'x',
          rule: 'miner-signature',
          severity: 'high',
          title: 'Miner signature',
          evidence: [],
          actions: [{ kind: 'kill', pid: 42, startTimeMs: Date.parse('2026-12-07T17:00:00.000Z'), exe: null }],
          allowlisted: false,
        },
      ],
    });
    const html = renderScanHtml(r);
    expect(html).toContain('<title>Idlewatch deep scan 2026-12-07 19:25:56 Europe/Berlin (UTC+01:00)</title>');
    expect(html).toContain('End process 42 (started 2026-12-07 18:00:00 Europe/Berlin (UTC+01:00))');
    expect(html).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/);
  });
});

describe('the HTML report', () => {
  it('says in a sentence what an empty section means, with no stray "none" under the GPUs', () => {
    const html = renderScanHtml(report());
    expect(html).not.toMatch(/>none</);
    expect(html).toContain('No GPU could be listed: no GPU tool works here (see above).');
    expect(html).toContain('No process was seen using a GPU.');
    expect(html).toContain('Everything the scan looked at could be read.');
  });

  it('does not claim everything could be read when a step says it could not see everything', () => {
    const html = renderScanHtml(
      report({
        steps: [{ id: 'hidden', label: 'Hidden processes', status: 'partial', durationMs: 3000, detail: 'cut short' }],
      }),
    );
    expect(html).not.toContain('Everything the scan looked at could be read.');
    expect(html).toContain('see the steps marked partial above');
  });

  it('gives the hidden-process probe the same figures as its step', () => {
    const hidden = { pids: [], probed: 32_674, maxPid: 32_768, complete: true };
    expect(hiddenProbeText(hidden)).toBe(
      'all 32,767 pids checked (the 32,674 not in the process listing probed one by one)',
    );
    expect(renderScanHtml(report({ hidden }))).toContain(`Hidden-process probe: ${hiddenProbeText(hidden)}.`);
    expect(hiddenProbeText({ probed: 9_000, maxPid: 4_194_304, complete: false })).toBe(
      '9,000 of the pids not in the process listing probed before its time limit (of 4,194,303 pids in all)',
    );
  });
});

describe('processes that could not be fully read', () => {
  const proc = (pid: number, name: string): ScanProc => ({
    pid,
    ppid: 0,
    name,
    state: 'S',
    exe: null,
    cmdline: '',
    argv: [],
    uid: 0,
    user: 'root',
    startTimeMs: 1,
    kernelThread: false,
    cpuSec: 0,
    sockets: null,
    gpuDevices: [],
  });
  const scanWith = () =>
    runDeepScan({
      steps: ['processes'],
      hiddenProbe: false,
      dataDir: null,
      snapshot: async () => ({
        procs: [proc(1, 'process_api'), proc(2, 'other')],
        listed: new Set([1, 2]),
        unreadable: 1,
        denied: [{ pid: 1, name: 'process_api', uid: 0, parts: ['its executable'] }],
      }),
    });

  it('as root: names the process and says why running as root would not help', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0);
    const r = await scanWith();
    expect(r.steps[0]?.detail).toBe(
      '2 processes; 1 process could not be fully read even as root (pid 1 process_api): the kernel refuses it for processes of another namespace or guarded by a security module (Yama, AppArmor, SELinux)',
    );
    expect(r.steps[0]?.detail).not.toContain('run as root');
    // The count above matches what "Could not be read" lists.
    expect(r.problems.filter((p) => p.step === 'processes').map((p) => p.message)).toEqual([
      'pid 1 (process_api): its executable could not be read: permission denied even as root',
    ]);
  });

  it('as a user: names the process and suggests running as root', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const r = await scanWith();
    expect(r.steps[0]?.detail).toBe(
      "2 processes; 1 process could not be fully read (pid 1 process_api): other users' processes; run as root to see them",
    );
  });
});
