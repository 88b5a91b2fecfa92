/**
 * Fault tests for the monitor as a whole: the Sampler with the real /proc collectors and the real
 * NvidiaCollector driving a fake nvidia-smi, a fake /proc with 10,000 processes, an unprivileged
 * run against root's processes, and a wall clock that jumps by hours.
 *
 * test/nvidia-collector.test.ts already covers each nvidia-smi failure at the collector; these
 * tests are about what the MONITOR does meanwhile: CPU data stays right and on time, the GPU
 * source says what is wrong, and everything comes back.
 */
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EngineSample, EngineUser, SourceStatus } from '../shared/engine-types.js';
import { NvidiaCollector } from '../main/engine/platform/nvidia/nvidia-collector.js';
import { LinuxProcsCollector, type LinuxProcsOptions } from '../main/engine/platform/linux/linux-procs.js';
import type { ProcsReading, ProcsSampleOptions } from '../main/engine/platform/procs.js';
import { type IdleProvider, Sampler } from '../main/engine/sampler.js';
import { LinuxCpuCollector } from '../main/engine/platform/linux/linux-cpu.js';
import { killAndWait, sleep, spawnBurner, spawnSleeper, waitFor } from './helpers/processes.js';
import { REPO_ROOT } from './captured.js';

const linux = process.platform === 'linux';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

class ScriptedIdle implements IdleProvider {
  user: EngineUser = { state: 'idle', idleSec: 600, source: 'idle.scripted' };
  async read(): Promise<EngineUser> {
    return this.user;
  }
  status(): SourceStatus {
    return { id: 'idle.scripted', label: 'Scripted', health: 'ok', detail: 'test' };
  }
}

