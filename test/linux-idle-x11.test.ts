import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { findCookie, parseXauthority, XauFamily } from '../main/engine/platform/linux/idle/xauthority.js';
import { endpointsFor, parseDisplay } from '../main/engine/platform/linux/idle/x11-native.js';
import { parseXprintidle, X11IdleSource } from '../main/engine/platform/linux/idle/x11-xprintidle.js';
import { findOnPath, runFile } from '../main/engine/util/exec.js';
import { Xvfb } from './fakes/idle-xvfb.js';

const missing = ['Xvfb', 'xdotool'].filter((p) => findOnPath(p) === null);
if (missing.length > 0) {
  console.warn(`skipped: X11 idle tests need ${missing.join(', ')} (apt install xvfb xdotool)`);
}
const hasXprintidle = findOnPath('xprintidle') !== null;
if (!hasXprintidle) console.warn('skipped: the xprintidle comparison and fallback tests (apt install xprintidle)');
const hasXauth = findOnPath('xauth') !== null;
if (!hasXauth) console.warn('skipped: X11 cookie tests need xauth to write the cookie file (apt install xauth)');

const dir = mkdtempSync(join(tmpdir(), 'idlewatch-x11-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The source's environment: no program on PATH (a read that works cannot have started
 * xprintidle) and an Xauthority file that does not exist, so "no cookie" is deterministic.
 */
const env: NodeJS.ProcessEnv = { PATH: '/nonexistent', XAUTHORITY: join(dir, 'none') };
/** For the tools the tests themselves run (xdotool, xprintidle, xauth). */
const toolEnv = (display: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  DISPLAY: display,
  ...extra,
});

let pointerX = 10;
async function moveMouse(display: string, extra: NodeJS.ProcessEnv = {}): Promise<void> {
  // A move to where the pointer already is generates no event, so every call goes somewhere new.
  pointerX = pointerX === 10 ? 200 : 10;
  const r = await runFile('xdotool', ['mousemove', String(pointerX), '100'], {
    timeoutMs: 5000,
    env: toolEnv(display, extra),
  });
  if (!r.ok) throw new Error(r.error);
}

async function xauth(file: string, ...args: string[]): Promise<void> {
  const r = await runFile('xauth', ['-f', file, ...args], { timeoutMs: 5000, env: { PATH: process.env.PATH } });
  if (!r.ok) throw new Error(r.error);
}

describe.skipIf(missing.length > 0)('X11 idle time from a real X server (Xvfb)', () => {
  let xvfb: Xvfb;

  beforeAll(async () => {
    xvfb = await Xvfb.start();
  });

  afterAll(async () => {
    await xvfb?.stop();
  });

  it('is available over a native connection, without xprintidle', async () => {
    const src = new X11IdleSource({ display: xvfb.display, env });
    expect(await src.available()).toEqual({
      ok: true,
      detail: `MIT-SCREEN-SAVER on ${xvfb.display} over a native X11 connection`,
    });
    await src.close();
  });

  it('idle time grows without input and input resets it; one connection, no program', async () => {
    const src = new X11IdleSource({ display: xvfb.display, env });
    await moveMouse(xvfb.display);
    await sleep(1200);
    const idle = await src.read();
    expect(idle.idleSec).toBeGreaterThanOrEqual(1.1);
    expect(idle.locked).toBeUndefined();
    await sleep(300);
    expect((await src.read()).idleSec).toBeGreaterThan(idle.idleSec ?? 0);
    await moveMouse(xvfb.display);
    const back = await src.read();
    expect(back.idleSec).toBeLessThan(0.5);
    expect(src.stats).toEqual({ native: 3, xprintidle: 0 });
    await src.close();
  });

  it.skipIf(!hasXprintidle)('agrees with xprintidle within 200 ms', async () => {
    const src = new X11IdleSource({ display: xvfb.display, env });
    await moveMouse(xvfb.display);
    await sleep(700);
    for (let i = 0; i < 3; i++) {
      const before = (await src.read()).idleSec ?? Number.NaN;
      const r = await runFile('xprintidle', [], { timeoutMs: 5000, env: toolEnv(xvfb.display) });
      const after = (await src.read()).idleSec ?? Number.NaN;
      const printed = parseXprintidle(r.stdout);
      expect(printed).not.toBeNull();
      // xprintidle read between the two native reads: its value lies between theirs, give or take 200 ms.
      expect(printed!).toBeGreaterThanOrEqual(before * 1000 - 200);
      expect(printed!).toBeLessThanOrEqual(after * 1000 + 200);
      expect(after - before).toBeLessThan(1);
    }
    await src.close();
  });

  it.skipIf(!hasXprintidle)('the xprintidle path still works when asked for', async () => {
    const src = new X11IdleSource({ display: xvfb.display, env: { PATH: process.env.PATH }, transport: 'xprintidle' });
    expect(await src.available()).toEqual({ ok: true, detail: `xprintidle on ${xvfb.display}` });
    expect((await src.read()).idleSec).toBeGreaterThanOrEqual(0);
    expect(src.stats).toEqual({ native: 0, xprintidle: 2 });
  });

  it('IdleMonitor flips active → idle → active at a 1 s threshold', async () => {
    const display = xvfb.display;
    const monitor = new IdleMonitor({ sources: [new X11IdleSource({ display, env })], idleThresholdSec: 1 });
    await moveMouse(display);
    const first = await monitor.read(Date.now());
    expect(first).toMatchObject({ state: 'active', source: 'idle.x11' });
    await sleep(1200);
    const away = await monitor.read(Date.now());
    expect(away.state).toBe('idle');
    expect(away.idleSec).toBeGreaterThanOrEqual(1);
    await moveMouse(display);
    const returned = await monitor.read(Date.now());
    expect(returned.state).toBe('active');
    expect(returned.idleSec).toBeLessThan(0.5);
    expect(monitor.status()).toMatchObject({
      id: 'idle.x11',
      health: 'ok',
      detail: `MIT-SCREEN-SAVER on ${display} over a native X11 connection`,
    });
    await monitor.stop();
  });

  it('reconnects after the X server restarts, and says why while it is down', async () => {
    const own = await Xvfb.start();
    const src = new X11IdleSource({ display: own.display, env });
    try {
      await moveMouse(own.display);
      await sleep(300);
      expect((await src.read()).idleSec).toBeGreaterThanOrEqual(0.2);
      await own.restart(async () => {
        await expect(src.read()).rejects.toThrow(
          new RegExp(`X server at ${own.display} did not answer|X connection lost`),
        );
      });
      // The failed attempt above set a short backoff (500 ms); reads fail fast until it passes.
      let r: number | null = null;
      for (let i = 0; i < 40 && r === null; i++) {
        r = await src.read().then(
          (x) => x.idleSec,
          () => null,
        );
        if (r === null) await sleep(50);
      }
      // A fresh server: idle since it started, moments ago.
      expect(r).not.toBeNull();
      expect(r!).toBeLessThan(5);
      expect(src.stats.xprintidle).toBe(0);
    } finally {
      await src.close();
      await own.stop();
    }
  });
});

describe.skipIf(missing.length > 0 || !hasXauth)('X11 idle time from an X server that requires a cookie', () => {
  const cookie = '0123456789abcdef0123456789abcdef';
  const serverAuth = join(dir, 'server.auth');
  const clientAuth = join(dir, 'client.auth');
  const wrongAuth = join(dir, 'wrong.auth');
  let xvfb: Xvfb;

  beforeAll(async () => {
    // The server accepts every cookie in its -auth file whatever display the entry names; the
    // display number is only known once it runs, so the client's entry is written afterwards.
    await xauth(serverAuth, 'add', ':9999', '.', cookie);
    xvfb = await Xvfb.start({ authFile: serverAuth });
    await xauth(clientAuth, 'add', xvfb.display, '.', cookie);
    await xauth(wrongAuth, 'add', xvfb.display, '.', 'ffffffffffffffffffffffffffffffff');
  });

  afterAll(async () => {
    await xvfb?.stop();
  });

  it('is refused without a cookie, and says so', async () => {
    const a = await new X11IdleSource({ display: xvfb.display, env }).available();
    expect(a.ok).toBe(false);
    if (!a.ok) {
      expect(a.reason).toMatch(/refused the connection without a cookie: Authorization required/);
    }
  });

  it('accepts the cookie from $XAUTHORITY, as written by xauth', async () => {
    const src = new X11IdleSource({ display: xvfb.display, env: { ...env, XAUTHORITY: clientAuth } });
    expect(await src.available()).toEqual({
      ok: true,
      detail: `MIT-SCREEN-SAVER on ${xvfb.display} over a native X11 connection`,
    });
    await moveMouse(xvfb.display, { XAUTHORITY: clientAuth });
    expect((await src.read()).idleSec).toBeLessThan(1);
    expect(src.stats.xprintidle).toBe(0);
    await src.close();
  });

  it('finds ~/.Xauthority when XAUTHORITY is not set', async () => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    await xauth(join(home, '.Xauthority'), 'add', xvfb.display, '.', cookie);
    const src = new X11IdleSource({ display: xvfb.display, env: { PATH: '/nonexistent', HOME: home } });
    expect((await src.available()).ok).toBe(true);
    await src.close();
  });

  it('a wrong cookie is refused; xprintidle is tried as the fallback and refused too', async () => {
    const src = new X11IdleSource({
      display: xvfb.display,
      env: { PATH: process.env.PATH, XAUTHORITY: wrongAuth },
    });
    const a = await src.available();
    expect(a.ok).toBe(false);
    if (!a.ok) {
      expect(a.reason).toMatch(
        /refused the connection with the MIT-MAGIC-COOKIE-1 from the Xauthority file: Invalid MIT-MAGIC-COOKIE-1 key/,
      );
      if (hasXprintidle) expect(a.reason).toMatch(/; X server at :\d+ did not answer \(/);
    }
    expect(src.stats.xprintidle).toBe(hasXprintidle ? 1 : 0);
  });
});

describe('X11 display names and Xauthority records', () => {
  it('parses DISPLAY as libxcb does', () => {
    expect(parseDisplay(':0')).toEqual({ protocol: '', host: '', number: 0, screen: 0 });
    expect(parseDisplay(':1.2')).toEqual({ protocol: '', host: '', number: 1, screen: 2 });
    expect(parseDisplay('unix:3')).toEqual({ protocol: '', host: 'unix', number: 3, screen: 0 });
    expect(parseDisplay('localhost:10.0')).toEqual({ protocol: '', host: 'localhost', number: 10, screen: 0 });
    expect(parseDisplay('tcp/example.org:2')).toEqual({ protocol: 'tcp', host: 'example.org', number: 2, screen: 0 });
    expect(parseDisplay('[::1]:4')).toEqual({ protocol: '', host: '::1', number: 4, screen: 0 });
    expect(parseDisplay('host::0')).toMatch(/DECnet/);
    expect(parseDisplay('nonsense')).toMatch(/no ":number"/);
    expect(parseDisplay(':x')).toMatch(/no valid display number/);
    expect(parseDisplay('/private/tmp/com.apple.launchd.x/org.xquartz:0')).toMatch(/not a host:number/);
  });

  it('connects to the local socket for :n, over TCP only when DISPLAY names a host', () => {
    const local = parseDisplay(':7');
    if (typeof local === 'string') throw new Error(local);
    expect(endpointsFor(local, true)).toEqual([
      { kind: 'unix', path: '/tmp/.X11-unix/X7' },
      { kind: 'unix', path: '\0/tmp/.X11-unix/X7' },
    ]);
    expect(endpointsFor(local, false)).toEqual([{ kind: 'unix', path: '/tmp/.X11-unix/X7' }]);
    const remote = parseDisplay('localhost:10.0');
    if (typeof remote === 'string') throw new Error(remote);
    expect(endpointsFor(remote)).toEqual([{ kind: 'tcp', host: 'localhost', port: 6010 }]);
  });

  /** One Xauthority record in the file format: five big-endian u16-length-prefixed fields. */
  function record(family: number, address: string | Buffer, number: string, name: string, data: Buffer): Buffer {
    const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    return Buffer.concat([
      Buffer.from([family >> 8, family & 0xff]),
      field(typeof address === 'string' ? Buffer.from(address) : address),
      field(Buffer.from(number)),
      field(Buffer.from(name)),
      field(data),
    ]);
  }

  it('picks the MIT-MAGIC-COOKIE-1 for this host and display, or a wildcard entry', () => {
    const a = Buffer.alloc(16, 0xaa);
    const b = Buffer.alloc(16, 0xbb);
    const w = Buffer.alloc(16, 0xcc);
    const file = Buffer.concat([
      record(XauFamily.Local, 'otherhost', '0', 'MIT-MAGIC-COOKIE-1', a),
      record(XauFamily.Local, hostname(), '1', 'XDM-AUTHORIZATION-1', a),
      record(XauFamily.Local, hostname(), '1', 'MIT-MAGIC-COOKIE-1', b),
      record(XauFamily.Wild, '', '', 'MIT-MAGIC-COOKIE-1', w),
      Buffer.from([1, 0, 0]), // a truncated tail, as while xauth rewrites the file
    ]);
    const records = parseXauthority(file);
    expect(records).toHaveLength(4);
    const local = (n: number) => ({ family: XauFamily.Local, address: Buffer.from(hostname()), displayNumber: n });
    expect(findCookie(records, local(1))).toEqual(b);
    expect(findCookie(records, local(0))).toEqual(w);
    expect(findCookie(records.slice(0, 3), local(0))).toBeNull();
    // A remote TCP display is named by its IPv4 address bytes.
    const ip = Buffer.from([10, 0, 0, 2]);
    const remote = parseXauthority(record(XauFamily.Internet, ip, '0', 'MIT-MAGIC-COOKIE-1', a));
    expect(findCookie(remote, { family: XauFamily.Internet, address: ip, displayNumber: 0 })).toEqual(a);
    expect(findCookie(remote, local(0))).toBeNull();
  });

  it.skipIf(!hasXauth)('reads what xauth writes', async () => {
    const file = join(dir, 'xauth-written');
    await xauth(file, 'add', ':42', '.', '00112233445566778899aabbccddeeff');
    const records = parseXauthority(readFileSync(file));
    expect(records).toEqual([
      {
        family: XauFamily.Local,
        address: Buffer.from(hostname()),
        number: '42',
        name: 'MIT-MAGIC-COOKIE-1',
        data: Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
      },
    ]);
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

  it('xprintidle missing when it is the path asked for', async () => {
    expect(await new X11IdleSource({ display: ':0', env, transport: 'xprintidle' }).available()).toEqual({
      ok: false,
      reason: 'xprintidle not installed (apt install xprintidle)',
    });
  });

  it('an X server that is not there: the socket is named, and no xprintidle is started to confirm it', async () => {
    let n = 4999;
    while (existsSync(`/tmp/.X11-unix/X${n}`)) n++;
    const src = new X11IdleSource({ display: `:${n}`, env: { ...env, PATH: process.env.PATH } });
    const a = await src.available();
    expect(a).toEqual({
      ok: false,
      reason: `X server at :${n} did not answer (cannot connect to /tmp/.X11-unix/X${n}: no such socket)`,
    });
    await expect(src.read()).rejects.toThrow(/did not answer/);
    expect(src.stats.xprintidle).toBe(0);
  });

  it('parses xprintidle output', () => {
    expect(parseXprintidle('1429\n')).toBe(1429);
    expect(parseXprintidle('0')).toBe(0);
    expect(parseXprintidle('')).toBeNull();
    expect(parseXprintidle("couldn't open display\n")).toBeNull();
    expect(parseXprintidle('-5')).toBeNull();
  });
});
