import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineProc, EngineSample } from '../shared/engine-types.js';
import type { TraceSample } from '../shared/trace.js';
import { TraceEncoder } from '../main/engine/trace/trace-encoder.js';
import { TraceFileWriter } from '../main/engine/trace/trace-file-writer.js';
import { readTrace, TraceError } from '../main/engine/trace/trace-reader.js';

const T0 = Date.parse('2026-11-26T21:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'iw-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function proc(pid: number, startTimeMs: number, cpu = 0, gpu: number | null = null): EngineProc {
  return {
    pid,
    ppid: 1,
    name: `p${pid}`,
    exe: `/usr/bin/p${pid}`,
    cmdline: `p${pid} --x`,
    user: 'ana',
    startTimeMs,
    cpu,
    gpu,
    gpuMemMiB: gpu ? 512 : null,
    gpuId: gpu ? '0' : null,
    rssKiB: 1000,
  };
}

function sample(at: number, procs: EngineProc[]): EngineSample {
  return {
    at,
    user: { state: 'idle', idleSec: 75, source: 'idle.x11' },
    system: { cpu: 12.5, cores: 8 },
    gpus: [{ id: '0', vendor: 'nvidia', name: 'RTX', memoryMiB: 10240, util: 97, memUsedMiB: 2300 }],
    procs,
    unreadable: 0,
    tickMs: 1,
  };
}

const opts = { startedAtMs: T0, intervalMs: 1000, idleThresholdSec: 60, platform: 'linux' as const, cpuCores: 8 };

describe('TraceEncoder', () => {
  it('writes identity once per process, minimal entries for idle ones, and again when a pid is reused', () => {
    const enc = new TraceEncoder(opts);
    const h = enc.header(sample(T0, []));
    expect(h).toMatchObject({ format: 'idlewatch-trace', version: 1, startedAt: '2026-11-26T21:00:00.000Z' });
    expect(h.host.gpus).toEqual([{ id: '0', vendor: 'nvidia', name: 'RTX', memoryMiB: 10240 }]);
    const a = enc.sample(sample(T0, [proc(1, T0 - 5000), proc(42, T0 - 100, 4, 95)]));
    expect(a.t).toBe(0);
    expect(a.procs[0]).toEqual({
      pid: 1,
      ppid: 1,
      name: 'p1',
      exe: '/usr/bin/p1',
      cmdline: 'p1 --x',
      user: 'ana',
      startT: -5000,
    });
    expect(a.procs[1]).toMatchObject({ pid: 42, cpu: 4, gpu: 95, gpuMemMiB: 512, startT: -100 });
    const b = enc.sample(sample(T0 + 1000, [proc(1, T0 - 5000), proc(42, T0 + 900, 2)]));
    expect(b.procs[0]).toEqual({ pid: 1 });
    expect(b.procs[1]).toMatchObject({ pid: 42, name: 'p42', startT: 900, cpu: 2 });
    // A clock step backwards never makes t decrease.
    expect(enc.sample(sample(T0 + 500, [])).t).toBe(1000);
  });

  it('repeats name, exe, cmdline and user on the first sample after an exec, and only then', () => {
    const enc = new TraceEncoder(opts);
    const script = { ...proc(77, T0 - 2000), name: 'away.sh', exe: '/usr/bin/bash', cmdline: 'bash away.sh' };
    enc.sample(sample(T0, [script]));
    // The same row object again (the sampler reuses it for a quiet process): nothing to send.
    expect(enc.sample(sample(T0 + 1000, [script])).procs[0]).toEqual({ pid: 77 });
    // A rebuilt row with the same identity: still nothing.
    expect(enc.sample(sample(T0 + 2000, [{ ...script }])).procs[0]).toEqual({ pid: 77 });
    const miner = { ...script, name: 'kworkerds', exe: '/tmp/.x/kworkerds', cmdline: './kworkerds -B', cpu: 390 };
    expect(enc.sample(sample(T0 + 3000, [miner])).procs[0]).toEqual({
      pid: 77,
      name: 'kworkerds',
      exe: '/tmp/.x/kworkerds',
      cmdline: './kworkerds -B',
      user: 'ana',
      cpu: 390,
    });
    expect(enc.sample(sample(T0 + 4000, [{ ...miner }])).procs[0]).toEqual({ pid: 77, cpu: 390 });
  });
});

async function collect(file: string) {
  const samples: TraceSample[] = [];
  let header: unknown = null;
  const result = await readTrace(file, { header: (h) => (header = h), sample: (s) => samples.push(s) });
  return { header, samples, count: result.samples, warnings: result.warnings };
}

describe('trace files', () => {
  it('round-trips through the writer and reader, plain and gzip', async () => {
    for (const name of ['a.jsonl', 'a.jsonl.gz']) {
      const path = join(dir, name);
      const w = new TraceFileWriter(path);
      await w.ready();
      const enc = new TraceEncoder(opts);
      w.writeLine(enc.header(null));
      for (let i = 0; i < 5; i++) w.writeLine(enc.sample(sample(T0 + i * 1000, [proc(7, T0, i)])));
      await w.close();
      const r = await collect(path);
      expect(r.samples).toHaveLength(5);
      expect(r.warnings).toEqual([]);
      expect(r.samples[4]!.procs[0]).toEqual({ pid: 7, cpu: 4 });
    }
  });

  function lines(...ls: unknown[]): string {
    return ls.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  }
  const header = {
    format: 'idlewatch-trace',
    version: 1,
    startedAt: '2026-11-26T21:00:00.000Z',
    intervalMs: 1000,
    idleThresholdSec: 60,
    host: { platform: 'linux', cpuCores: 2, gpus: [] },
  };
  const s = (t: number, procs: unknown[] = []) => ({
    t,
    user: { state: 'active', idleSec: 1 },
    system: { cpu: 1, gpus: [] },
    procs,
  });
  const full = { pid: 5, ppid: 1, name: 'x', exe: null, cmdline: '', user: 'u', startT: 0 };

  it.each([
    ['no header', lines(s(0)), /:1: missing header/],
    ['another format', lines({ ...header, format: 'other' }), /:1: unknown format "other"/],
    ['a newer version', lines({ ...header, version: 2 }), /:1: unsupported version 2/],
    ['a line that is not JSON', lines(header, s(0), '{oops', s(2000)), /:3: not valid JSON/],
    ['t going backwards', lines(header, s(1000), s(500)), /:3: t goes backwards \(500 after 1000\)/],
    [
      'a new process without identity',
      lines(header, s(0, [{ pid: 9, cpu: 3 }])),
      /:2: process 9 appears for the first time without ppid/,
    ],
    ['an empty file', '', /:1: missing header/],
  ])('refuses %s, naming the line', async (_what, text, message) => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, text);
    await expect(collect(path)).rejects.toThrow(message);
    await expect(collect(path)).rejects.toBeInstanceOf(TraceError);
  });

  it('reports and skips a torn last line', async () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, `${lines(header, s(0, [full]), s(1000, [{ pid: 5 }]))}\n{"t":2000,"user":{"sta`);
    const r = await collect(path);
    expect(r.samples).toHaveLength(2);
    expect(r.warnings).toEqual([{ line: 4, message: expect.stringMatching(/incomplete/) }]);
  });

  it('accepts unknown fields and a pid that reappears with its identity', async () => {
    const path = join(dir, 'ok.jsonl.gz');
    writeFileSync(
      path,
      gzipSync(
        lines(
          { ...header, future: 1 },
          s(0, [full]),
          { ...s(1000, []), extra: true },
          s(2000, [{ ...full, startT: 1500 }]),
        ),
      ),
    );
    const r = await collect(path);
    expect(r.samples).toHaveLength(3);
  });

  it('a truncated gzip stream keeps what was read and says so', async () => {
    const path = join(dir, 'cut.jsonl.gz');
    const whole = gzipSync(
      lines(header, ...Array.from({ length: 200 }, (_, i) => s(i * 1000, i === 0 ? [full] : [{ pid: 5 }]))),
    );
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.8)));
    const r = await collect(path);
    expect(r.samples.length).toBeGreaterThan(10);
    expect(r.warnings.at(-1)?.message).toMatch(/truncated|incomplete/);
    expect(readFileSync(path).length).toBeLessThan(whole.length);
  });
});
