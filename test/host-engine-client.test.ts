// The shell↔engine protocol across a real process boundary: EngineClient (the app's side) drives a
// forked Node process running runEngineHost (the engine process's side) around a fake service that
// validates with the real schemas. The child is killed for real; backoff timing uses injected
// timers so the delays are checked exactly without waiting for them.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  type ClientTimers,
  type EngineChild,
  EngineClient,
  type EngineClientOptions,
} from '../main/engine/host/engine-client.js';
import type { HostNotification } from '../main/engine/host/protocol.js';
import type { EngineStatus } from '../shared/ipc.js';
import { bundleForNode, forkEngineChild } from './helpers/host-engine-child.js';

const REPO = resolve(import.meta.dirname, '..');
const src = (p: string) => JSON.stringify(join(REPO, p));

/** The child: the real host code around a fake engine service; FAKE_MODE picks a failure. */
const ENTRY = `
import { reportCrashes, runEngineHost } from ${src('main/engine/host/engine-host.ts')};
import { PushedIdleSource } from ${src('main/engine/idle/pushed-idle.ts')};
import { validateInvoke } from ${src('shared/ipc-schema.ts')};

const port = { postMessage: (m) => process.send(m), on: (_e, fn) => process.on('message', fn) };
const exit = (code) => setImmediate(() => process.exit(code));
reportCrashes(port, exit);
const mode = process.env.FAKE_MODE ?? 'ok';
const pushed = new PushedIdleSource({ platform: 'win32', env: {} });
const status = (extra = {}) => ({ pausedUntil: null, suspended: false, problems: [], error: null,
  dataDir: '/fake', open: { low: 0, medium: 0, high: 0 }, paused: [], ...extra });

class FakeService {
  events = new Set(); notes = new Set(); suspends = 0; resumes = 0; stopped = false;
  onEvent(l) { this.events.add(l); return () => this.events.delete(l); }
  onNotify(l) { this.notes.add(l); return () => this.notes.delete(l); }
  suspend() { this.suspends++; }
  resume() { this.resumes++; }
  async start() { if (mode === 'fail-start') throw new Error('no collectors'); }
  async stop() { this.stopped = true; }
  async invoke(channel, args) {
    const a = validateInvoke(channel, args);
    switch (channel) {
      case 'engine:status': return status();
      case 'engine:setPaused': {
        const s = status({ pausedUntil: a[0] });
        for (const l of this.events) l('engine:status', s);
        for (const l of this.notes) l({ title: 'xmrig may be mining on your computer', body: 'GPU 97% for 40 s while idle',
          severity: 'high', incidentKey: '42@1000', count: 1 });
        return s;
      }
      case 'scan:html': return new Promise(() => {}); // never answers
      case 'scan:removePersistence':
        if (a[0] === 'crash') setTimeout(() => { throw new Error('boom'); }, 0);
        return { ok: true };
      case 'allowlist:export': {
        const idle = await pushed.read().then((r) => r, (e) => e.message);
        return JSON.stringify({ pid: process.pid, suspends: this.suspends, resumes: this.resumes, idle });
      }
      default: return null;
    }
  }
}

void runEngineHost(port, async () => {
  if (mode === 'fail-open') throw new Error('disk on fire');
  return new FakeService();
}, { idle: pushed, exit });
`;

let dir = '';
let entry = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iw-host-'));
  writeFileSync(join(dir, 'entry.ts'), ENTRY);
  await bundleForNode({
    entry: join(dir, 'entry.ts'),
    outDir: join(dir, 'out'),
    fileName: 'entry.mjs',
    bundleDeps: true,
  });
  entry = join(dir, 'out', 'entry.mjs');
}, 60_000);

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Spawned {
  spawn: () => EngineChild;
  count: () => number;
  exits: (number | null)[];
}

function forker(mode = 'ok'): Spawned {
  let count = 0;
  const exits: (number | null)[] = [];
  return {
    count: () => count,
    exits,
    spawn: () => {
      count++;
      const { process: cp, child } = forkEngineChild(entry, { FAKE_MODE: mode });
      children.push(cp);
      cp.on('exit', (code) => exits.push(code));
      return child;
    },
  };
}

