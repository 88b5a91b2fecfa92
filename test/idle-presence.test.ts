import { describe, expect, it } from 'vitest';
import type { IdleReading } from '../main/engine/idle/idle-monitor.js';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { PresenceGate, type PresenceTick } from '../main/engine/idle/presence.js';
import { PresenceMonitor } from '../main/engine/idle/presence-monitor.js';
import type { Availability } from '../main/engine/platform/collector.js';
import type {
  FullscreenRead,
  FullscreenSource,
  IdleSource,
  InputActivitySource,
} from '../main/engine/platform/idle.js';

const THRESHOLD = 60;
const idle = (idleSec: number): IdleReading => ({
  state: idleSec >= THRESHOLD ? 'idle' : 'active',
  idleSec,
  source: 'test',
});
const locked = (idleSec: number): IdleReading => ({ state: 'locked', idleSec, source: 'test' });
const game: FullscreenRead = { fullscreen: true, window: '0x2a00007', pid: 4242, app: 'Steam' };
const windowed: FullscreenRead = { fullscreen: false, window: '0x2a00007', pid: null, app: null };

function tick(gate: PresenceGate, at: number, reading: IdleReading, over: Partial<PresenceTick> = {}) {
  return gate.tick({
    nowMs: at * 1000,
    reading,
    fullscreen: null,
    fullscreenUnknown: false,
    gamepadIdleSec: null,
    ...over,
  });
}

describe('presence gate: fullscreen games and gamepads', () => {
  it('a game launched while the user is there keeps them present after keyboard and mouse go still', () => {
    const gate = new PresenceGate({ idleThresholdSec: THRESHOLD });
    expect(tick(gate, 0, idle(2), { fullscreen: game })).toMatchObject({ quiet: true, app: 'Steam', presence: null });
    const later = tick(gate, 600, idle(598));
    expect(later.reading).toEqual({ state: 'active', idleSec: 598, source: 'test' });
    expect(later).toMatchObject({ presence: 'fullscreen', quiet: true });
    // The game leaves fullscreen: the idle time speaks again.
    const after = tick(gate, 605, idle(603), { fullscreen: windowed });
    expect(after).toMatchObject({ reading: { state: 'idle' }, presence: null, quiet: false });
  });

  it('evasion: a window that goes fullscreen while the user is away earns nothing', () => {
    const gate = new PresenceGate({ idleThresholdSec: THRESHOLD });
    tick(gate, 0, idle(120));
    const r = tick(gate, 5, idle(125), { fullscreen: { ...game, app: 'Steam', pid: 666 } });
    expect(r).toMatchObject({ reading: { state: 'idle' }, presence: null, quiet: false, app: null });
    expect(tick(gate, 300, idle(420)).reading.state).toBe('idle');
    // The owner comes back and sees it: from then on it is their window.
    expect(tick(gate, 301, idle(0)).quiet).toBe(true);
    expect(tick(gate, 400, idle(99)).reading.state).toBe('active');
  });

  it('evasion: swapping the trusted fullscreen window for another one starts over', () => {
    const gate = new PresenceGate({ idleThresholdSec: THRESHOLD });
    tick(gate, 0, idle(1), { fullscreen: game });
    expect(tick(gate, 100, idle(100)).reading.state).toBe('active');
    const swapped = tick(gate, 105, idle(105), { fullscreen: { ...game, window: '0x3c00001', pid: 999 } });
    expect(swapped).toMatchObject({ reading: { state: 'idle' }, quiet: false });
    // The same window claiming another pid is another window too.
    const gate2 = new PresenceGate({ idleThresholdSec: THRESHOLD });
    tick(gate2, 0, idle(1), { fullscreen: game });
    expect(tick(gate2, 100, idle(100), { fullscreen: { ...game, pid: 31337 } }).reading.state).toBe('idle');
  });

  it('a locked screen is away whatever is fullscreen, and presence by fullscreen runs out', () => {
    const gate = new PresenceGate({ idleThresholdSec: THRESHOLD, maxFullscreenSec: 3600 });
    tick(gate, 0, idle(0), { fullscreen: game });
    expect(tick(gate, 200, locked(200))).toMatchObject({ reading: { state: 'locked' }, quiet: false });
    expect(tick(gate, 3000, idle(3000)).reading.state).toBe('active');
    const expired = tick(gate, 3700, idle(3700));
    expect(expired).toMatchObject({ reading: { state: 'idle' }, presence: null, quiet: false });
    expect(tick(gate, 3800, idle(3800)).reading.state).toBe('idle');
  });

  it('when the fullscreen source stops answering, nothing counts as fullscreen', () => {
    const gate = new PresenceGate({ idleThresholdSec: THRESHOLD });
    tick(gate, 0, idle(0), { fullscreen: game });
    expect(tick(gate, 100, idle(100), { fullscreenUnknown: true })).toMatchObject({
      reading: { state: 'idle' },
      quiet: false,
    });
  });

  it('gamepad input is input: the idle time is the shorter of the two, except on a locked screen', () => {
    const gate = new PresenceGate({ idleThresholdSec: THRESHOLD });
    expect(tick(gate, 0, idle(900), { gamepadIdleSec: 4 })).toMatchObject({
      reading: { state: 'active', idleSec: 4 },
      presence: 'gamepad',
    });
    expect(tick(gate, 10, idle(910), { gamepadIdleSec: 300 }).reading).toMatchObject({ state: 'idle', idleSec: 300 });
    expect(tick(gate, 11, idle(3), { gamepadIdleSec: 300 })).toMatchObject({
      reading: { state: 'active', idleSec: 3 },
      presence: null,
    });
    expect(tick(gate, 20, locked(920), { gamepadIdleSec: 1 }).reading).toMatchObject({ state: 'locked', idleSec: 920 });
  });

  it('a gamepad player who starts a game earns it the trust a keyboard would', () => {
    const gate = new PresenceGate({ idleThresholdSec: THRESHOLD });
    expect(tick(gate, 0, idle(500), { fullscreen: game, gamepadIdleSec: 2 }).quiet).toBe(true);
    expect(tick(gate, 300, idle(800), { gamepadIdleSec: 200 })).toMatchObject({
      reading: { state: 'active' },
      presence: 'fullscreen',
    });
  });
});

