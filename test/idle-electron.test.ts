import { describe, expect, it } from 'vitest';
import { type PowerMonitorLike, PowerMonitorIdleSource } from '../main/engine/idle/electron-powermonitor.js';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';

/** Stands in for Electron's powerMonitor, whose methods answer synchronously. */
class FakePowerMonitor implements PowerMonitorLike {
  idle = 0;
  state = 'active';
  getSystemIdleTime(): number {
    return this.idle;
  }
  getSystemIdleState(_threshold: number): string {
    return this.state;
  }
}

const x11 = { XDG_SESSION_TYPE: 'x11' };

describe('PowerMonitorIdleSource', () => {
  it('reads idle seconds and the lock state', async () => {
    const pm = new FakePowerMonitor();
    const src = new PowerMonitorIdleSource(pm, { platform: 'win32', env: {} });
    expect(await src.available()).toEqual({ ok: true, detail: 'Electron powerMonitor.getSystemIdleTime()' });
    pm.idle = 42;
    expect(await src.read()).toEqual({ idleSec: 42, locked: false });
    pm.state = 'locked';
    expect(await src.read()).toEqual({ idleSec: 42, locked: true });
    pm.state = 'unknown';
    expect(await src.read()).toEqual({ idleSec: 42 });
  });

  it('refuses a Linux Wayland session up front', async () => {
    const src = new PowerMonitorIdleSource(new FakePowerMonitor(), {
      platform: 'linux',
      env: { XDG_SESSION_TYPE: 'wayland' },
    });
    const a = await src.available();
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.reason).toMatch(/^Wayland session: Electron's getSystemIdleTime\(\) returns 0/);
  });

  it('gives up on zeros that never end, instead of calling the user active forever', async () => {
    let now = 0;
    const src = new PowerMonitorIdleSource(new FakePowerMonitor(), {
      platform: 'linux',
      env: x11,
      stuckZeroSec: 600,
      now: () => now,
    });
    for (now = 0; now < 600_000; now += 30_000) await src.read();
    now = 600_000;
    await expect(src.read()).rejects.toThrow(/exactly 0 on every read for 10 min/);
    const a = await src.available();
    expect(a.ok).toBe(false);
  });

  it('trusts zeros once it has seen a non-zero reading', async () => {
    let now = 0;
    const pm = new FakePowerMonitor();
    const src = new PowerMonitorIdleSource(pm, { platform: 'linux', env: x11, stuckZeroSec: 600, now: () => now });
    pm.idle = 3;
    await src.read();
    pm.idle = 0;
    for (now = 1000; now < 3_600_000; now += 30_000) await src.read();
    expect((await src.available()).ok).toBe(true);
  });

  it('a cross-check source that sees the user away exposes the zeros within a minute or two', async () => {
    let now = 0;
    const other = new ScriptedIdleSource(() => ({ idleSec: 95 }), { id: 'idle.gnome-mutter', label: 'GNOME Mutter' });
    const src = new PowerMonitorIdleSource(new FakePowerMonitor(), {
      platform: 'linux',
      env: x11,
      crossCheck: other,
      now: () => now,
    });
    for (now = 0; now <= 50_000; now += 10_000) await src.read();
    expect(other.readCount).toBe(0);
    now = 60_000;
    await expect(src.read()).rejects.toThrow('Electron reports idle time 0 while GNOME Mutter reports 95 s');
  });

  it('a cross-check that agrees keeps it working', async () => {
    let now = 0;
    const other = new ScriptedIdleSource(() => ({ idleSec: 0.3 }));
    const src = new PowerMonitorIdleSource(new FakePowerMonitor(), {
      platform: 'linux',
      env: x11,
      crossCheck: other,
      now: () => now,
    });
    for (now = 0; now <= 180_000; now += 10_000) await src.read();
    expect(other.readCount).toBe(3);
    expect((await src.available()).ok).toBe(true);
  });

  it('inside IdleMonitor, a powerMonitor stuck at 0 hands over to the next source', async () => {
    let now = 0;
    const pm = new PowerMonitorIdleSource(new FakePowerMonitor(), {
      platform: 'linux',
      env: x11,
      stuckZeroSec: 120,
      now: () => now,
    });
    const logind = new ScriptedIdleSource(() => ({ idleSec: 400, locked: false }), { id: 'idle.logind' });
    const m = new IdleMonitor({ sources: [pm, logind], idleThresholdSec: 60, maxReuseMs: 0, maxFailures: 1 });
    const seen: (string | null)[] = [];
    for (now = 0; now <= 150_000; now += 10_000) seen.push((await m.read(now)).source);
    expect(seen[0]).toBe('idle.electron');
    expect(seen.at(-1)).toBe('idle.logind');
    expect((await m.read(now)).state).toBe('idle');
    expect(m.status().detail).toMatch(
      /idle\.electron: failed 1 reads in a row: Electron's idle time has been exactly 0/,
    );
  });
});
