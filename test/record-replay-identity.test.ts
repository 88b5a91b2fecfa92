// The record and replay paths must not change while the sampler, the trace encoder and the
// detector are made cheaper (issue 15): the committed traces replay to the same incidents, the
// encoder writes the same lines for the same samples, and the sampler reads the same samples
// from the same /proc. Each check compares a SHA-256 of the output with the value committed in
// test/fixtures/identity/golden.json, which was written by the code before those optimisations.
// A deliberate change of behaviour regenerates it: IDLEWATCH_UPDATE_GOLDEN=1 npx vitest run
// test/record-replay-identity.test.ts (and the commit says why the output changed).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineProc, EngineSample } from '../shared/engine-types.js';
import type { TraceHeader, TraceSample } from '../shared/trace.js';
import { Detector } from '../main/engine/detect/detector.js';
import { replayFile } from '../main/engine/detect/replay.js';
import { LinuxCpuCollector, LinuxProcsCollector } from '../main/engine/platform/linux/index.js';
import { Sampler } from '../main/engine/sampler.js';
import { TraceEncoder } from '../main/engine/trace/trace-encoder.js';
import { readTrace } from '../main/engine/trace/trace-reader.js';
import { writeScenario } from './scenarios/generator.js';
import { buildScenario, corpus } from './scenarios/scenarios.js';

const goldenPath = join(__dirname, 'fixtures', 'identity', 'golden.json');
const update = process.env.IDLEWATCH_UPDATE_GOLDEN === '1';
const golden: Record<string, string> = update
  ? {}
  : (JSON.parse(readFileSync(goldenPath, 'utf8')) as Record<string, string>);
const produced: Record<string, string> = {};
afterAll(() => {
  if (update) writeFileSync(goldenPath, `${JSON.stringify(produced, null, 2)}\n`);
});

function check(key: string, lines: string[]): void {
  const digest = createHash('sha256').update(lines.join('\n')).digest('hex');
  produced[key] = digest;
  if (!update) expect(digest, `${key}: ${lines.length} lines, first ${lines[0]?.slice(0, 200)}`).toBe(golden[key]);
}

const traceDirs = ['examples', 'recorded'].map((d) => join(__dirname, 'scenarios', d));
const traces = traceDirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.jsonl.gz'))
    .sort()
    .map((f) => join(d, f)),
);

/** Reads a trace into the samples the engine would have made, encodes them as `record` does, and feeds the encoder's samples to a detector as the live monitor does. */
async function liveRun(file: string): Promise<{ lines: string[]; events: string[]; detector: Detector }> {
  // The samples the engine would have handed the encoder: every live process with its whole
  // identity, and, as the sampler does, the same row object while a process's figures stand still.
  let header: TraceHeader | null = null;
  const samples: TraceSample[] = [];
  await readTrace(file, { header: (h) => (header = h), sample: (s) => samples.push(s) });
  const h = header as TraceHeader | null;
  if (!h) throw new Error('no header');
  const started = Date.parse(h.startedAt);
  const rows = new Map<number, EngineProc>();
  const encoder = new TraceEncoder({
    startedAtMs: started,
    intervalMs: h.intervalMs,
    idleThresholdSec: h.idleThresholdSec,
    platform: h.host.platform,
    cpuCores: h.host.cpuCores,
  });
  const lines: string[] = [];
  // The live monitor's detector gets the encoder's samples as they are (an idle process's
  // entry is one object from tick to tick), not lines read back: it must find the same.
  const detector = new Detector(h);
  const events: string[] = [];
  for (const s of samples) {
    const procs: EngineProc[] = [];
    for (const p of s.procs) {
      const prev = rows.get(p.pid);
      const reused = prev !== undefined && (p.startT === undefined || started + p.startT === prev.startTimeMs);
      const identity = {
        ppid: p.ppid ?? (reused ? prev.ppid : 0),
        name: p.name ?? (reused ? prev.name : ''),
        exe: p.exe !== undefined ? p.exe : reused ? prev.exe : null,
        cmdline: p.cmdline ?? (reused ? prev.cmdline : ''),
        user: p.user !== undefined ? p.user : reused ? prev.user : null,
        startTimeMs: p.startT !== undefined ? started + p.startT : reused ? prev.startTimeMs : started,
      };
      const cpu = p.cpu ?? 0;
      const gpu = p.gpu ?? null;
      const gpuMemMiB = p.gpuMemMiB ?? null;
      const same =
        reused &&
        p.name === undefined &&
        p.conns === undefined &&
        prev.cpu === cpu &&
        prev.gpu === gpu &&
        prev.gpuMemMiB === gpuMemMiB;
      const row: EngineProc = same
        ? prev
        : { pid: p.pid, ...identity, cpu, gpu, gpuMemMiB, gpuId: gpu === null ? null : 'gpu0', rssKiB: null };
      if (p.conns !== undefined) row.conns = p.conns;
      rows.set(p.pid, row);
      procs.push(row);
    }
    for (const pid of rows.keys()) if (!s.procs.some((p) => p.pid === pid)) rows.delete(pid);
    const sample: EngineSample = {
      at: started + s.t,
      user: {
        state: s.user.state,
        idleSec: s.user.idleSec,
        source: null,
        ...(s.user.inhibitors ? { inhibitors: s.user.inhibitors } : {}),
      },
      system: { cpu: s.system.cpu, cores: h.host.cpuCores },
      gpus: s.system.gpus.map((g) => ({
        id: g.id,
        vendor: 'nvidia',
        name: g.id,
        memoryMiB: null,
        util: g.util,
        memUsedMiB: g.memUsedMiB,
      })),
      procs,
      unreadable: 0,
      tickMs: 0,
    };
    const encoded = encoder.sample(sample);
    lines.push(JSON.stringify(encoded));
    for (const e of detector.push(encoded)) events.push(JSON.stringify(e));
  }
  for (const e of detector.finish()) events.push(JSON.stringify(e));
  for (const e of detector.finish()) events.push(JSON.stringify(e));
  return { lines, events, detector };
}