/** A temp dir, in memory where the machine has /dev/shm: a fake /proc of 10,000 dirs on a slow disk takes minutes. */
function tempDir(prefix: string, inMemory = false): string {
  const base = inMemory && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function burner(): ChildProcess {
  const child = spawnBurner();
  cleanups.push(() => killAndWait(child));
  return child;
}

/** CPU ticks (utime + stime) a process has used, read straight from /proc. */
function cpuTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/**
 * The real collector, observed: around each pass it reads one process's CPU ticks itself, so the
 * ticks the collector saw for it lie between `before` and `after`. That brackets the ground truth
 * exactly however loaded the machine is (on a busy CI box a burner may get a fraction of a core,
 * and the monitor must report that fraction, not a fixed number).
 */
class ObservedProcs extends LinuxProcsCollector {
  readonly seen = new Map<number, { before: number; after: number }>();
  constructor(
    private readonly watchPid: number,
    opts: LinuxProcsOptions = {},
  ) {
    super(opts);
  }
  override async sample(nowMs: number, opts?: ProcsSampleOptions): Promise<ProcsReading> {
    const before = cpuTicks(this.watchPid);
    const reading = await super.sample(nowMs, opts);
    this.seen.set(nowMs, { before, after: cpuTicks(this.watchPid) });
    return reading;
  }
}

/**
 * Checks that a process's rates over readings at `from.at` .. `to.at` add up to the CPU time it used
 * between the collector's two reads of it, which ObservedProcs brackets.
 */
function expectRatesMatchTicks(
  procs: ObservedProcs,
  points: { at: number; cpu: number }[],
  what: string,
): { reported: number; used: number } {
  const first = procs.seen.get(points[0]?.at ?? Number.NaN);
  const last = procs.seen.get(points[points.length - 1]?.at ?? Number.NaN);
  if (!first || !last) throw new Error(`${what}: no bracket for the first or last reading`);
  const reported = ticksFromRates(points);
  const lo = last.before - first.after;
  const hi = last.after - first.before;
  // Rates are rounded to 0.1 %: a hundredth of a tick per reading at most.
  expect(reported, `${what}: reported ${reported.toFixed(2)} ticks, used ${lo}..${hi}`).toBeGreaterThanOrEqual(
    lo - 0.5,
  );
  expect(reported, `${what}: reported ${reported.toFixed(2)} ticks, used ${lo}..${hi}`).toBeLessThanOrEqual(hi + 0.5);
  return { reported, used: (lo + hi) / 2 };
}

/** CPU ticks a series of readings (percent of a core over each interval between them) adds up to. */
function ticksFromRates(points: { at: number; cpu: number }[]): number {
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1];
    const cur = points[i];
    if (prev && cur) sum += (cur.cpu / 100) * ((cur.at - prev.at) / 1000) * CLK_TCK;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Sampler + real collectors + fake nvidia-smi
// ---------------------------------------------------------------------------------------------

interface FaultySmi {
  env: NodeJS.ProcessEnv;
  setMode(mode: string): void;
}

/**
 * The project's fake nvidia-smi behind test/helpers/faults-nvidia-smi.cjs (which adds `spew` and
 * `cut`), replaying a 4-GPU query and a pmon capture in which `gpuPid` runs at 97 % on GPU 0.
 */
function faultySmi(gpuPid: number, mode = 'replay'): FaultySmi {
  const dir = tempDir('iw-faults-smi-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  copyFileSync(join(REPO_ROOT, 'test', 'helpers', 'faults-nvidia-smi.cjs'), join(bin, 'nvidia-smi'));
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  const pmon = join(dir, 'pmon.txt');
  writeFileSync(
    pmon,
    [
      '# gpu         pid   type     sm    mem    enc    dec    jpg    ofa     fb   ccpm    command ',
      '# Idx           #    C/G      %      %      %      %      %      %     MB     MB    name ',
      `    0  ${String(gpuPid).padStart(9)}     C     97     40      -      -      -      -   2048      0    xmrig          `,
      '    1          -     -      -      -      -      -      -      -      -      -    -              ',
      '    2          -     -      -      -      -      -      -      -      -      -    -              ',
      '    3          -     -      -      -      -      -      -      -      -      -    -              ',
      '',
    ].join('\n'),
  );
  const control = join(dir, 'control');
  writeFileSync(control, mode);
  return {
    env: {
      ...process.env,
      // The fake's `#!/usr/bin/env node` needs node on PATH; nothing else is.
      PATH: [bin, dirname(process.execPath)].join(delimiter),
      FAKE_SMI_CONTROL: control,
      FAKE_SMI_DELEGATE: join(REPO_ROOT, 'test', 'fakes', 'fake-nvidia-smi.cjs'),
      FAKE_SMI_QUERY_GPU: join(REPO_ROOT, 'test', 'fixtures', 'nvidia-smi', 'synthetic-4gpu-query-gpu.csv'),
      FAKE_SMI_PMON: pmon,
      FAKE_SMI_PMON_MS: '100',
    },
    setMode: (m) => writeFileSync(control, m),
  };
}

const INTERVAL_MS = 200;

interface Rig {
  sampler: Sampler;
  samples: EngineSample[];
  procs: ObservedProcs;
  gpu(): SourceStatus;
  busyPid: number;
}

async function rig(fake: (pid: number) => FaultySmi, probeTimeoutMs = 2000): Promise<Rig & { smi: FaultySmi }> {
  const busy = burner();
  const busyPid = busy.pid ?? -1;
  const smi = fake(busyPid);
  const nvidia = new NvidiaCollector({
    env: smi.env,
    intervalMs: 100,
    staleAfterMs: 1200,
    restartBackoffMs: { initial: 100, max: 400 },
    probeTimeoutMs,
  });
  // hotCpu 0: every process is re-read every tick. On a starved machine the burner can get no CPU
  // at all in one 200 ms interval, and a process read at 0 % waits for the next full pass by design
  // (sampler.test.ts covers that); here its rates must add up exactly.
  const procs = new ObservedProcs(busyPid, { hotCpu: 0 });
  const sampler = new Sampler({
    procs,
    cpu: new LinuxCpuCollector(),
    gpus: [nvidia],
    idle: new ScriptedIdle(),
    intervalMs: INTERVAL_MS,
    reprobeMs: 300,
  });
  cleanups.push(() => sampler.stop());
  const samples: EngineSample[] = [];
  sampler.onSample((s) => samples.push(s));
  const gpu = (): SourceStatus => {
    const s = sampler.sources().find((x) => x.id === 'gpu.nvidia');
    if (!s) throw new Error('no gpu.nvidia source');
    return s;
  };
  return { sampler, samples, procs, gpu, busyPid, smi };
}

/**
 * What must hold for every tick, whatever nvidia-smi does: ticks on the interval grid, each far
 * shorter than the interval, system CPU known, and the burner's reported rates adding up to the
 * CPU time it really used over the window.
 */
function expectHealthyTicks(r: Rig, from: number, what: string): void {
  const samples = r.samples.slice(from);
  expect(samples.length, `${what}: samples`).toBeGreaterThanOrEqual(4);
  for (let i = 1; i < samples.length; i++) {
    const gap = (samples[i]?.at ?? 0) - (samples[i - 1]?.at ?? 0);
    // A tick that waited on nvidia-smi (a 1 s probe, a 1.2 s stale limit, a 2.4 s watchdog) would
    // show here; the slack is for a CI machine whose CPUs other work is starving.
    expect(gap, `${what}: gap between ticks`).toBeLessThanOrEqual(4 * INTERVAL_MS);
    expect(gap, `${what}: gap between ticks`).toBeGreaterThan(0);
  }
  // Typically a few ms; never the whole interval, even when other work starves this machine's CPUs.
  const tickMs = samples.map((s) => s.tickMs).sort((a, b) => a - b);
  expect(tickMs[Math.floor(tickMs.length / 2)], `${what}: median tick wall time`).toBeLessThan(INTERVAL_MS / 4);
  expect(tickMs[tickMs.length - 1], `${what}: longest tick`).toBeLessThan(2 * INTERVAL_MS);
  for (const s of samples) {
    expect(s.system.cpu, `${what}: system CPU`).not.toBeNull();
    for (const p of s.procs) expect(Number.isFinite(p.cpu) && p.cpu >= 0, `${what}: cpu of ${p.pid}`).toBe(true);
  }
  const points = samples.map((s) => ({ at: s.at, cpu: s.procs.find((p) => p.pid === r.busyPid)?.cpu ?? 0 }));
  const { used } = expectRatesMatchTicks(r.procs, points, what);
  expect(used, `${what}: the burner ran`).toBeGreaterThan(0);
}

const busyGpu = (r: Rig): number | null | undefined =>
  r.samples[r.samples.length - 1]?.procs.find((p) => p.pid === r.busyPid)?.gpu;

describe.skipIf(!linux)('the sampler while nvidia-smi fails', () => {
  it('keeps CPU data right and on time through hang, garbage, death and a cut line; GPU says why; recovers', async () => {
    const r = await rig((pid) => faultySmi(pid));
    await r.sampler.start();
    await waitFor(() => r.gpu().health === 'ok' && busyGpu(r) === 97, 8000, 'GPU data joined to the burner');
    expect(r.samples[r.samples.length - 1]?.gpus.map((g) => g.util)).toEqual([92, 91, 99, 64]);

    const faults: { mode: string; reason: RegExp; noDeviceData: boolean }[] = [
      // Running loops go quiet; restarted ones hang before printing anything.
      { mode: 'hang', reason: /nvidia-smi printed (no readings for|nothing for)/, noDeviceData: true },
      // Includes a device row whose memory overflows a double: it must not pass for a reading.
      { mode: 'spew', reason: /nvidia-smi printed output Idlewatch could not parse: /, noDeviceData: true },
      { mode: 'die', reason: /nvidia-smi exited with code 9: NVIDIA-SMI has failed/, noDeviceData: true },
      // Half a chunk still holds whole device rows; pmon's half frame is dropped with the dead run.
      { mode: 'cut', reason: /nvidia-smi pmon was killed by SIGKILL/, noDeviceData: false },
    ];
    for (const fault of faults) {
      const from = r.samples.length;
      r.smi.setMode(fault.mode);
      await waitFor(
        () => r.gpu().health === 'degraded' && fault.reason.test(r.gpu().detail),
        6000,
        `${fault.mode}: degraded with its reason (now: ${JSON.stringify(r.gpu())})`,
      );
      // A failing source's old numbers must not pass for current ones.
      await waitFor(() => busyGpu(r) === null, 3000, `${fault.mode}: GPU load of the burner dropped`);
      if (fault.noDeviceData) {
        await waitFor(
          () => r.samples[r.samples.length - 1]?.gpus.every((g) => g.util === null && g.memUsedMiB === null) ?? false,
          3000,
          `${fault.mode}: no device load shown (now: ${JSON.stringify(r.samples[r.samples.length - 1]?.gpus)})`,
        );
      }
      expectHealthyTicks(r, from, fault.mode);

      const healedFrom = r.samples.length;
      r.smi.setMode('replay');
      await waitFor(() => r.gpu().health === 'ok' && busyGpu(r) === 97, 8000, `${fault.mode}: recovery`);
      expectHealthyTicks(r, from, `${fault.mode} and recovery`);
      expect(r.samples.length).toBeGreaterThan(healedFrom);
    }
  }, 60_000);

  it('a hanging nvidia-smi at start: unavailable with the reason, re-probes never delay a tick, picked up later', async () => {
    const r = await rig((pid) => faultySmi(pid, 'hang'), 1000);
    const t0 = Date.now();
    await r.sampler.start();
    // Only start-up waits for the probe, and only for its time limit.
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r.gpu()).toMatchObject({ health: 'unavailable', detail: 'nvidia-smi did not answer within 1000 ms' });
    const from = r.samples.length;
    // Re-probes (300 ms after each failure, each hanging for 1 s) run during these ticks.
    await sleep(2000);
    expectHealthyTicks(r, from, 'while re-probing');
    expect(r.samples.slice(from).every((s) => s.gpus.length === 0)).toBe(true);
    r.smi.setMode('replay');
    await waitFor(() => r.gpu().health === 'ok' && busyGpu(r) === 97, 8000, 'picked up after the hang');
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// A fake /proc
// ---------------------------------------------------------------------------------------------

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

class FakeProc {
  constructor(
    readonly root: string,
    readonly btimeSec: number,
  ) {
    writeFileSync(join(root, 'stat'), `cpu  1 2 3 4 5 6 7 8 0 0\nbtime ${btimeSec}\n`);
    mkdirSync(join(root, 'self'), { recursive: true });
    writeFileSync(join(root, 'self', 'stat'), '1 (self) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0');
  }

  /** Writes /proc/PID/stat (utime = ticks, stime 0) and cmdline; `withCmdline` false to only update ticks. */
  write(pid: number, comm: string, ticks: number, starttime: number, withCmdline = true): void {
    const dir = join(this.root, String(pid));
    if (withCmdline) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cmdline'), `${comm}\0--fake\0`);
    }
    writeFileSync(
      join(dir, 'stat'),
      `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 ${ticks} 0 0 0 20 0 1 0 ${starttime} 1000000 250 18446744073709551615 0 0\n`,
    );
  }

  remove(pid: number): void {
    rmSync(join(this.root, String(pid)), { recursive: true, force: true });
  }

  /** Start time in epoch ms as the collector derives it from btime and the stat start time. */
  startMs(starttime: number): number {
    return Math.round(this.btimeSec * 1000 + (starttime * 1000) / CLK_TCK);
  }
}

describe.skipIf(!linux)('LinuxProcsCollector on a fake /proc with 10,000 processes', () => {
  it('tracks exactly the live processes, and never diffs CPU across a reused pid', async () => {
    const N = 10_000;
    const T = Math.floor(Date.now() / 1000) * 1000;
    const proc = new FakeProc(tempDir('iw-faults-proc-', true), T / 1000 - 86_400); // booted a day ago
    const pids = Array.from({ length: N }, (_, i) => 1000 + i);
    const OLD_START = 10 * CLK_TCK; // 10 s after boot
    for (const pid of pids) proc.write(pid, `old${pid}`, pid % 50, OLD_START);
    const c = new LinuxProcsCollector({ procRoot: proc.root });
    await c.start();
    await c.sample(T); // a reading at a known time, so the next interval is exactly 1 s

    for (const pid of pids) proc.write(pid, `old${pid}`, (pid % 50) + CLK_TCK / 2, OLD_START, false);
    const r1 = await c.sample(T + 1000);
    expect(r1.procs).toHaveLength(N);
    expect(c.trackedCount).toBe(N);
    expect(r1.procs.every((p) => p.cpu === 50)).toBe(true);

    // 3,000 exit before a full pass, 1,000 more before a hot pass: both forget them.
    for (const pid of pids.slice(0, 3000)) proc.remove(pid);
    const r2 = await c.sample(T + 2000);
    expect(r2.procs).toHaveLength(N - 3000);
    expect(c.trackedCount).toBe(N - 3000);
    for (const pid of pids.slice(3000, 4000)) proc.remove(pid);
    const r3 = await c.sample(T + 2500, { full: false });
    expect(r3.procs).toHaveLength(N - 4000);
    expect(c.trackedCount).toBe(N - 4000);

    // Every pid now belongs to a NEW process: started 1,000 s before T, 250 s of CPU so far.
    // Diffing against the old process's counters would give ~25,000 %; its lifetime average is ~25 %.
    const NEW_START = (86_400 - 1000) * CLK_TCK;
    const NEW_TICKS = 250 * CLK_TCK;
    for (const pid of pids) proc.write(pid, `new${pid}`, NEW_TICKS, NEW_START);
    const at = T + 3000;
    const r4 = await c.sample(at);
    const ageSec = (at - proc.startMs(NEW_START)) / 1000;
    const lifetime = Math.round((NEW_TICKS / CLK_TCK / ageSec) * 100 * 10) / 10;
    expect(lifetime).toBeGreaterThan(20);
    expect(lifetime).toBeLessThan(30);
    expect(r4.procs).toHaveLength(N);
    expect(c.trackedCount).toBe(N);
    const wrong = r4.procs.filter(
      (p) => p.name !== `new${p.pid}` || p.cpu !== lifetime || p.startTimeMs !== proc.startMs(NEW_START),
    );
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(r4.procs.find((p) => p.pid === 1234)?.cmdline).toBe('new1234 --fake');

    // And from now on each new process is diffed against its own counters only.
    for (const pid of pids) proc.write(pid, `new${pid}`, NEW_TICKS + CLK_TCK, NEW_START, false);
    const r5 = await c.sample(at + 1000);
    expect(r5.procs.every((p) => p.cpu === 100)).toBe(true);
    expect(c.trackedCount).toBe(N);
    await c.stop();
    expect(c.trackedCount).toBe(0);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Permission denied, for real
// ---------------------------------------------------------------------------------------------

const NOBODY = 65534;

/**
 * As root a fake tree can never produce EACCES, and LinuxProcsCollector takes no injectable fs
 * (only procRoot/passwdPath/hotCpu), so the counting path is checked the real way: the real
 * collector, bundled to plain JS, run as `nobody` against root's processes.
 */
function canDropPrivileges(): boolean {
  if (!linux || process.getuid?.() !== 0) return false;
  return (
    spawnSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'true']).status === 0
  );
}

function asNobody(args: string[]): string {
  return execFileSync(
    'setpriv',
    ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, ...args],
    { encoding: 'utf8', timeout: 20_000, cwd: '/' },
  );
}

describe.skipIf(!canDropPrivileges())('an unprivileged collector against root-owned processes', () => {
  let bundleDir = '';
  afterAll(() => {
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  it('EACCES really happens, and the collector counts exactly those processes and says so', async () => {
    const sleeper = spawnSleeper();
    cleanups.push(() => killAndWait(sleeper));
    const pid = sleeper.pid ?? -1;
    await sleep(150);

    // The kernel refuses another user's exe link (ptrace access check); root reads it.
    const probe = `try { require('fs').readlinkSync('/proc/${pid}/exe'); console.log('READ'); } catch (e) { console.log(e.code); }`;
    expect(asNobody(['-e', probe]).trim()).toBe('EACCES');
    const asRoot = new LinuxProcsCollector();
    const rootView = await asRoot.sample(Date.now());
    await asRoot.stop();
    expect(rootView.procs.find((p) => p.pid === pid)?.exe).toBe(process.execPath);

    bundleDir = mkdtempSync(join(tmpdir(), 'iw-faults-perm-'));
    const { build } = await import('vite');
    const external = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
    await build({
      configFile: false,
      root: REPO_ROOT,
      logLevel: 'silent',
      build: {
        ssr: join(REPO_ROOT, 'test/helpers/faults-procs-as-user-entry.ts'),
        outDir: bundleDir,
        emptyOutDir: false,
        target: 'node20',
        minify: false,
        rollupOptions: { external, output: { format: 'es', entryFileNames: 'procs-as-user.mjs' } },
      },
      ssr: { noExternal: true },
    });
    chmodSync(bundleDir, 0o755);
    chmodSync(join(bundleDir, 'procs-as-user.mjs'), 0o644);

    const out = JSON.parse(asNobody([join(bundleDir, 'procs-as-user.mjs'), String(pid)])) as {
      uid: number;
      unreadable: number;
      independent: number;
      procs: number;
      status: SourceStatus;
      target: { exe: string | null; cmdline: string; user: string | null } | null;
    };
    expect(out.uid).toBe(NOBODY);
    // Still listed with what anyone may read; only the executable is withheld.
    expect(out.target).toMatchObject({ exe: null, user: 'root' });
    expect(out.target?.cmdline).toContain('idlewatch-test-sleeper');
    expect(out.unreadable).toBeGreaterThanOrEqual(1);
    expect(out.unreadable).toBeLessThanOrEqual(out.procs);
    expect(out.unreadable).toBe(out.independent);
    const n = out.unreadable;
    expect(out.status).toMatchObject({
      health: 'ok',
      detail: `${n === 1 ? '1 process' : `${n} processes`} could not be read (permission denied: run as their owner or with privileges to see them)`,
    });
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Clock jumps
// ---------------------------------------------------------------------------------------------

const HOUR = 3_600_000;

describe.skipIf(!linux)('a wall clock that jumps', () => {
  it('LinuxProcsCollector: no negative or NaN rate across clock steps (0.5 s back, hours either way), exact rates between them', async () => {
    const T = Math.floor(Date.now() / 1000) * 1000;
    const proc = new FakeProc(tempDir('iw-faults-clock-'), T / 1000 - 86_400);
    const start = 10 * CLK_TCK;
    proc.write(100, 'steady', 0, start);
    const c = new LinuxProcsCollector({ procRoot: proc.root });
    await c.start();
    await c.sample(T);
    let ticks = 0;
    const read = async (nowMs: number, opts: { full: boolean; watch?: number[] }) => {
      ticks += CLK_TCK; // one second of CPU between readings
      proc.write(100, 'steady', ticks, start, false);
      const r = await c.sample(nowMs, opts);
      for (const p of r.procs) expect(Number.isFinite(p.cpu) && p.cpu >= 0, `cpu ${p.cpu} at ${nowMs}`).toBe(true);
      return { cpu: r.procs.find((p) => p.pid === 100)?.cpu, full: r.full };
    };
    const cpuAt = async (nowMs: number, full = true) => (await read(nowMs, { full, watch: [100] })).cpu;
    expect(await cpuAt(T + 1000)).toBe(100);
    expect(await cpuAt(T + 500)).toBe(0); // a small step back (an NTP correction)
    expect(await cpuAt(T + 1000 - 3 * HOUR)).toBe(0); // stepped back: no rate, not a negative one
    expect(await cpuAt(T + 2000 - 3 * HOUR)).toBe(100); // steady again on the new clock
    expect(await cpuAt(T + 2000 - 3 * HOUR, false)).toBe(0); // no time passed (hot pass)
    expect(await cpuAt(T + 2000 + 5 * HOUR)).toBe(0); // 1 s of CPU over 8 h rounds to 0
    expect(await cpuAt(T + 4000 + 5 * HOUR, false)).toBe(50);
    expect(await cpuAt(Number.NaN)).toBe(0); // a broken clock reading
    expect(await cpuAt(T + 5000 + 5 * HOUR)).toBe(0); // the interval from a NaN reading is unknown
    expect(await cpuAt(T + 6000 + 5 * HOUR)).toBe(100);

    // A suspend (or a step forward): the pass after it measures ~0 for everyone, so the busy
    // process looks quiet. The next pass must re-read it anyway, even when a hot pass is asked
    // for; carried forward at 0 it would stay invisible until the next scheduled full pass.
    expect(await cpuAt(T + 6000 + 9 * HOUR)).toBe(0);
    expect(await read(T + 7000 + 9 * HOUR, { full: false })).toEqual({ cpu: 100, full: true });
    // Same after a step back.
    expect(await cpuAt(T + 6000 + 7 * HOUR)).toBe(0);
    expect(await read(T + 7000 + 7 * HOUR, { full: false })).toEqual({ cpu: 100, full: true });
    // On a steady clock a hot pass stays a hot pass.
    expect(await read(T + 8000 + 7 * HOUR, { full: false })).toEqual({ cpu: 100, full: false });

    // A process that appears while the clock reads hours before its start: age < 0, rate 0.
    proc.write(200, 'newcomer', 5 * CLK_TCK, 86_400 * CLK_TCK);
    const r = await c.sample(T - 2 * HOUR);
    expect(r.procs.find((p) => p.pid === 200)?.cpu).toBe(0);
    await c.stop();
  });

  it('Sampler: no negative CPU and no NaN anywhere while now() steps back and forth; accurate again once steady', async () => {
    const busy = burner();
    const busyPid = busy.pid ?? -1;
    let offset = 0;
    const procs = new ObservedProcs(busyPid);
    const sampler = new Sampler({
      procs,
      cpu: new LinuxCpuCollector(),
      gpus: [],
      idle: new ScriptedIdle(),
      intervalMs: 1000,
      now: () => Date.now() + offset,
    });
    cleanups.push(() => sampler.stop());
    await sampler.init();
    await sleep(250);
    let prev = await sampler.tick();
    let usedSum = 0;
    for (const jump of [-3 * HOUR, 5 * HOUR, -400, -24 * HOUR, 2 * HOUR, -HOUR]) {
      offset += jump;
      for (let i = 0; i < 2; i++) {
        await sleep(250);
        const expectedAt = Date.now() + offset;
        const s = await sampler.tick();
        expect(Math.abs(s.at - expectedAt)).toBeLessThan(200);
        expect(s.system.cpu === null || (s.system.cpu >= 0 && s.system.cpu <= 100)).toBe(true);
        for (const p of s.procs) {
          expect(Number.isFinite(p.cpu) && p.cpu >= 0, `cpu ${p.cpu} of ${p.name}`).toBe(true);
          expect(Number.isFinite(p.startTimeMs), `start of ${p.name}`).toBe(true);
        }
        if (i === 1) {
          // The second tick on the same clock measures a real ~250 ms interval: the burner's rate
          // must add up to the CPU time it used in it (a busy process left at 0 % would not).
          const points = [prev, s].map((x) => ({ at: x.at, cpu: x.procs.find((p) => p.pid === busyPid)?.cpu ?? 0 }));
          if (points[0]) points[0].cpu = 0; // the rate over the step itself is not being judged
          usedSum += expectRatesMatchTicks(procs, points, `after a ${jump} ms step`).used;
        }
        prev = s;
      }
    }
    for (const point of sampler.history.toArray()) {
      expect(point.cpu === null || Number.isFinite(point.cpu)).toBe(true);
      for (const p of point.top) expect(Number.isFinite(p.cpu) && p.cpu >= 0).toBe(true);
    }
    expect(usedSum, 'the burner ran').toBeGreaterThan(10);
  }, 30_000);
});
