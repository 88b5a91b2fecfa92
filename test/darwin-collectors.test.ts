import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { CpuInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DarwinCpuCollector } from '../main/engine/platform/darwin/darwin-cpu.js';
import { DarwinGpuCollector, NOT_ROOT_NOTE } from '../main/engine/platform/darwin/darwin-gpu.js';
import { IoregIdleSource } from '../main/engine/platform/darwin/darwin-idle.js';
import { DarwinProcsCollector } from '../main/engine/platform/darwin/darwin-procs.js';
import { createDarwinCollectors } from '../main/engine/platform/darwin/index.js';
import { IOREG_ACCELERATOR_ARGS, IOREG_HID_IDLE_ARGS } from '../main/engine/platform/darwin/ioreg-gpu.js';
import { powermetricsArgs } from '../main/engine/platform/darwin/powermetrics-parse.js';
import { captured, REPO_ROOT } from './captured.js';

// The collectors against a fake ps / ioreg / powermetrics (test/fixtures/darwin/fakes/
// fake-darwin-tool.cjs) copied into a temp dir: real child processes, real parsing, real
// timeouts, restarts and degraded states, on Linux.

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'darwin');
const FAKE = join(FIXTURES, 'fakes', 'fake-darwin-tool.cjs');

let dir = '';
let bin = '';
let env: NodeJS.ProcessEnv = {};
const path = (tool: string): string => join(bin, tool);
const stopList: Array<{ stop(): Promise<void> }> = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iw-darwin-'));
  bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['ps', 'ioreg', 'powermetrics']) {
    copyFileSync(FAKE, path(tool));
    chmodSync(path(tool), 0o755);
  }
  env = {
    // The fake's `#!/usr/bin/env node` needs node on PATH; nothing else is.
    PATH: [bin, dirname(process.execPath)].join(delimiter),
    LC_ALL: 'de_DE.UTF-8',
    FAKE_DARWIN_CONTROL: join(dir, 'control'),
    FAKE_DARWIN_LOG: join(dir, 'log'),
    FAKE_PS_TABLE: join(dir, 'ps.json'),
    FAKE_IOREG_ACCEL: join(FIXTURES, 'ioreg-IOAccelerator-intel-amd.txt'),
    FAKE_IOREG_HID: join(FIXTURES, 'ioreg-IOHIDSystem-HIDIdleTime.txt'),
    FAKE_PM_FILE: join(FIXTURES, 'powermetrics-tasks-gpu_power-show-process-gpu.txt'),
    FAKE_PM_MS: '150',
  };
});

