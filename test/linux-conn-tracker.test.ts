/**
 * Live per-process connections: the LinuxConnTracker inside the Sampler against real processes
 * and a real TCP listener, the trace encoder's `conns` field (only when a list changed), and the
 * tracker's cost rules (no reads on hot passes, fd walks only for new sockets or new candidates)
 * against a fake /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSample, EngineUser, SourceStatus } from '../shared/engine-types.js';
import type { TraceConn, TraceHeader } from '../shared/trace.js';
import { Detector } from '../main/engine/detect/detector.js';
import { LinuxConnTracker } from '../main/engine/platform/linux/conn-tracker.js';
import type { ProcNetFs } from '../main/engine/platform/linux/proc-net.js';
import { LinuxProcsCollector } from '../main/engine/platform/linux/linux-procs.js';
import type { ProcReading, ProcsReading } from '../main/engine/platform/procs.js';
import { combine, type IdleProvider, Sampler } from '../main/engine/sampler.js';
import { LinuxCpuCollector } from '../main/engine/platform/linux/linux-cpu.js';
import { TraceEncoder } from '../main/engine/trace/trace-encoder.js';
import { killAndWait, sleep, spawnSleeper, waitFor } from './helpers/processes.js';

const linux = process.platform === 'linux';

class ScriptedIdle implements IdleProvider {
  async read(): Promise<EngineUser> {
    return { state: 'idle', idleSec: 600, source: 'idle.scripted' };
  }
  status(): SourceStatus {
    return { id: 'idle.scripted', label: 'Scripted', health: 'ok', detail: 'test' };
  }
}

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killAndWait(c);
});

/** A node child that connects to 127.0.0.1:port, says so, and then burns a core (or sleeps). */
async function spawnConnected(port: number, busy: boolean): Promise<ChildProcess> {
  const body = busy ? 'for(;;){}' : 'setInterval(()=>{},60000)';
  const child = spawn(
    process.execPath,
    ['-e', `const s=require('net').connect(${port},'127.0.0.1',()=>{process.stdout.write('up\\n');${body}})`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`connecting child exited with ${code}`)));
  });
  return child;
}