/** A source whose answer the test sets; counts its reads. */
class ScriptedFullscreen implements FullscreenSource {
  readonly id = 'fullscreen.test';
  readonly label = 'test fullscreen';
  answer: FullscreenRead | Error = { fullscreen: false, window: null, pid: null, app: null };
  availability: Availability = { ok: true };
  reads = 0;
  async available(): Promise<Availability> {
    return this.availability;
  }
  async read(): Promise<FullscreenRead> {
    this.reads++;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

class ScriptedIdle implements IdleSource {
  readonly id = 'idle.test';
  readonly label = 'test idle';
  idleSec = 0;
  async available(): Promise<Availability> {
    return { ok: true };
  }
  async read() {
    return { idleSec: this.idleSec };
  }
}

describe('presence monitor', () => {
  function setup(gamepad: InputActivitySource | null = null) {
    const src = new ScriptedIdle();
    const fs = new ScriptedFullscreen();
    const mon = new PresenceMonitor({
      idle: new IdleMonitor({ sources: [src], idleThresholdSec: THRESHOLD, maxReuseMs: 0 }),
      fullscreen: fs,
      gamepad,
      idleThresholdSec: THRESHOLD,
      fullscreenEveryMs: 5000,
      reprobeMs: 60_000,
    });
    return { src, fs, mon };
  }

  it('asks the fullscreen source every 5 s, and every tick while it follows a trusted game', async () => {
    const { src, fs, mon } = setup();
    for (let s = 0; s < 10; s++) await mon.read(s * 1000);
    expect(fs.reads).toBe(2);
    fs.answer = game;
    src.idleSec = 1;
    for (let s = 10; s < 20; s++) await mon.read(s * 1000);
    // Seen at 10 s; followed every tick from then on.
    expect(fs.reads).toBe(2 + 10);
    expect(mon.quiet()).toBe(true);
    src.idleSec = 300;
    expect((await mon.read(20_000)).state).toBe('active');
    expect(mon.latest()).toMatchObject({ presence: 'fullscreen', app: 'Steam' });
    fs.answer = windowed;
    expect((await mon.read(21_000)).state).toBe('idle');
    expect(mon.quiet()).toBe(false);
  });

  it('reports each presence source, sets a failing one aside and says why', async () => {
    const gamepad: InputActivitySource = {
      id: 'input.test',
      label: 'test gamepad',
      available: async () => ({ ok: false, reason: 'no gamepad is connected' }),
      read: async () => null,
    };
    const { fs, mon } = setup(gamepad);
    fs.answer = new Error('X connection lost (the X server closed the connection)');
    for (let s = 0; s < 20; s += 5) await mon.read(s * 1000);
    expect(mon.extraStatus()).toEqual([
      {
        id: 'fullscreen.test',
        label: 'test fullscreen',
        health: 'unavailable',
        detail: 'failed 3 reads in a row: X connection lost (the X server closed the connection)',
      },
      { id: 'input.test', label: 'test gamepad', health: 'unavailable', detail: 'no gamepad is connected' },
    ]);
    // Not asked again until the next probe, a minute later.
    const before = fs.reads;
    await mon.read(30_000);
    expect(fs.reads).toBe(before);
    fs.answer = windowed;
    await mon.read(80_000);
    expect(fs.reads).toBe(before + 1);
    expect(mon.extraStatus()[0]).toMatchObject({ health: 'ok' });
    expect((await mon.probeAll()).map((p) => [p.kind, p.availability.ok])).toEqual([
      ['fullscreen', true],
      ['gamepad', false],
    ]);
  });
});