/** Timers the test fires by hand; the clock only moves when the test says so. */
class ManualTimers implements ClientTimers {
  clock = 0;
  private seq = 0;
  readonly timers = new Map<number, { fn: () => void; due: number; ms: number }>();
  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.timers.set(id, { fn, due: this.clock + ms, ms });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  now(): number {
    return this.clock;
  }
  /** Moves the clock, firing what falls due. */
  advance(ms: number): void {
    this.clock += ms;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].due - b[1].due)) {
      if (t.due <= this.clock && this.timers.delete(id)) t.fn();
    }
  }
}

function client(spawned: Spawned, opts: Partial<EngineClientOptions> = {}): EngineClient {
  return new EngineClient({ spawn: spawned.spawn, readyTimeoutMs: 20_000, ...opts });
}

async function debug(c: EngineClient): Promise<{ pid: number; suspends: number; resumes: number; idle: unknown }> {
  return JSON.parse(await c.invoke('allowlist:export', []));
}

const waitReady = (c: EngineClient) => vi.waitFor(() => expect(c.isReady).toBe(true), { timeout: 15_000 });

describe('EngineClient ↔ engine host over a real process', () => {
  it('answers invokes, carries validation errors with their name, and forwards events and notifications', async () => {
    const spawned = forker();
    const c = client(spawned);
    const events: [string, unknown][] = [];
    const notes: HostNotification[] = [];
    c.onEvent((channel, payload) => events.push([channel, payload]));
    c.onNotify((n) => notes.push(n));
    c.start();
    // Asked before the engine said ready: held by the host until the service is open.
    const early = c.invoke('engine:status', []);
    expect((await early).dataDir).toBe('/fake');
    await waitReady(c);

    const s = await c.invoke('engine:setPaused', [5000]);
    expect(s.pausedUntil).toBe(5000);
    expect(events).toContainEqual(['engine:status', expect.objectContaining({ pausedUntil: 5000 })]);
    expect(notes).toEqual([
      {
        title: 'xmrig may be mining on your computer',
        body: 'GPU 97% for 40 s while idle',
        severity: 'high',
        incidentKey: '42@1000',
        count: 1,
      },
    ]);

    const bad = c.invoke('process:kill', [{ pid: -1, startTimeMs: 0 }]);
    await expect(bad).rejects.toMatchObject({
      name: 'IpcArgumentError',
      message: expect.stringMatching(/pid is positive/),
    });
    await expect(c.invoke('no:such' as 'engine:status', [])).rejects.toThrow(/unknown channel "no:such"/);
    await c.stop();
    expect(spawned.exits).toEqual([0]);
    expect(c.restarts).toEqual([]);
  });

  it('feeds pushed idle readings and deduplicated power events to the engine process', async () => {
    const c = client(forker());
    c.start();
    await waitReady(c);
    expect((await debug(c)).idle).toMatch(/^no idle reading from the app for \d+ s$/);
    c.sendIdle({ idleSec: 42, state: 'active' });
    expect((await debug(c)).idle).toEqual({ idleSec: 42, locked: false });
    c.sendPower('lock-screen');
    expect((await debug(c)).idle).toEqual({ idleSec: 42, locked: true });
    c.sendPower('unlock-screen');
    c.sendPower('resume'); // no suspend before it: harmless
    c.sendPower('suspend');
    c.sendPower('suspend'); // repeated: one suspend
    let d = await debug(c);
    expect([d.suspends, d.resumes]).toEqual([1, 0]);
    c.sendPower('resume');
    d = await debug(c);
    expect([d.suspends, d.resumes, d.idle]).toEqual([1, 1, { idleSec: 42, locked: false }]);
    await c.stop();
  });

  it('restarts a killed engine with backoff 1 s, 2 s, 4 s, and again from 1 s after 5 min healthy', async () => {
    const t = new ManualTimers();
    const spawned = forker();
    const c = client(spawned, { timers: t });
    const statuses: EngineStatus[] = [];
    c.onEvent((channel, payload) => {
      if (channel === 'engine:status') statuses.push(payload as EngineStatus);
    });
    c.start();
    await waitReady(c);
    c.sendPower('suspend');

    const killAndExpect = async (attempt: number, delayMs: number) => {
      const { pid } = await debug(c);
      const prev = c.restarts.length;
      process.kill(pid, 'SIGKILL');
      await vi.waitFor(() => expect(c.restarts).toHaveLength(prev + 1), { timeout: 10_000 });
      expect(c.isReady).toBe(false);
      const last = c.restarts.at(-1);
      expect(last).toEqual({ attempt, delayMs, reason: 'the engine process was killed' });
      const error = `engine restarting (attempt ${attempt}): the engine process was killed`;
      expect(c.status().error).toBe(error);
      expect(statuses.at(-1)?.error).toBe(error);
      // While it is down: the status is answered with the reason, other requests fail at once.
      expect((await c.invoke('engine:status', [])).error).toBe(error);
      await expect(c.invoke('engine:snapshot', [])).rejects.toThrow(error);
      const before = spawned.count();
      t.advance(delayMs - 1);
      expect(spawned.count()).toBe(before);
      t.advance(1);
      expect(spawned.count()).toBe(before + 1);
      await waitReady(c);
      // The engine's own status replaces the restart message.
      await vi.waitFor(() => expect(statuses.at(-1)?.error).toBeNull());
      expect(c.status().error).toBeNull();
    };

    await killAndExpect(1, 1000);
    // The suspended state was replayed to the new process.
    expect((await debug(c)).suspends).toBe(1);
    await killAndExpect(2, 2000);
    await killAndExpect(3, 4000);
    t.advance(5 * 60_000);
    await killAndExpect(1, 1000);
    await c.stop();
  }, 60_000);

  it('reports why the engine died: a crash, a failure to open', async () => {
    const t = new ManualTimers();
    const c = client(forker(), { timers: t });
    c.start();
    await waitReady(c);
    await c.invoke('scan:removePersistence', ['crash']);
    await vi.waitFor(() => expect(c.restarts).toHaveLength(1), { timeout: 10_000 });
    expect(c.restarts[0]).toEqual({ attempt: 1, delayMs: 1000, reason: 'the engine crashed: boom' });
    await c.stop();

    const t2 = new ManualTimers();
    const failing = client(forker('fail-open'), { timers: t2 });
    failing.start();
    await vi.waitFor(() => expect(failing.restarts).toHaveLength(1), { timeout: 10_000 });
    expect(failing.restarts[0]?.reason).toBe('the engine could not open its data: disk on fire');
    expect(failing.status().error).toBe(
      'engine restarting (attempt 1): the engine could not open its data: disk on fire',
    );
    t2.advance(1000);
    await vi.waitFor(() => expect(failing.restarts).toHaveLength(2), { timeout: 10_000 });
    expect(failing.restarts[1]).toMatchObject({ attempt: 2, delayMs: 2000 });
    await failing.stop();
  }, 30_000);

  it('times out a slow request without blocking others, and restarts an engine that stopped answering', async () => {
    const spawned = forker();
    const c = client(spawned, { invokeTimeoutMs: 400, hungAfterTimeouts: 2, backoffInitialMs: 50 });
    c.start();
    await waitReady(c);
    const slow = c.invoke('scan:html', []);
    // A quick request behind the slow one is answered first.
    expect((await c.invoke('engine:status', [])).error).toBeNull();
    await expect(slow).rejects.toThrow('the engine did not answer scan:html within 400 ms');
    expect(c.isReady).toBe(true); // one timeout is not a hung engine
    await expect(c.invoke('scan:html', [])).rejects.toThrow(/did not answer/);
    await vi.waitFor(() => expect(c.restarts).toHaveLength(1), { timeout: 10_000 });
    expect(c.restarts[0]?.reason).toBe('the engine stopped answering (2 requests timed out)');
    await waitReady(c);
    expect(spawned.count()).toBe(2);
    expect((await c.invoke('engine:status', [])).dataDir).toBe('/fake');
    await c.stop();
  }, 30_000);
});

describe('backoffDelay', () => {
  it('doubles from 1 s and stops at 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((a) => backoffDelay(a))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
});