describe.skipIf(!linux)('live connections in samples (real processes, 127.0.0.1:3333)', () => {
  let server: Server;
  let port = 3333;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    server = createServer((s) => {
      accepted.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EADDRINUSE') return reject(e);
        // Another program holds 3333 on this machine: any free port shows the same thing.
        console.warn('127.0.0.1:3333 is in use here; the listener takes a free port instead');
        server.listen(0, '127.0.0.1', () => resolve());
      });
      server.listen(3333, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') port = addr.port;
  });
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((r) => server.close(() => r(undefined)));
  });

  const remote = (): string => `127.0.0.1:${port}`;
  const encoderFor = (first: EngineSample) =>
    new TraceEncoder({
      startedAtMs: first.at - 1000,
      intervalMs: 1000,
      idleThresholdSec: 60,
      platform: 'linux',
      cpuCores: 2,
    });

  it('a busy connected process carries its connection in the sample and the trace line; a process without one has none', async () => {
    const miner = await spawnConnected(port, true);
    const sleeper = spawnSleeper();
    children.push(sleeper);
    await sleep(300);
    const conns = new LinuxConnTracker();
    const sampler = new Sampler({
      procs: new LinuxProcsCollector(),
      cpu: new LinuxCpuCollector(),
      gpus: [],
      idle: new ScriptedIdle(),
      fullPassEveryMs: 600_000,
      conns,
    });
    try {
      await sampler.init();
      await sleep(300);
      const s1 = await sampler.tick(); // always a full pass
      expect(sampler.passes.full).toBe(1);
      const m1 = s1.procs.find((p) => p.pid === miner.pid);
      expect(m1?.cpu ?? 0, 'the connected child is busy').toBeGreaterThan(20);
      expect(m1?.conns).toEqual([{ proto: 'tcp', remote: remote(), state: 'ESTABLISHED' }]);
      expect(s1.procs.find((p) => p.pid === sleeper.pid)?.conns).toBeUndefined();

      const encoder = encoderFor(s1);
      const line1 = encoder.sample(s1);
      const t1 = line1.procs.find((p) => p.pid === miner.pid);
      expect(t1?.conns).toEqual([{ proto: 'tcp', remote: remote(), state: 'ESTABLISHED' }]);
      expect(line1.procs.find((p) => p.pid === sleeper.pid)?.conns).toBeUndefined();
      // Every line is plain JSON: what the trace file carries.
      expect(JSON.parse(JSON.stringify(line1)).procs.find((p: { pid: number }) => p.pid === miner.pid).conns).toEqual(
        t1?.conns,
      );

      // Hot passes read nothing: the list is carried (same object), and the trace says nothing new.
      // (Other load on a shared machine can force a full pass: tick until a hot one comes.)
      let hotChecked = false;
      for (let i = 0; i < 10 && !hotChecked; i++) {
        const before = conns.stats();
        const hotBefore = sampler.passes.hot;
        await sleep(250);
        const s2 = await sampler.tick();
        const line2 = encoder.sample(s2);
        expect(line2.procs.find((p) => p.pid === miner.pid)).not.toHaveProperty('conns');
        if (sampler.passes.hot === hotBefore) continue;
        expect(conns.stats()).toMatchObject({ walks: before.walks, tableReads: before.tableReads });
        expect(s2.procs.find((p) => p.pid === miner.pid)?.conns).toBe(m1?.conns);
        hotChecked = true;
      }
      expect(hotChecked, 'a hot pass came').toBe(true);
    } finally {
      await sampler.stop();
    }
  });

  it('full passes follow changes: a closed peer (CLOSE_WAIT), a quiet process that connects after the first pass, an exit', async () => {
    const miner = await spawnConnected(port, true);
    const sampler = new Sampler({
      procs: new LinuxProcsCollector(),
      cpu: new LinuxCpuCollector(),
      gpus: [],
      idle: new ScriptedIdle(),
      fullPassEveryMs: 0, // every tick is a full pass
      conns: new LinuxConnTracker({ refreshMs: 0 }), // and reads the tables: a state change shows at once
    });
    try {
      await sampler.init();
      await sleep(300);
      const s1 = await sampler.tick();
      const encoder = encoderFor(s1);
      expect(encoder.sample(s1).procs.find((p) => p.pid === miner.pid)?.conns).toEqual([
        { proto: 'tcp', remote: remote(), state: 'ESTABLISHED' },
      ]);

      // The server closes its end; the busy child never reads, so its socket waits in CLOSE_WAIT.
      for (const s of accepted.splice(0)) s.destroy();
      let changed: TraceConn[] | undefined;
      await waitFor(
        async () => {
          await sleep(100);
          changed = encoder.sample(await sampler.tick()).procs.find((p) => p.pid === miner.pid)?.conns;
          return changed !== undefined;
        },
        5000,
        'the changed list in the trace',
      );
      expect(changed).toEqual([{ proto: 'tcp', remote: remote(), state: 'CLOSE_WAIT' }]);

      // A quiet process that appears after the first pass is new, so it is looked at once.
      const quiet = await spawnConnected(port, false);
      let quietConns: TraceConn[] | undefined;
      await waitFor(
        async () => {
          await sleep(100);
          const s = await sampler.tick();
          quietConns = encoder.sample(s).procs.find((p) => p.pid === quiet.pid)?.conns;
          return quietConns !== undefined;
        },
        5000,
        'the quiet new process in the trace',
      );
      expect(quietConns).toEqual([{ proto: 'tcp', remote: remote(), state: 'ESTABLISHED' }]);

      await killAndWait(miner);
      await sleep(100);
      const after = await sampler.tick();
      expect(after.procs.find((p) => p.pid === miner.pid)).toBeUndefined();
    } finally {
      await sampler.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Cost rules and the trace contract, against a fake /proc
// ---------------------------------------------------------------------------------------------

/** Little-endian rows: 10.0.2.15:50000 -> 198.51.100.7:3333 ESTABLISHED, and a listener. */
function tcpRow(sl: number, inode: number, remotePort: number, state = '01'): string {
  const port = remotePort.toString(16).toUpperCase().padStart(4, '0');
  return `  ${sl}: 0F02000A:C350 076433C6:${port} ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;
}
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

class FakeProcNet implements ProcNetFs {
  tcp: string[] = [];
  /** Unix socket inodes (/proc/net/unix). */
  unix: number[] = [];
  fds = new Map<number, string[]>();
  reads = new Map<string, number>();
  readFile(path: string): string {
    this.count(path);
    if (path === '/fake/net/tcp') return [HEADER, ...this.tcp].join('\n');
    if (path === '/fake/net/unix') {
      const rows = this.unix.map((i) => `0000000000000000: 00000003 00000000 00000000 0001 03 ${i} /run/user/1000/bus`);
      return ['Num       RefCount Protocol Flags    Type St Inode Path', ...rows].join('\n');
    }
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  }
  readdir(path: string): string[] {
    this.count(path);
    const m = /^\/fake\/(\d+)\/fd$/.exec(path);
    const links = m ? this.fds.get(Number(m[1])) : undefined;
    if (!links) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return links.map((_, i) => String(i));
  }
  readlink(path: string): string {
    this.count(path);
    if (path.endsWith('/ns/net')) return 'net:[4026531840]';
    const m = /^\/fake\/(\d+)\/fd\/(\d+)$/.exec(path);
    const link = m ? this.fds.get(Number(m[1]))?.[Number(m[2])] : undefined;
    if (link === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return link;
  }
  private count(path: string): void {
    this.reads.set(path, (this.reads.get(path) ?? 0) + 1);
  }
  walks(pid: number): number {
    return this.reads.get(`/fake/${pid}/fd`) ?? 0;
  }
  tableReads(): number {
    return this.reads.get('/fake/net/tcp') ?? 0;
  }
}

const proc = (pid: number, cpu: number, startTimeMs = 1000): ProcReading => ({
  pid,
  ppid: 1,
  name: `p${pid}`,
  exe: `/usr/bin/p${pid}`,
  cmdline: `p${pid}`,
  user: 'ana',
  startTimeMs,
  cpu,
  rssKiB: null,
});

describe('LinuxConnTracker cost rules (fake /proc)', () => {
  it('reads nothing on hot passes or when nothing is busy; tables only for unknown sockets or a refresh', () => {
    const fs = new FakeProcNet();
    fs.tcp = [tcpRow(0, 501, 3333), tcpRow(1, 900, 0, '0A')];
    fs.fds.set(10, ['socket:[501]', '/dev/null']);
    fs.fds.set(11, ['socket:[900]']); // only a listener: not a connection
    fs.fds.set(12, ['/dev/null']);
    const t = new LinuxConnTracker({ procRoot: '/fake', fs, refreshMs: 300_000 });
    const quiet = [proc(10, 0), proc(11, 0), proc(12, 0)];
    const full = (at: number) => ({ full: true, watch: [], at: at * 1000 });

    // A quiet machine: the first pass looks at nobody, reads nothing.
    expect(t.update(quiet, full(0)).size).toBe(0);
    expect(fs.tableReads()).toBe(0);

    const busy = [proc(10, 95), proc(11, 0), proc(12, 0)];
    const first = t.update(busy, full(30));
    expect(first.get(10)?.conns).toEqual([{ proto: 'tcp', remote: '198.51.100.7:3333', state: 'ESTABLISHED' }]);
    expect(first.has(11)).toBe(false);
    expect(fs.tableReads()).toBe(1);
    expect(fs.walks(10)).toBe(1);
    expect(fs.walks(11)).toBe(0); // quiet and known since the first pass: never looked at

    // Hot passes: nothing read, the same map.
    const readsBefore = [...fs.reads.values()].reduce((a, b) => a + b, 0);
    for (let i = 0; i < 5; i++) expect(t.update(busy, { full: false, watch: [], at: 31_000 + i })).toBe(first);
    expect([...fs.reads.values()].reduce((a, b) => a + b, 0)).toBe(readsBefore);

    // Next full pass, same sockets: its fd table is walked (it has connections), every socket is
    // accounted for, so the tables are not read again.
    const second = t.update(busy, full(60));
    expect(fs.tableReads()).toBe(1);
    expect(fs.walks(10)).toBe(2);
    expect(second.get(10)).toBe(first.get(10)); // unchanged list: the same object

    // It opens another connection: the walk finds an inode without a row, so the tables are read.
    fs.tcp.push(tcpRow(2, 777, 443));
    fs.fds.set(10, ['socket:[501]', 'socket:[777]']);
    const third = t.update(busy, full(90));
    expect(fs.tableReads()).toBe(2);
    expect(third.get(10)?.conns.map((c) => c.remote)).toEqual(['198.51.100.7:3333', '198.51.100.7:443']);

    // A process that started since the last full pass is looked at even when quiet; its socket
    // (inherited) already has a row, and its Unix socket is found in the cheap Unix table: no
    // TCP/UDP table read.
    fs.unix = [12345];
    fs.fds.set(13, ['socket:[777]', 'socket:[12345]']);
    const unixReads = fs.reads.get('/fake/net/unix') ?? 0;
    const fourth = t.update([...busy, proc(13, 0, 5000)], full(120));
    expect(fs.walks(13)).toBe(1);
    expect(fourth.get(13)?.conns.map((c) => c.remote)).toEqual(['198.51.100.7:443']);
    expect(fs.tableReads()).toBe(2);
    expect(fs.reads.get('/fake/net/unix')).toBe(unixReads + 1);
    // A socket in no table at all (raw, packet) costs one TCP/UDP read, then it is known.
    fs.fds.set(13, ['socket:[777]', 'socket:[12345]', 'socket:[5555]']);
    t.update([...busy, proc(13, 0, 5000)], full(130));
    expect(fs.tableReads()).toBe(3);
    t.update([...busy, proc(13, 0, 5000)], full(150));
    expect(fs.tableReads()).toBe(3);

    // Its connections close: seen from its fd table alone; `[]` is carried once (so the trace
    // can say so), then dropped.
    fs.tcp = [tcpRow(0, 501, 3333)];
    fs.fds.set(10, ['socket:[501]']);
    fs.fds.set(13, []);
    const fifth = t.update([...busy, proc(13, 0, 5000)], full(180));
    expect(fifth.get(13)?.conns).toEqual([]);
    expect(fifth.get(10)?.conns.map((c) => c.remote)).toEqual(['198.51.100.7:3333']);
    expect(fs.tableReads()).toBe(3);
    const sixth = t.update([...busy, proc(13, 0, 5000)], full(210));
    expect(sixth.has(13)).toBe(false);

    // A state change (the peer closed) needs the tables: it shows at the periodic refresh.
    fs.tcp = [tcpRow(0, 501, 3333, '08')];
    expect(t.update(busy, full(240)).get(10)?.conns[0]?.state).toBe('ESTABLISHED');
    expect(t.update(busy, full(130 + 300)).get(10)?.conns[0]?.state).toBe('CLOSE_WAIT'); // last read at 130 s
    expect(fs.tableReads()).toBe(4);

    // Exits and pid reuse: state is forgotten, a reused pid never inherits a list.
    const last = t.update([proc(10, 95, 9999)], full(470));
    expect(last.get(10)?.startTimeMs).toBe(9999);
    expect(t.stats().trackedPids).toBeLessThanOrEqual(1);
  });

  it('keeps the per-process caches bounded by the live candidates under heavy churn', () => {
    const fs = new FakeProcNet();
    const t = new LinuxConnTracker({ procRoot: '/fake', fs, maxCandidates: 50 });
    for (let round = 0; round < 40; round++) {
      const procs: ProcReading[] = [];
      fs.tcp = [];
      for (let i = 0; i < 200; i++) {
        const pid = 1000 + round * 200 + i; // every round a fresh set of processes
        fs.fds.set(pid, [`socket:[${pid}]`]);
        fs.tcp.push(tcpRow(i, pid, 3333));
        procs.push(proc(pid, 50, round));
      }
      t.update(procs, { full: true, watch: [], at: round * 30_000 });
      expect(t.stats().trackedPids).toBeLessThanOrEqual(50);
      expect(t.stats().rows).toBeLessThanOrEqual(50);
    }
  });

  it('end to end: a connection to a stratum port reaches the detector as pool-connection evidence', () => {
    const fs = new FakeProcNet();
    fs.tcp = [tcpRow(0, 501, 3333)];
    fs.fds.set(4242, ['socket:[501]']);
    const t = new LinuxConnTracker({ procRoot: '/fake', fs });
    const start = Date.parse('2026-11-26T21:00:00.000Z');
    const header: TraceHeader = {
      format: 'idlewatch-trace',
      version: 1,
      startedAt: new Date(start).toISOString(),
      intervalMs: 1000,
      idleThresholdSec: 60,
      host: { platform: 'linux', cpuCores: 8, gpus: [] },
    };
    const encoder = new TraceEncoder({
      startedAtMs: start,
      intervalMs: 1000,
      idleThresholdSec: 60,
      platform: 'linux',
      cpuCores: 8,
    });
    const detector = new Detector(header);
    let lines = 0;
    for (let i = 0; i < 40; i++) {
      const at = start + i * 1000;
      const reading: ProcsReading = {
        procs: [{ ...proc(4242, 390, start - 60_000) }],
        unreadable: 0,
        full: i % 3 === 0,
      };
      const map = t.update(reading.procs, { full: reading.full, watch: [], at });
      const s = combine(at, reading, { cpu: 50, cores: 8 }, { state: 'idle', idleSec: 600, source: null }, [], map);
      const line = encoder.sample(s);
      if (line.procs[0]?.conns) lines++;
      detector.push(line);
    }
    expect(lines, 'the list goes out once, then only on change').toBe(1);
    detector.finish();
    const reasons = detector.incidents().flatMap((inc) => inc.reasons.map((r) => r.rule));
    expect(reasons).toContain('pool-connection');
  });
});