describe('record and replay stay the same', () => {
  it('has committed traces to compare', () => {
    expect(traces.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of traces) {
    const name = file.split('/').slice(-2).join('/');

    it(`replays ${name} to the same incidents and events`, async () => {
      const events: string[] = [];
      const r = await replayFile(file, { onEvent: (e) => events.push(JSON.stringify(e)) });
      check(`replay ${name}`, [JSON.stringify(r.incidents), ...events]);
    });

    it(`encodes ${name}'s samples to the same trace lines, and the live detector finds the same in them`, async () => {
      const { lines, events, detector } = await liveRun(file);
      check(`encode ${name}`, lines);
      check(`detect live ${name}`, [JSON.stringify(detector.incidents()), ...events]);
    });
  }
});

describe('live detection equals replay on the evaluation corpus', () => {
  // The live detector skips idle processes whose entry object it was handed before; replay reads
  // fresh objects from the file and looks at every one. One scenario in ten keeps
  // the run short; \`npm run eval\` replays them all.
  const dir = mkdtempSync(join(tmpdir(), 'iw-identity-corpus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const refs = corpus().filter((_, i) => i % 10 === 0);
  it.each(refs.map((r) => [r.name, r] as const))('%s', async (_name, ref) => {
    const file = join(dir, `${ref.name.replace('#', '_')}.jsonl`);
    writeScenario(buildScenario(ref.family, ref.variant), file);
    const replayed: string[] = [];
    const r = await replayFile(file, { onEvent: (e) => replayed.push(JSON.stringify(e)) });
    const live = await liveRun(file);
    expect(JSON.stringify(live.detector.incidents())).toBe(JSON.stringify(r.incidents));
    expect(live.events).toEqual(replayed);
    rmSync(file, { force: true });
  });
});

describe.skipIf(process.platform !== 'linux')('the sampler on a scripted /proc', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-identity-proc-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  let forks = 1000;
  let jiffies = { busy: 1000, idle: 100_000 };
  function writeStat(): void {
    writeFileSync(
      join(root, 'stat'),
      `cpu  ${jiffies.busy} 0 0 ${jiffies.idle} 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\ncpu1 1 0 0 1 0 0 0 0 0 0\nintr 1 2 3\nctxt 5\nbtime 1700000000\nprocesses ${forks}\n`,
    );
  }
  function writeProc(
    pid: number,
    p: { comm: string; ppid?: number; ticks: number; start: number; exe?: string; args?: string[]; rss?: number },
  ): void {
    const dir = join(root, String(pid));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'stat'),
      `${pid} (${p.comm}) S ${p.ppid ?? 1} ${pid} ${pid} 0 -1 4194304 10 0 0 0 ${p.ticks} 0 0 0 20 0 1 0 ${p.start} 100000 ${p.rss ?? 100} 18446744073709551615\n`,
    );
    writeFileSync(join(dir, 'cmdline'), `${(p.args ?? [p.comm]).join('\0')}\0`);
    rmSync(join(dir, 'exe'), { force: true });
    if (p.exe) symlinkSync(p.exe, join(dir, 'exe'));
  }
  const gone = (pid: number) => rmSync(join(root, String(pid)), { recursive: true, force: true });

  it('reads the same samples and writes the same trace for the same /proc, tick by tick', async () => {
    const passwd = join(root, 'passwd');
    writeFileSync(passwd, `tester:x:${userInfo().uid}:${userInfo().gid}::/home/tester:/bin/sh\n`);
    mkdirSync(join(root, 'self'), { recursive: true });
    writeFileSync(join(root, 'self', 'stat'), '1 (self) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0');
    writeStat();
    // 60 quiet processes, a busy one, one that will exec, one that will wake up.
    for (let pid = 100; pid < 160; pid++)
      writeProc(pid, { comm: `quiet${pid}`, ticks: pid, start: 500 + pid, exe: `/usr/bin/q${pid}` });
    const state = { busy: 0, waker: 50, launcher: 3 };
    const writeMoving = () => {
      writeProc(200, { comm: 'busy', ticks: state.busy, start: 900, exe: '/usr/bin/busy', args: ['busy', '--work'] });
      writeProc(201, { comm: 'waker', ticks: state.waker, start: 901, exe: '/opt/waker' });
    };
    writeMoving();
    writeProc(202, {
      comm: 'launcher',
      ticks: state.launcher,
      start: 902,
      exe: '/tmp/launcher',
      args: ['sh', 'launcher'],
    });
    let now = 1_700_000_100_000;
    const sampler = new Sampler({
      procs: new LinuxProcsCollector({ procRoot: root, passwdPath: passwd }),
      cpu: new LinuxCpuCollector(root),
      gpus: [],
      idle: {
        read: async () => ({ state: 'active' as const, idleSec: 0, source: 'script' }),
        status: () => ({ id: 'idle', label: 'idle', health: 'ok', detail: '' }),
      },
      now: () => now,
    });
    await sampler.init();
    const encoder = new TraceEncoder({
      startedAtMs: now,
      intervalMs: 1000,
      idleThresholdSec: 60,
      platform: 'linux',
      cpuCores: 2,
    });
    const lines: string[] = [];
    const samples: string[] = [];
    for (let tick = 1; tick <= 75; tick++) {
      now += 1000;
      state.busy += 80; // 80% of a core, every tick
      let machineBusy = 80;
      if (tick >= 20 && tick < 30) {
        state.waker += 60; // a quiet process wakes up: unexplained CPU asks for a full pass
        machineBusy += 60;
      }
      if (tick === 10) {
        forks++;
        writeProc(300, { comm: 'newcomer', ppid: 202, ticks: 0, start: 90_000, exe: '/usr/bin/newcomer' });
      }
      if (tick >= 15 && tick < 40) {
        // From tick 15 the launcher has exec'd into a busy program under another name.
        state.launcher += 90;
        machineBusy += 90;
        writeProc(202, {
          comm: 'xmrig',
          ticks: state.launcher,
          start: 902,
          exe: '/tmp/.x/xmrig',
          args: ['xmrig', '-o', 'pool:3333'],
        });
      }
      if (tick === 25) gone(110); // a quiet process exits without any fork
      if (tick === 35) {
        forks += 2;
        gone(120);
        writeProc(120, { comm: 'reused', ticks: 7, start: 95_000, exe: '/usr/bin/reused' }); // the pid, reused
      }
      if (tick === 50) {
        forks++;
        gone(300);
      }
      jiffies = { busy: jiffies.busy + machineBusy, idle: jiffies.idle + 200 - machineBusy };
      writeStat();
      writeMoving();
      const s = await sampler.tick();
      samples.push(JSON.stringify({ ...s, tickMs: 0, procs: s.procs }));
      lines.push(JSON.stringify(encoder.sample(s)));
    }
    await sampler.stop();
    expect(sampler.passes.full).toBeGreaterThanOrEqual(3);
    expect(sampler.passes.hot).toBeGreaterThanOrEqual(40);
    check('sampler samples', samples);
    check('sampler trace', lines);
  });
});
