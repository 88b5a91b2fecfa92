import { describe, expect, it } from 'vitest';
import type { ScanFinding } from '../../../shared/scan.js';
import { findingProcess, findingSubject, groupFindings, scanAllowlistedBut } from './scan.js';

function finding(over: Partial<ScanFinding> = {}): ScanFinding {
  return {
    id: 'f1',
    rule: 'temp-folder-executable',
    severity: 'high',
    title: 'Runs from a temporary folder: /tmp/.x/nvhelper',
    evidence: [],
    actions: [],
    allowlisted: false,
    ...over,
  };
}

describe('findingProcess', () => {
  it('names the process by its name and pid', () => {
    const f = finding({
      process: {
        pid: 4242,
        ppid: 1,
        name: 'nvhelper',
        exe: '/tmp/.x/nvhelper',
        cmdline: '/tmp/.x/nvhelper',
        user: 'me',
        startTimeMs: 1,
        sha256: null,
        chain: [],
      },
      actions: [{ kind: 'kill', pid: 4242, startTimeMs: 1, exe: '/tmp/.x/nvhelper' }],
    });
    expect(findingProcess(f)).toBe('nvhelper (pid 4242, user me)');
    expect(findingSubject(f)).toEqual({ name: 'nvhelper', pid: 4242, user: 'me', exe: '/tmp/.x/nvhelper' });
  });

  it("a finding with only a Kill action (runs from memory only) is named from the scan's process list", () => {
    const f = finding({
      rule: 'deleted-executable',
      title: 'Runs from memory only',
      actions: [{ kind: 'kill', pid: 900, startTimeMs: 5, exe: '/memfd:x (deleted)' }],
    });
    const processes = [
      {
        pid: 900,
        ppid: 1,
        name: 'kworkerds',
        exe: '/memfd:x (deleted)',
        cmdline: 'kworkerds',
        user: 'www-data',
        startTimeMs: 5,
        kernelThread: false,
        cpuSec: 1,
        gpu: false,
        sha256: null,
      },
      // Same pid, another start time: an earlier process, not this one.
      {
        pid: 900,
        ppid: 1,
        name: 'other',
        exe: null,
        cmdline: '',
        user: 'root',
        startTimeMs: 4,
        kernelThread: false,
        cpuSec: 0,
        gpu: false,
        sha256: null,
      },
    ];
    expect(findingProcess(f, processes)).toBe('kworkerds (pid 900, user www-data)');
    expect(findingSubject(f, processes)).toEqual({
      name: 'kworkerds',
      pid: 900,
      user: 'www-data',
      exe: '/memfd:x (deleted)',
    });
  });

  it('falls back to what its Kill action knows (a hidden process has no listing to name it)', () => {
    expect(findingProcess(finding({ actions: [{ kind: 'kill', pid: 7, startTimeMs: 1, exe: '/dev/shm/x' }] }))).toBe(
      '/dev/shm/x (pid 7)',
    );
    expect(findingProcess(finding({ actions: [{ kind: 'kill', pid: 7, startTimeMs: 1, exe: null }] }))).toBe('pid 7');
  });

  it('is null for a finding about no process (a persistence line)', () => {
    expect(findingProcess(finding({ actions: [{ kind: 'remove-persistence', file: '/etc/crontab', line: 4 }] }))).toBe(
      null,
    );
  });
});

describe('a cached mining domain of an allowlisted program', () => {
  it('stays in its severity group as "allowlisted, but …", like the other hostile rules', () => {
    const f = finding({
      rule: 'cached-mining-domain',
      title: 'Connected to 203.0.113.7:443, which the resolver cache maps to pool.supportxmr.com',
      allowlisted: true,
    });
    expect(scanAllowlistedBut(f)).toBe(
      'allowlisted, but connected to 203.0.113.7:443, which the resolver cache maps to pool.supportxmr.com',
    );
    expect(groupFindings([f]).map((g) => g.id)).toEqual(['high']);
    // An outdated browser is no hostile evidence: an allowlist entry files it under Allowlisted.
    expect(groupFindings([finding({ rule: 'outdated-browser', allowlisted: true })]).map((g) => g.id)).toEqual([
      'allowlisted',
    ]);
  });
});
