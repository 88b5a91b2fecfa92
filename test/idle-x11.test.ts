import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { parseXprintidle, X11IdleSource } from '../main/engine/idle/x11-xprintidle.js';
import { findOnPath, runFile } from '../main/engine/util/exec.js';

const missing = ['Xvfb', 'xprintidle', 'xdotool'].filter((p) => findOnPath(p) === null);
if (missing.length > 0) {
  console.warn(`skipped: X11 idle tests need ${missing.join(', ')} (apt install xvfb xprintidle xdotool)`);
}

const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };

/** Starts Xvfb on a display it picks itself; resolves once the server accepts clients. */
async function startXvfb(): Promise<{ child: ChildProcess; display: string }> {
  // -displayfd: Xvfb takes a free display and writes its number on fd 3 once it listens, so
  // nothing races another X server. -noreset: with no window manager connected the server resets
  // whenever its last client leaves, which would zero the idle counter after every xprintidle run.
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '640x480x24', '-nolisten', 'tcp', '-noreset'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start within 10 s: ${err}`)), 10_000);
    child.stdio[3]?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${err}`));
    });
  });
  for (let i = 0; i < 50; i++) {
    const r = await runFile('xprintidle', [], { timeoutMs: 2000, env: { ...env, DISPLAY: display } });
    if (r.ok) return { child, display };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`Xvfb on ${display} never answered xprintidle`);
}

let pointerX = 10;
async function moveMouse(display: string): Promise<void> {
  // A move to where the pointer already is generates no event, so every call goes somewhere new.
  pointerX = pointerX === 10 ? 200 : 10;
  const r = await runFile('xdotool', ['mousemove', String(pointerX), '100'], {
    timeoutMs: 5000,
    env: { ...env, DISPLAY: display },
  });
  if (!r.ok) throw new Error(r.error);
}

describe.skipIf(missing.length > 0)('X11 idle time from a real X server (Xvfb)', () => {
  let xvfb: { child: ChildProcess; display: string } | undefined;

  beforeAll(async () => {
    xvfb = await startXvfb();
  });

  afterAll(async () => {
    const child = xvfb?.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('is available on the display it is pointed at', async () => {
    const display = xvfb!.display;
    expect(await new X11IdleSource({ display, env }).available()).toEqual({
      ok: true,
      detail: `xprintidle on ${display}`,
    });
  });

  it('idle time grows without input and input resets it', async () => {
    const display = xvfb!.display;
    const src = new X11IdleSource({ display, env });
    await moveMouse(display);
    await sleep(2500);
    const idle = await src.read();
    expect(idle.idleSec).toBeGreaterThanOrEqual(2);
    expect(idle.locked).toBeUndefined();
    await moveMouse(display);
    const back = await src.read();
    expect(back.idleSec).toBeLessThan(1);
  });

  it('IdleMonitor flips active → idle → active at a 2 s threshold', async () => {
    const display = xvfb!.display;
    const monitor = new IdleMonitor({ sources: [new X11IdleSource({ display, env })], idleThresholdSec: 2 });
    await moveMouse(display);
    const t0 = Date.now();
    const first = await monitor.read(t0);
    expect(first).toMatchObject({ state: 'active', source: 'idle.x11' });
    await sleep(2300);
    const away = await monitor.read(Date.now());
    expect(away.state).toBe('idle');
    expect(away.idleSec).toBeGreaterThanOrEqual(2);
    await moveMouse(display);
    const returned = await monitor.read(Date.now());
    expect(returned.state).toBe('active');
    expect(returned.idleSec).toBeLessThan(1);
    expect(monitor.status()).toMatchObject({ id: 'idle.x11', health: 'ok', detail: `xprintidle on ${display}` });
  });
});

describe('X11 idle source reasons', () => {
  it('no DISPLAY', async () => {
    expect(await new X11IdleSource({ env }).available()).toEqual({
      ok: false,
      reason: 'no X display (DISPLAY is not set)',
    });
  });

  it('refuses a Wayland session even with Xwayland on :0', async () => {
    expect(
      await new X11IdleSource({ env: { ...env, DISPLAY: ':0', XDG_SESSION_TYPE: 'wayland' } }).available(),
    ).toEqual({
      ok: false,
      reason: 'Wayland session: X11 idle time only covers X11 apps',
    });
  });

  it('xprintidle missing', async () => {
    expect(await new X11IdleSource({ display: ':0', env: { PATH: '/nonexistent' } }).available()).toEqual({
      ok: false,
      reason: 'xprintidle not installed (apt install xprintidle)',
    });
  });

  it.skipIf(findOnPath('xprintidle') === null)('an X server that is not there', async () => {
    let n = 4999;
    while (existsSync(`/tmp/.X11-unix/X${n}`)) n++;
    const a = await new X11IdleSource({ display: `:${n}`, env }).available();
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.reason).toMatch(new RegExp(`^X server at :${n} did not answer \\(couldn't open display\\)$`));
    await expect(new X11IdleSource({ display: `:${n}`, env }).read()).rejects.toThrow(/did not answer/);
  });

  it('parses xprintidle output', () => {
    expect(parseXprintidle('1429\n')).toBe(1429);
    expect(parseXprintidle('0')).toBe(0);
    expect(parseXprintidle('')).toBeNull();
    expect(parseXprintidle("couldn't open display\n")).toBeNull();
    expect(parseXprintidle('-5')).toBeNull();
  });
});
