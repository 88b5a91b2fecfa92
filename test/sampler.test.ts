import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineUser, SourceStatus } from '../shared/engine-types.js';
import type { Availability, Collector } from '../main/engine/platform/collector.js';
import type { GpuReading } from '../main/engine/platform/gpu.js';
import { compact } from '../main/engine/history.js';
import { LinuxProcsCollector } from '../main/engine/platform/linux/linux-procs.js';
import type { ProcsCollector, ProcsReading, ProcsSampleOptions } from '../main/engine/platform/procs.js';
import { combine, type IdleProvider, Sampler } from '../main/engine/sampler.js';
import type { CpuReading } from '../main/engine/platform/cpu.js';
import { LinuxCpuCollector } from '../main/engine/platform/linux/linux-cpu.js';
import { killAndWait, sleep, spawnBurner } from './helpers/processes.js';

/** A GPU source at the true system edge (no GPU here), typed against the real interface. */
class FakeGpu implements Collector<GpuReading> {
  readonly id = 'gpu.fake';
  readonly label = 'Fake GPU';
  probes = 0;
  constructor(
    public works: boolean,
    private readonly reading: () => GpuReading,
  ) {}
  async available(): Promise<Availability> {
    this.probes++;
    return this.works ? { ok: true } : { ok: false, reason: 'fake driver missing' };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async sample(): Promise<GpuReading> {
    return this.reading();
  }
  status(): SourceStatus {
    return { id: this.id, label: this.label, health: 'ok', detail: 'fake' };
  }
}

class ScriptedIdle implements IdleProvider {
  user: EngineUser = { state: 'active', idleSec: 0, source: 'idle.scripted' };
  async read(): Promise<EngineUser> {
    return this.user;
  }
  status(): SourceStatus {
    return { id: 'idle.scripted', label: 'Scripted', health: 'ok', detail: 'test' };
  }
}

const linux = process.platform === 'linux';

describe.skipIf(!linux)('Sampler', () => {
  // Spawned in a hook, not while the file is collected: a run filtered to other tests (-t) skips
  // this block's hooks, and a burner spawned at collection would then be left burning a core.
  let burner: ReturnType<typeof spawnBurner>;
  beforeAll(() => {
    burner = spawnBurner();
  });
  afterAll(() => killAndWait(burner));

  it('joins real processes with GPU and idle readings into one sample, and bounds its history', async () => {
    const gpu = new FakeGpu(true, () => ({
      devices: [{ id: '0', vendor: 'nvidia', name: 'Fake', memoryMiB: 8192, util: 97, memUsedMiB: 2100 }],
      procs: [
        { pid: burner.pid!, gpuId: '0', util: 95, memMiB: 2048 },
        { pid: burner.pid!, gpuId: '1', util: 10, memMiB: 52 },
      ],
    }));
    const idle = new ScriptedIdle();
    const sampler = new Sampler({
      procs: new LinuxProcsCollector(),
      cpu: new LinuxCpuCollector(),
      gpus: [gpu],
      idle,
      intervalMs: 200,
      historyCapacity: 5,
    });
    await sampler.init();
    await sleep(300);
    idle.user = { state: 'idle', idleSec: 75, source: 'idle.scripted' };
    const s = await sampler.tick();
    const p = s.procs.find((x) => x.pid === burner.pid);
    expect(p).toMatchObject({ gpu: 95, gpuId: '0', gpuMemMiB: 2100 });
    expect(p!.cpu).toBeGreaterThan(0); // CPU accuracy is linux-procs.test.ts's job; here only the join
    expect(s.user.state).toBe('idle');
    expect(s.gpus[0]).toMatchObject({ id: '0', util: 97 });
    expect(s.system.cpu).not.toBeNull();
    // Real ticks are a second apart; a few ms keeps the wall-clock stamps distinct here.
    for (let i = 0; i < 7; i++) {
      await sleep(5);
      await sampler.tick();
    }
    const h = sampler.history.toArray();
    expect(h).toHaveLength(5);
    expect(h[0]!.at).toBeLessThan(h[4]!.at);
    expect(h[4]!.top.find((t) => t.pid === burner.pid)).toMatchObject({ gpu: 95 });
    await sampler.stop();
  });

  it('reports an unavailable GPU source with its reason and picks it up when it starts working', async () => {
    let now = 1_000_000;
    const gpu = new FakeGpu(false, () => ({ devices: [], procs: [] }));
    const sampler = new Sampler({
      procs: new LinuxProcsCollector(),
      cpu: new LinuxCpuCollector(),
      gpus: [gpu],
      idle: new ScriptedIdle(),
      reprobeMs: 60_000,
      now: () => now,
    });
    await sampler.init();
    expect(sampler.sources().find((s) => s.id === 'gpu.fake')).toMatchObject({
      health: 'unavailable',
      detail: 'fake driver missing',
    });
    await sampler.tick();
    expect(gpu.probes).toBe(1); // not re-probed before reprobeMs
    gpu.works = true;
    now += 61_000;
    await sampler.tick();
    await sleep(10);
    expect(gpu.probes).toBe(2);
    expect(sampler.sources().find((s) => s.id === 'gpu.fake')?.health).toBe('ok');
    await sampler.stop();
  });

  it('ticks on its own at the interval, in time order', async () => {
    const sampler = new Sampler({
      procs: new LinuxProcsCollector(),
      cpu: new LinuxCpuCollector(),
      gpus: [],
      idle: new ScriptedIdle(),
      intervalMs: 100,
    });
    const seen: number[] = [];
    sampler.onSample((s) => seen.push(s.at));
    await sampler.start();
    await sleep(1050);
    await sampler.stop();
    expect(seen.length).toBeGreaterThanOrEqual(7);
    expect(seen.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
  });
});

describe.skipIf(!linux)('adaptive sampling', () => {
  it('re-reads only busy processes between full passes, and a new busy process forces a full pass at once', async () => {
    const sampler = new Sampler({
      procs: new LinuxProcsCollector(),
      cpu: new LinuxCpuCollector(),
      gpus: [],
      idle: new ScriptedIdle(),
      fullPassEveryMs: 600_000,
    });
    await sampler.init();
    await sampler.tick(); // the first pass is always full
    for (let i = 0; i < 3; i++) {
      await sleep(250);
      await sampler.tick();
    }
    // Other processes starting on the machine may trigger an extra full pass; most must be hot.
    expect(sampler.passes.full + sampler.passes.hot).toBe(4);
    expect(sampler.passes.hot).toBeGreaterThanOrEqual(2);
    const late = spawnBurner();
    try {
      let seen = false;
      for (let i = 0; i < 8 && !seen; i++) {
        await sleep(500);
        const s = await sampler.tick();
        // Busy, not "near a core": on a loaded machine a burner may get a fraction of one.
        seen = (s.procs.find((p) => p.pid === late.pid)?.cpu ?? 0) > 5;
      }
      // New processes are read on hot passes too (the /proc listing is exact every tick).
      expect(seen, 'the new burner was picked up within a few ticks').toBe(true);
      // Once known and busy, it is re-read on hot passes too.
      const before = sampler.passes.full;
      await sleep(500);
      const s = await sampler.tick();
      expect(s.procs.find((p) => p.pid === late.pid)?.cpu ?? 0).toBeGreaterThan(5);
      expect(sampler.passes.full).toBeLessThanOrEqual(before + 1);
    } finally {
      await killAndWait(late);
      await sampler.stop();
    }
  });
});

describe('history compaction', () => {
  it('keeps only the busiest processes, in order', () => {
    const procs = Array.from({ length: 40 }, (_, i) => ({
      pid: i + 1,
      ppid: 1,
      name: `p${i}`,
      exe: null,
      cmdline: '',
      user: null,
      startTimeMs: 0,
      cpu: i % 7,
      gpu: i === 33 ? 90 : null,
      gpuMemMiB: null,
      gpuId: null,
      rssKiB: null,
    }));
    const h = compact({
      at: 1,
      user: { state: 'idle', idleSec: 100, source: null },
      system: { cpu: 5, cores: 2 },
      gpus: [],
      procs,
      unreadable: 0,
      tickMs: 1,
    });
    expect(h.top).toHaveLength(16);
    expect(h.top[0]).toMatchObject({ pid: 34, gpu: 90 });
    for (let i = 2; i < h.top.length; i++) expect(Math.max(h.top[i]!.cpu, 0)).toBeLessThanOrEqual(h.top[i - 1]!.cpu);
    expect(h.top.every((t) => t.cpu > 0 || (t.gpu ?? 0) > 0)).toBe(true);
  });
});

/** A scripted source that always works: the fakes below only differ in what they sample. */
abstract class AlwaysOk {
  abstract readonly id: string;
  abstract readonly label: string;
  async available(): Promise<Availability> {
    return { ok: true };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): SourceStatus {
    return { id: this.id, label: this.label, health: 'ok', detail: '' };
  }
}

/** A machine whose load comes from processes that exit between ticks (a build): /proc never explains it. */
class ChurnProcs extends AlwaysOk implements ProcsCollector {
  readonly id = 'procs.churn';
  readonly label = 'Churn';
  fullAsked = 0;
  /** Set to make a known, quiet process start working (a miner waking up). */
  waking = 0;
  async sample(_now: number, opts: ProcsSampleOptions = {}): Promise<ProcsReading> {
    const full = opts.full !== false;
    if (full) this.fullAsked++;
    const base = { ppid: 1, exe: null, cmdline: '', user: null, startTimeMs: 1, rssKiB: null };
    // The waking process is only seen by a full pass (a hot pass re-reads busy processes only).
    const procs = [{ ...base, pid: 10, name: 'shell', cpu: 5 }];
    if (full || this.waking === 0) procs.push({ ...base, pid: 11, name: 'quiet', cpu: full ? this.waking : 0 });
    return { procs, unreadable: 0, full };
  }
}

class SwingCpu extends AlwaysOk implements Collector<CpuReading> {
  readonly id = 'cpu.swing';
  readonly label = 'Swing';
  tick = 0;
  extra = 0;
  async sample(): Promise<CpuReading> {
    // 4 cores; a build ramping up again and again: 16 one-core % more each tick from processes that
    // are gone by the next read (5% to 49% of the machine, then back), plus `extra`.
    this.tick++;
    return { cpu: 5 + 4 * (this.tick % 12) + this.extra / 4, cores: 4 };
  }
}

describe('full passes asked for by unexplained CPU', () => {
  it('back off while they find nobody (load from processes already gone), and still catch a waking process', async () => {
    let now = 1_000_000;
    const procs = new ChurnProcs();
    const cpu = new SwingCpu();
    const sampler = new Sampler({
      procs,
      cpu,
      gpus: [],
      idle: new ScriptedIdle(),
      fullPassEveryMs: 30_000,
      now: () => now,
    });
    await sampler.init();
    for (let i = 0; i < 30; i++) {
      await sampler.tick();
      now += 1000;
    }
    // Without a back-off nearly every tick of each ramp would be a full pass (over 20); with it: the
    // first pass, then waits of 2, 4, 8 and 16 s at most.
    expect(procs.fullAsked).toBeGreaterThanOrEqual(3);
    expect(procs.fullAsked).toBeLessThanOrEqual(7);

    // A quiet process starts burning 150% (a miner waking): within the longest wait it is found.
    procs.waking = 150;
    cpu.extra = 150;
    let found = -1;
    for (let i = 0; i < 31 && found < 0; i++) {
      const s = await sampler.tick();
      if ((s.procs.find((p) => p.pid === 11)?.cpu ?? 0) > 100) found = i;
      now += 1000;
    }
    expect(found).toBeGreaterThanOrEqual(0);
    expect(found).toBeLessThanOrEqual(30);
    await sampler.stop();
  });
});

describe('combine', () => {
  it("hands out last tick's EngineProc for a reading that has not moved, and a fresh one when it has", () => {
    const reading = {
      pid: 7,
      ppid: 1,
      name: 'idle',
      exe: '/bin/idle',
      cmdline: 'idle',
      user: 'ana',
      startTimeMs: 5,
      cpu: 0,
      rssKiB: 100,
    };
    const reuse = new WeakMap();
    const user = { state: 'active', idleSec: 0, source: null } as const;
    const cpu = { cpu: 1, cores: 2 };
    const at = (procs: (typeof reading)[], gpus = [] as GpuReading[]) =>
      combine(1, { procs, unreadable: 0, full: false }, cpu, user, gpus, undefined, reuse).procs[0]!;
    const first = at([reading]);
    expect(at([reading])).toBe(first);
    reading.cpu = 3.5; // the collector updates a re-read process in place
    const moved = at([reading]);
    expect(moved).not.toBe(first);
    expect(moved.cpu).toBe(3.5);
    const gpu: GpuReading = { devices: [], procs: [{ pid: 7, gpuId: '0', util: 40, memMiB: 10 }] };
    const busy = at([reading], [gpu]);
    expect(busy).not.toBe(moved);
    expect(busy.gpu).toBe(40);
    expect(at([reading])).toBe(moved); // GPU use gone again: back to the plain object, still right
    expect(at([{ ...reading }])).not.toBe(moved); // another reading object (an exec): never reused
  });
});
