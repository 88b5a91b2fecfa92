import { describe, expect, it } from 'vitest';
import { displayName } from '../main/cli/format.js';
import { incidentHeading, renderFrame } from '../main/cli/watch.js';
import type { EngineProc, EngineSample } from '../shared/engine-types.js';

describe('displayName', () => {
  const proc = (name: string, exe: string | null, cmdline = '') => ({ name, exe, cmdline });

  it('shows the executable file name where the kernel cut the name at 15 characters', () => {
    expect(displayName(proc('gnome-shell-cal', '/usr/libexec/gnome-shell-calendar-server'))).toBe(
      'gnome-shell-calendar-server',
    );
    expect(displayName(proc('systemd-journal', '/usr/lib/systemd/systemd-journald'))).toBe('systemd-journald');
  });

  it("falls back to the command's first word when the executable is not readable", () => {
    expect(
      displayName(proc('xdg-desktop-por', null, '/usr/libexec/xdg-desktop-portal-gnome --replace --verbose')),
    ).toBe('xdg-desktop-portal-gnome');
    // Windows paths in a replayed trace.
    expect(displayName(proc('MicrosoftEdgeUp', null, 'C:\\Program\\MicrosoftEdgeUpdate.exe /c'))).toBe(
      'MicrosoftEdgeUpdate.exe',
    );
  });

  it('drops the " (deleted)" marker Linux puts on the executable of a deleted file', () => {
    expect(displayName(proc('very-long-miner', '/tmp/.x/very-long-miner-name (deleted)'))).toBe('very-long-miner-name');
  });

  it('keeps a name that is not cut, even when the executable is called something else', () => {
    expect(displayName(proc('code', '/usr/share/code/code-insiders'))).toBe('code');
    expect(displayName(proc('python3', '/usr/bin/python3.12', 'python3 my-script.py'))).toBe('python3');
  });

  it('keeps a long name the executable does not continue: a process that renamed itself', () => {
    // A miner calling itself a kernel worker: its chosen name is the evidence, not to be replaced.
    expect(displayName(proc('kworker/u16:2-ev', '/tmp/.cache/xmrig-6.21.0-linux'))).toBe('kworker/u16:2-ev');
    // Chromium names its threads and children; the exe does not start with that name.
    expect(displayName(proc('ThreadPoolForeg', '/opt/google/chrome/chrome'))).toBe('ThreadPoolForeg');
  });

  it('keeps the name when no candidate is longer (a name of exactly 15 characters, not cut)', () => {
    expect(displayName(proc('fifteen-chars-x', '/usr/bin/fifteen-chars-x'))).toBe('fifteen-chars-x');
    expect(displayName(proc('fifteen-chars-x', null, ''))).toBe('fifteen-chars-x');
  });
});

describe('watch heading', () => {
  it('says "while you were away" only when every incident shown used the machine while you were away', () => {
    expect(incidentHeading([{ idleGpuSec: 120, idleCpuSec: 0 }])).toBe('Suspicious while you were away:');
    expect(incidentHeading([{ idleGpuSec: 0, idleCpuSec: 0 }])).toBe('Suspicious processes since watch started:');
    expect(
      incidentHeading([
        { idleGpuSec: 0, idleCpuSec: 30 },
        { idleGpuSec: 0, idleCpuSec: 0 },
      ]),
    ).toBe('Suspicious processes since watch started:');
  });

  it('renders the busy table under its own heading, with recognisable names', () => {
    const p: EngineProc = {
      pid: 4242,
      ppid: 1,
      name: 'gnome-shell-cal',
      exe: '/usr/libexec/gnome-shell-calendar-server',
      cmdline: '/usr/libexec/gnome-shell-calendar-server',
      user: 'ann',
      startTimeMs: 0,
      cpu: 12,
      gpu: null,
      gpuMemMiB: null,
      gpuId: null,
      rssKiB: null,
    };
    const sample: EngineSample = {
      at: Date.UTC(2026, 0, 1),
      user: { state: 'active', idleSec: 3, source: 'idle.x11' },
      system: { cpu: 20, cores: 2 },
      gpus: [],
      procs: [p],
      unreadable: 0,
      tickMs: 1,
    };
    const lines = renderFrame(sample, [], 160, 40);
    expect(lines).toContain('Busy now, by GPU then CPU:');
    expect(lines.some((l) => l.includes('Suspicious'))).toBe(false);
    // The column is 20 wide: the name is cut there, with a mark that it was, not at the kernel's 15.
    expect(lines.find((l) => l.startsWith('4242'))).toContain('gnome-shell-calenda… /usr/libexec/');
  });
});
