import { describe, expect, it } from 'vitest';
import type { IncidentView } from '../../../shared/ipc.js';
import { awaySummaryText, isOpenIncident, statusBannerText, usedWhileAway } from './banner.js';
import { incident } from './fixtures.test-helpers.js';

describe('statusBannerText', () => {
  it('is quiet with no open incidents', () => {
    expect(statusBannerText([])).toBe('All quiet');
    expect(
      statusBannerText([
        incident({ reviewed: true }),
        incident({ pid: 2, key: '2@1', allowlisted: true }),
        incident({ pid: 3, key: '3@1', severity: 'low' }),
      ]),
    ).toBe('All quiet');
  });

  it('counts open incidents and names the resource their evidence is about', () => {
    const gpu = incident();
    const gpu2 = incident({ pid: 2, key: '2@1', severity: 'medium' });
    expect(statusBannerText([gpu, gpu2])).toBe('2 processes used your GPU while you were away');
    const cpu = incident({
      pid: 3,
      key: '3@1',
      reasons: [{ rule: 'cpu-while-idle', detail: 'CPU 390% for 40 s' }],
      idleGpuSec: 0,
      idleCpuSec: 150,
    });
    expect(statusBannerText([cpu])).toBe('1 process used your CPU while you were away');
    expect(statusBannerText([gpu, cpu])).toBe('2 processes used your GPU and CPU while you were away');
  });

  it('falls back to the idle load figures when no load rule fired', () => {
    const i = incident({
      reasons: [{ rule: 'miner-signature', detail: 'stratum+tcp://' }],
      idleGpuSec: 0,
      idleCpuSec: 9,
    });
    expect(statusBannerText([i])).toBe('1 process used your CPU while you were away');
    expect(isOpenIncident(i)).toBe(true);
  });
});

describe('awaySummaryText', () => {
  const from = new Date(2025, 0, 1, 14, 2).getTime();
  const to = new Date(2025, 0, 1, 14, 43).getTime();

  it('names the most severe process with its average load and duration', () => {
    const text = awaySummaryText({
      from,
      to,
      processes: [
        { pid: 1, startT: 0, name: 'backup', exe: null, busySec: 600, gpuSec: 0, cpuSec: 300, severity: null },
        { pid: 2, startT: 0, name: 'nvhelper', exe: null, busySec: 2460, gpuSec: 2337, cpuSec: 20, severity: 'high' },
      ],
    });
    expect(text).toBe(
      'While you were away (14:02–14:43), nvhelper kept your GPU at 95% for 41 minutes; 1 other process was busy too',
    );
  });

  it('says when nothing was busy', () => {
    expect(awaySummaryText({ from, to, processes: [] })).toBe(
      'While you were away (14:02–14:43), nothing used your GPU or CPU.',
    );
  });
});

describe('usedWhileAway', () => {
  it('keeps what used the machine while away or can alert, and leaves quiet low findings to the Incidents screen', () => {
    const base = { severity: 'low', idleGpuSec: 0, idleCpuSec: 0 } as const;
    expect(usedWhileAway({ ...base } as unknown as IncidentView)).toBe(false);
    expect(usedWhileAway({ ...base, idleCpuSec: 12 } as unknown as IncidentView)).toBe(true);
    expect(usedWhileAway({ ...base, idleGpuSec: 3 } as unknown as IncidentView)).toBe(true);
    expect(usedWhileAway({ ...base, severity: 'medium' } as unknown as IncidentView)).toBe(true);
  });
});
