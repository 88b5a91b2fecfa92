import { describe, expect, it } from 'vitest';
import { platformCollectors } from '../main/engine/platform/select.js';

describe('collectors chosen by platform at run time', () => {
  it.each([
    [
      'linux',
      'procs.linux',
      'cpu.linux',
      ['gpu.nvidia', 'gpu.drm'],
      ['idle.gnome-mutter', 'idle.freedesktop-screensaver', 'idle.x11', 'idle.logind'],
    ],
    ['win32', 'procs.windows', 'cpu.windows', ['gpu.windows'], ['idle.windows-lastinput']],
    ['darwin', 'procs.darwin', 'cpu.darwin', ['gpu.darwin'], ['idle.darwin-ioreg']],
  ] as const)('%s', (platform, procs, cpu, gpus, idle) => {
    const c = platformCollectors(platform, 1000, {});
    expect(c.procs.id).toBe(procs);
    expect(c.cpu.id).toBe(cpu);
    expect(c.gpus.map((g) => g.id)).toEqual(gpus);
    expect(c.idleSources.map((s) => s.id)).toEqual(idle);
    expect(c.conns !== null).toBe(platform === 'linux');
    expect(c.inhibitors !== null).toBe(platform === 'linux');
  });

  it('off Windows, the Windows collectors say so instead of starting PowerShell', async () => {
    if (process.platform === 'win32') return;
    const c = platformCollectors('win32', 1000);
    for (const col of [c.procs, c.cpu, ...c.gpus, ...c.idleSources]) {
      const a = await col.available();
      expect(a.ok).toBe(false);
      expect(a.ok ? '' : a.reason).toMatch(/Windows/);
    }
  });
});