afterEach(async () => {
  await Promise.all(stopList.splice(0).map((c) => c.stop()));
  setMode('replay');
  writeFileSync(env.FAKE_DARWIN_LOG as string, '');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setMode(mode: string): void {
  writeFileSync(env.FAKE_DARWIN_CONTROL as string, mode);
}

interface LogLine {
  tool: string;
  args: string[];
  lcAll: string | null;
}

function runs(tool?: string): LogLine[] {
  let text = '';
  try {
    text = readFileSync(env.FAKE_DARWIN_LOG as string, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => !tool || l.tool === tool);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** ps's `lstart` in the C locale, local time. */
function lstart(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`;
}

interface FakeProc {
  pid: number;
  ppid: number;
  rss: number;
  cpuSec: number;
  start: string;
  ucomm: string;
  user: string;
  comm: string;
  args: string;
}

const BOOT = new Date(2024, 3, 27, 9, 51, 32).getTime();

function proc(pid: number, cpuSec: number, over: Partial<FakeProc> = {}): FakeProc {
  return {
    pid,
    ppid: 1,
    rss: 1000 + pid,
    cpuSec,
    start: lstart(BOOT),
    ucomm: `proc${pid}`,
    user: 'alice',
    comm: `/usr/local/bin/proc${pid}`,
    args: `/usr/local/bin/proc${pid} --flag`,
    ...over,
  };
}

function setTable(procs: FakeProc[]): void {
  writeFileSync(env.FAKE_PS_TABLE as string, JSON.stringify(procs));
}

async function until<T>(fn: () => T | undefined | null | false, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('DarwinProcsCollector (fake ps)', () => {
  const KERNEL = proc(0, 291.63, {
    ppid: 0,
    ucomm: 'kernel_task',
    user: 'root',
    comm: '(kernel_task)',
    args: '(kernel_task)',
  });
  const XMRIG = proc(4242, 100, {
    ucomm: 'xmrig',
    comm: '/Users/Shared/.cache/xmrig',
    args: '/Users/Shared/.cache/xmrig -o pool.hashvault.pro:443',
    start: lstart(BOOT + 3600_000),
  });
  const CHROME = proc(777, 10, {
    ucomm: 'Google Chrome He',
    comm: '/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Helper',
    args: '/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Helper --type=gpu-process',
  });

  function collector(clock: { t: number }, timeoutMs = 3000): DarwinProcsCollector {
    const c = new DarwinProcsCollector({ psPath: path('ps'), env, timeoutMs, now: () => clock.t });
    stopList.push(c);
    return c;
  }

  it('reads identity once per process, CPU from cumulative time, in the C locale, with fixed arguments', async () => {
    setTable([KERNEL, XMRIG, CHROME]);
    const clock = { t: 1_000_000 };
    const c = collector(clock);
    await c.start();
    setTable([KERNEL, { ...XMRIG, cpuSec: 100.9 }, { ...CHROME, cpuSec: 10.05 }]);
    clock.t += 1000;
    const r = await c.sample(clock.t);
    expect(r.full).toBe(true);
    expect(r.unreadable).toBe(1); // kernel_task: ps printed "(kernel_task)"
    const x = r.procs.find((p) => p.pid === 4242);
    expect(x).toEqual({
      pid: 4242,
      ppid: 1,
      name: 'xmrig',
      exe: '/Users/Shared/.cache/xmrig',
      cmdline: '/Users/Shared/.cache/xmrig -o pool.hashvault.pro:443',
      user: 'alice',
      startTimeMs: BOOT + 3600_000,
      cpu: 90,
      rssKiB: 5242,
    });
    const chrome = r.procs.find((p) => p.pid === 777);
    expect(chrome?.exe).toBe('/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Helper');
    expect(chrome?.name).toBe('Google Chrome Helper');
    expect(chrome?.cpu).toBe(5);
    expect(r.procs.find((p) => p.pid === 0)).toMatchObject({ name: 'kernel_task', exe: null, user: 'root' });
    expect(c.status().health).toBe('ok');
    expect(c.status().detail).toMatch(/1 process could not be fully read/);

    const log = runs('ps');
    expect(log.every((l) => l.lcAll === 'C')).toBe(true);
    const tick = ['-A', '-o', 'pid=,ppid=,rss=,time=,lstart=,ucomm='];
    expect(log.map((l) => l.args)).toHaveLength(4);
    expect(log[0]?.args).toEqual(tick);
    expect(log[3]?.args).toEqual(tick);
    // The two identity runs go in parallel: either order.
    expect([log[1]?.args, log[2]?.args].sort()).toEqual([
      ['-ww', '-o', 'pid=,args=', '-p', '0,4242,777'],
      ['-ww', '-o', 'pid=,user=,comm=', '-p', '0,4242,777'],
    ]);
  });

  it('follows processes appearing, vanishing, reusing a pid, exec-ing, and a clock that goes back', async () => {
    setTable([XMRIG]);
    const clock = { t: Date.now() };
    const c = collector(clock);
    await c.start();

    // A new process: identity for it alone; its CPU time all falls in this interval.
    const born = clock.t - 500;
    const young = proc(5151, 0.5, { ucomm: 'helper', start: lstart(born) });
    setTable([{ ...XMRIG, cpuSec: 101 }, young]);
    clock.t += 1000;
    let r = await c.sample(clock.t);
    expect(
      runs('ps')
        .slice(-2)
        .map((l) => l.args.at(-1)),
    ).toEqual(['5151', '5151']);
    const y = r.procs.find((p) => p.pid === 5151);
    expect(y?.cpu).toBeGreaterThan(0);
    expect(y?.cpu).toBeLessThanOrEqual(50); // 0.5 s over at least the 1 s interval: never inflated
    expect(r.procs.find((p) => p.pid === 4242)?.cpu).toBe(100);

    // xmrig exits and its pid is reused by another program: no delta across the two.
    const reused = proc(4242, 0.2, { ucomm: 'other', start: lstart(clock.t - 300), comm: '/bin/other', args: 'other' });
    setTable([reused, { ...young, cpuSec: 0.6 }]);
    clock.t += 1000;
    r = await c.sample(clock.t);
    expect(r.procs.find((p) => p.pid === 4242)).toMatchObject({ exe: '/bin/other', name: 'other' });
    expect(r.procs.find((p) => p.pid === 4242)?.cpu).toBeLessThanOrEqual(20);
    expect(r.procs.find((p) => p.pid === 5151)?.cpu).toBe(10);

    // The same process execs another program: identity re-read, same start time.
    setTable([
      { ...reused, ucomm: 'xmrig', comm: '/tmp/xmrig', args: '/tmp/xmrig -B', cpuSec: 0.3 },
      { ...young, cpuSec: 0.6 },
    ]);
    clock.t += 1000;
    r = await c.sample(clock.t);
    expect(r.procs.find((p) => p.pid === 4242)).toMatchObject({ exe: '/tmp/xmrig', cmdline: '/tmp/xmrig -B', cpu: 10 });

    // Cumulative time going backwards gives 0, never a negative rate; vanished processes are forgotten.
    setTable([{ ...reused, ucomm: 'xmrig', comm: '/tmp/xmrig', args: '/tmp/xmrig -B', cpuSec: 0.1 }]);
    clock.t += 1000;
    r = await c.sample(clock.t);
    expect(r.procs.map((p) => [p.pid, p.cpu])).toEqual([[4242, 0]]);
    expect(c.trackedCount).toBe(1);

    // A clock step backwards: no rate at all.
    setTable([{ ...reused, ucomm: 'xmrig', comm: '/tmp/xmrig', args: '/tmp/xmrig -B', cpuSec: 5 }]);
    clock.t -= 10_000;
    r = await c.sample(clock.t);
    expect(r.procs[0]?.cpu).toBe(0);
  });

  it('asks for identities with one -A listing when many processes are new', async () => {
    setTable(Array.from({ length: 70 }, (_, i) => proc(100 + i, 1)));
    const c = new DarwinProcsCollector({ psPath: path('ps'), env, batchMax: 64 });
    stopList.push(c);
    const r = await c.sample(Date.now());
    expect(r.procs).toHaveLength(70);
    expect(r.procs.every((p) => p.exe?.startsWith('/usr/local/bin/proc'))).toBe(true);
    expect(runs('ps').map((l) => l.args)).toContainEqual(['-ww', '-A', '-o', 'pid=,user=,comm=']);
  });

  it('degrades on a hung, failing or garbage-printing ps, and recovers with a fresh baseline', async () => {
    setTable([XMRIG]);
    const clock = { t: 5_000_000 };
    const c = collector(clock, 400);
    await c.start();

    setMode('hang');
    clock.t += 1000;
    let r = await c.sample(clock.t);
    expect(r).toEqual({ procs: [], unreadable: 0, full: true });
    expect(c.status()).toMatchObject({
      health: 'degraded',
      detail: expect.stringMatching(/did not answer within 400 ms/),
    });

    setMode('fail');
    clock.t += 1000;
    await c.sample(clock.t);
    expect(c.status().detail).toMatch(/cannot list processes: .*exited with code 1: ps: simulated failure/);

    setMode('garbage');
    clock.t += 1000;
    await c.sample(clock.t);
    expect(c.status().detail).toMatch(/ps printed no process rows: ".*not what you asked for"/);

    setMode('replay');
    setTable([{ ...XMRIG, cpuSec: 200 }]);
    clock.t += 1000;
    r = await c.sample(clock.t);
    expect(c.status().health).toBe('ok');
    // 100 s of CPU time accrued across the outage must not show up as one tick's burst.
    expect(r.procs.map((p) => [p.pid, p.cpu])).toEqual([[4242, 0]]);
  });

  it('is unavailable when ps cannot run', async () => {
    const c = new DarwinProcsCollector({ psPath: join(dir, 'no-such-ps'), env });
    expect(await c.available()).toEqual({ ok: false, reason: expect.stringMatching(/no-such-ps not found/) });
    setTable([XMRIG]);
    const ok = new DarwinProcsCollector({ psPath: path('ps'), env });
    // The fake's table has no row for our own pid; -p of a missing pid exits 1, like BSD ps.
    expect((await ok.available()).ok).toBe(false);
    setTable([{ ...XMRIG, pid: process.pid }]);
    expect(await ok.available()).toMatchObject({ ok: true });
  });
});

const ONE_APPLE_GPU = [
  '+-o AGXAcceleratorG13X  <class AGXAcceleratorG13X, id 0x10000087c, registered, matched, active, busy 0 (17 ms), retain 24>',
  '    {',
  '      "vendor-id" = <6b100000>',
  '      "IONameMatched" = "gpu,t6000"',
  '      "PerformanceStatistics" = {"Alloc system memory"=1214005248,"Tiler Utilization %"=97,"Renderer Utilization %"=97,"Device Utilization %"=98,"In use system memory"=340983808}',
  '    }',
  '',
].join('\n');

describe('DarwinGpuCollector (fake ioreg and powermetrics)', () => {
  function gpu(opts: Partial<ConstructorParameters<typeof DarwinGpuCollector>[0]> = {}, e = env): DarwinGpuCollector {
    const c = new DarwinGpuCollector({
      ioregPath: path('ioreg'),
      powermetricsPath: path('powermetrics'),
      env: e,
      isRoot: false,
      intervalMs: 200,
      restartBackoffMs: { initial: 100, max: 400 },
      ...opts,
    });
    stopList.push(c);
    return c;
  }

  it('as a user: device use from ioreg, no powermetrics, and a plain sentence why', async () => {
    const c = gpu();
    expect(await c.available()).toEqual({
      ok: true,
      detail: `IntelAccelerator, AMD Radeon Pro 5500M; ${NOT_ROOT_NOTE}`,
    });
    await c.start();
    const r = await c.sample(Date.now());
    expect(r.procs).toEqual([]);
    expect(r.devices.map((d) => [d.id, d.vendor, d.util, d.memoryMiB, d.memUsedMiB])).toEqual([
      ['ioreg:0x100000520', 'intel', 4, null, 0],
      ['ioreg:0x100000a3b', 'amd', 87, 4096, 1536],
    ]);
    expect(c.status()).toEqual({
      id: 'gpu.darwin',
      label: 'GPUs (ioreg, powermetrics)',
      health: 'ok',
      detail: `2 GPUs: IntelAccelerator, AMD Radeon Pro 5500M (ioreg every 3 s); ${NOT_ROOT_NOTE}`,
    });
    expect(runs('powermetrics')).toEqual([]);
    expect(runs('ioreg').map((l) => l.args)).toEqual([[...IOREG_ACCELERATOR_ARGS], [...IOREG_ACCELERATOR_ARGS]]);
  });

  it('reads the real M1 Pro capture through the child: Device Utilization % = 2', async () => {
    const c = gpu(
      {},
      {
        ...env,
        FAKE_IOREG_ACCEL: captured('macos', 'exelban-stats-issue1094-M1Pro-ioreg-IOAccelerator-firstpart.txt'),
      },
    );
    await c.start();
    const r = await c.sample(Date.now());
    expect(r.devices).toEqual([
      {
        id: 'ioreg:0x10000087c',
        vendor: 'apple',
        name: 'Apple GPU (t6000)',
        memoryMiB: null,
        util: 2,
        memUsedMiB: 325,
      },
    ]);
  });

  it('runs ioreg at its own slower cadence, never more than one at a time', async () => {
    const clock = { t: 1_000_000 };
    const c = gpu({ deviceRefreshMs: 2000, now: () => clock.t });
    await c.start();
    expect(c.stats.ioregRuns).toBe(1);
    for (let i = 0; i < 19; i++) {
      clock.t += 100;
      await c.sample(clock.t);
    }
    expect(c.stats.ioregRuns).toBe(1);
    clock.t += 100;
    await c.sample(clock.t);
    await c.sample(clock.t);
    expect(c.stats.ioregRuns).toBe(2);
    await c.settle();
    // Stale device data is not passed on as current.
    setMode('fail');
    clock.t += 2000;
    await c.sample(clock.t);
    await c.settle();
    clock.t += 20_000;
    const r = await c.sample(clock.t);
    await c.settle();
    expect(r.devices.map((d) => d.util)).toEqual([null, null]);
    expect(c.status()).toMatchObject({
      health: 'degraded',
      detail: expect.stringMatching(/^device GPU use unavailable: .*ioreg: simulated failure/),
    });
  });

  it('degrades clearly when ioreg hangs or prints garbage', async () => {
    setMode('hang');
    const hung = gpu({ timeoutMs: 300 });
    expect(await hung.available()).toEqual({
      ok: false,
      reason: expect.stringMatching(/ioreg did not answer within 300 ms/),
    });
    await hung.start();
    expect(hung.status()).toMatchObject({ health: 'degraded' });
    setMode('garbage');
    const junk = gpu();
    expect(await junk.available()).toEqual({ ok: false, reason: expect.stringMatching(/unexpected format/) });
  });

  it('as root: per-process GPU from one long-lived powermetrics, following tasks that come and go', async () => {
    const accel = join(dir, 'one-gpu.txt');
    writeFileSync(accel, ONE_APPLE_GPU);
    const c = gpu({ isRoot: true }, { ...env, FAKE_IOREG_ACCEL: accel });
    await c.start();
    const a = await untilAsync(async () => {
      const r = await c.sample(Date.now());
      return r.procs.some((p) => p.pid === 4242) ? r : null;
    });
    expect(a.procs).toEqual([
      { pid: 370, gpuId: 'ioreg:0x10000087c', util: 3.8, memMiB: null, name: 'WindowServer' },
      { pid: 4242, gpuId: 'ioreg:0x10000087c', util: 91.3, memMiB: null, name: 'xmrig' },
      { pid: 61234, gpuId: 'ioreg:0x10000087c', util: 0.4, memMiB: null, name: 'com.apple.WebKit.WebContent.Helper.X' },
    ]);
    const b = await untilAsync(async () => {
      const r = await c.sample(Date.now());
      return r.procs.some((p) => p.pid === 5151) ? r : null;
    });
    expect(b.procs.map((p) => [p.pid, p.util, p.name])).toEqual([
      [370, 3.5, 'WindowServer'],
      [5151, 45, 'miner helper 2'],
    ]);
    expect(c.status()).toMatchObject({
      health: 'ok',
      detail: expect.stringMatching(/per-process GPU from powermetrics/),
    });
    const pm = runs('powermetrics');
    expect(pm).toHaveLength(1); // one long-lived child, not one per sample
    expect(pm[0]?.args).toEqual(powermetricsArgs(200));
  });

  it('as root: stops retrying when powermetrics refuses a non-superuser', async () => {
    setMode('notroot');
    const c = gpu({ isRoot: true });
    await c.start();
    await until(() => c.status().detail.includes('must be invoked as the superuser'));
    await new Promise((r) => setTimeout(r, 600));
    expect(runs('powermetrics')).toHaveLength(1);
    expect(c.status()).toMatchObject({
      health: 'ok',
      detail: expect.stringMatching(/per-process GPU unavailable: powermetrics must be invoked as the superuser/),
    });
  });

  it('as root: a silent powermetrics is reported, killed and restarted; garbage and crashes are reported', async () => {
    setMode('hang');
    const c = gpu({ isRoot: true });
    await c.start();
    await until(() => c.status().health === 'degraded');
    expect(c.status().detail).toMatch(/per-process GPU: no sample yet/);
    // The watchdog replaces a child that prints nothing.
    await until(() => runs('powermetrics').length >= 2, 12_000);
    setMode('replay');
    await untilAsync(async () => ((await c.sample(Date.now())).procs.length > 0 ? true : null));
    await until(() => c.status().health === 'ok');

    setMode('garbage');
    await until(() => c.status().health === 'degraded');
    expect(c.status().detail).toMatch(/powermetrics printed ".*garbage from a confused tool"/);

    setMode('die');
    await until(() => /exited with code 3/.test(c.status().detail));
    expect(c.status().health).toBe('degraded');
  }, 30_000);
});

async function untilAsync<T>(fn: () => Promise<T | null>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('IoregIdleSource (fake ioreg)', () => {
  it('reads HIDIdleTime, at most one ioreg per 2 s, aging the cached value in between', async () => {
    const clock = { t: 1_000_000 };
    const s = new IoregIdleSource({ ioregPath: path('ioreg'), env, now: () => clock.t });
    expect(await s.available()).toEqual({
      ok: true,
      detail: expect.stringMatching(/HIDIdleTime via .*ioreg \(idle 74 s\)/),
    });
    clock.t += 1000;
    expect((await s.read()).idleSec).toBeCloseTo(74.512345678, 6);
    expect(s.stats).toEqual({ runs: 1, cached: 1 });
    clock.t += 1000;
    const r = await s.read();
    expect(r).toEqual({ idleSec: expect.closeTo(73.512345678, 6) });
    expect(r.locked).toBeUndefined();
    expect(s.stats.runs).toBe(2);
    expect(runs('ioreg').map((l) => l.args)).toEqual([[...IOREG_HID_IDLE_ARGS], [...IOREG_HID_IDLE_ARGS]]);
  });

  it('throws a reason the idle monitor can show when ioreg fails, hangs or prints no idle time', async () => {
    const s = new IoregIdleSource({ ioregPath: path('ioreg'), env, timeoutMs: 300, minIntervalMs: 0 });
    setMode('fail');
    await expect(s.read()).rejects.toThrow(/cannot read HIDIdleTime: .*simulated failure/);
    setMode('hang');
    await expect(s.read()).rejects.toThrow(/did not answer within 300 ms/);
    setMode('garbage');
    await expect(s.read()).rejects.toThrow(/ioreg printed no HIDIdleTime/);
    expect(await s.available()).toEqual({ ok: false, reason: expect.stringMatching(/no HIDIdleTime/) });
  });
});

describe('DarwinCpuCollector', () => {
  const core = (user: number, sys: number, idle: number): CpuInfo => ({
    model: 'Apple M1',
    speed: 3200,
    times: { user, nice: 0, sys, idle, irq: 0 },
  });

  it('turns per-core tick counters into whole-machine percent, refusing nonsense deltas', async () => {
    const frames: CpuInfo[][] = [
      [core(100, 100, 800), core(0, 0, 1000)],
      [core(400, 200, 1400), core(100, 0, 1900)], // busy +500 of +2000
      [core(400, 200, 1400), core(100, 0, 1900)], // no time passed
      [core(1, 1, 1), core(1, 1, 1)], // counters reset
      [core(1, 1, 1)], // a core went away
    ];
    let i = 0;
    const c = new DarwinCpuCollector({ cpuTimes: () => frames[Math.min(i++, frames.length - 1)] ?? [] });
    await c.start();
    expect(await c.sample()).toEqual({ cpu: 25, cores: 2 });
    expect(await c.sample()).toEqual({ cpu: null, cores: 2 });
    expect(await c.sample()).toEqual({ cpu: null, cores: 2 });
    expect(await c.sample()).toEqual({ cpu: null, cores: 1 });
    expect(c.status().health).toBe('ok');
    const broken = new DarwinCpuCollector({
      cpuTimes: () => {
        throw new Error('host_processor_info failed');
      },
    });
    expect(await broken.sample()).toEqual({ cpu: null, cores: 1 });
    expect(broken.status()).toMatchObject({ health: 'degraded', detail: expect.stringMatching(/host_processor_info/) });
  });
});

describe('createDarwinCollectors', () => {
  it('builds the four parts, and by default runs the system tools by fixed path, never from PATH', async () => {
    const d = createDarwinCollectors({ env, isRoot: false });
    expect([d.procs.id, d.cpu.id, d.gpus.map((g) => g.id), d.idleSources.map((s) => s.id)]).toEqual([
      'procs.darwin',
      'cpu.darwin',
      ['gpu.darwin'],
      ['idle.darwin-ioreg'],
    ]);
    // A fake ioreg is first on PATH, yet the default source asks /usr/sbin/ioreg (absent on Linux).
    const idle = await d.idleSources[0]?.available();
    expect(idle).toEqual({ ok: false, reason: expect.stringMatching(/\/usr\/sbin\/ioreg not found/) });
    expect(runs('ioreg')).toEqual([]);

    const faked = createDarwinCollectors({
      env,
      isRoot: false,
      paths: { ps: path('ps'), ioreg: path('ioreg'), powermetrics: path('powermetrics') },
    });
    expect((await faked.idleSources[0]?.available())?.ok).toBe(true);
    expect((await faked.gpus[0]?.available())?.ok).toBe(true);
  });
});
