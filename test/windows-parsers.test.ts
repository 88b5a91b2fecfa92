import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiXml } from '../main/engine/platform/nvidia/xml-parse.js';
import {
  helperArgs,
  helperScript,
  IDENT_BATCH,
  identRequest,
  idleRequest,
  SAMPLER_COUNTERS,
  samplerArgs,
  samplerScript,
} from '../main/engine/platform/win32/commands.js';
import {
  aggregateGpu,
  type CounterFrame,
  canonicalEngineType,
  parseCounterPath,
  parseGpuEngineInstance,
  parseGpuMemoryInstance,
  parseIdentRows,
  parseSamplerLine,
} from '../main/engine/platform/win32/counter-parse.js';
import { defaultPowershellPath } from '../main/engine/platform/win32/index.js';
import { instanceBase } from '../main/engine/platform/win32/windows-procs.js';
import { captured } from './captured.js';

// Hand-made fixtures (no real capture of these counters exists: see test/fixtures/windows/README.md).
const FIX = join(import.meta.dirname, 'fixtures', 'windows');
const lines = (name: string) =>
  readFileSync(join(FIX, name), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);

function frames(name: string): CounterFrame[] {
  return lines(name).flatMap((l) => {
    const p = parseSamplerLine(l);
    return p.kind === 'frame' ? [p.frame] : [];
  });
}

describe('GPU counter instance names', () => {
  it('parses pid, LUID, physical adapter, engine index and type', () => {
    expect(parseGpuEngineInstance('pid_1234_luid_0x00000000_0x0000D1A4_phys_0_eng_0_engtype_3D')).toEqual({
      pid: 1234,
      luid: '0x00000000_0x0000d1a4',
      phys: 0,
      eng: 0,
      engType: '3D',
    });
    // The one real fragment known (oshi/oshi PR #2114): Get-Counter lower-cases the type.
    expect(parseGpuEngineInstance('pid_10472_luid_0x00000000_0x0000f814_phys_0_eng_0_engtype_3d')?.engType).toBe('3D');
  });

  it('normalizes odd LUIDs: short hex, a non-zero high part, upper-case digits', () => {
    expect(parseGpuEngineInstance('pid_7_luid_0x1_0xA1B2_phys_1_eng_12_engtype_Copy')).toMatchObject({
      luid: '0x00000001_0x0000a1b2',
      phys: 1,
      eng: 12,
      engType: 'Copy',
    });
    expect(parseGpuEngineInstance('PID_7_LUID_0X0_0XFFFFFFFF_PHYS_0_ENG_0_ENGTYPE_VIDEOENCODE')).toMatchObject({
      luid: '0x00000000_0xffffffff',
      engType: 'VideoEncode',
    });
  });

  it('canonicalizes known engine types and keeps unknown ones as received', () => {
    const types = [
      '3d',
      'copy',
      'videodecode',
      'videoencode',
      'videoprocessing',
      'compute_0',
      'compute_1',
      'cuda',
      'graphics_1',
      'security',
      'timer0',
      'legacyoverlay',
    ].map(canonicalEngineType);
    expect(types).toEqual([
      '3D',
      'Copy',
      'VideoDecode',
      'VideoEncode',
      'VideoProcessing',
      'Compute_0',
      'Compute_1',
      'Cuda',
      'Graphics_1',
      'Security',
      'Timer0',
      'LegacyOverlay',
    ]);
    expect(parseGpuEngineInstance('pid_5_luid_0x0_0x1_phys_0_eng_3_engtype_High Priority Compute')?.engType).toBe(
      'High Priority Compute',
    );
    expect(canonicalEngineType('NeuralProcessor_2')).toBe('NeuralProcessor_2');
  });

  it('rejects malformed names instead of guessing', () => {
    for (const bad of [
      'pid_1234_luid_0x00000000_0x0000D1A4_phys_0', // a memory instance
      'pid_x_luid_0x0_0x1_phys_0_eng_0_engtype_3D',
      'pid_1_luid_0x0_phys_0_eng_0_engtype_3D',
      'pid_1_luid_0x0_0x1_phys_0_eng_0_engtype_',
      'pid_99999999999_luid_0x0_0x1_phys_0_eng_0_engtype_3D',
      'chrome#3',
      '',
    ]) {
      expect(parseGpuEngineInstance(bad), bad).toBeNull();
    }
    expect(parseGpuMemoryInstance('pid_1234_luid_0x00000000_0x0000D1A4_phys_0')).toEqual({
      pid: 1234,
      luid: '0x00000000_0x0000d1a4',
      phys: 0,
    });
    expect(parseGpuMemoryInstance('pid_1234_luid_0x00000000_0x0000D1A4_phys_0_eng_0_engtype_3D')).toBeNull();
  });
});

describe('counter paths', () => {
  it('splits machine, object, instance and counter, lower-casing object and counter', () => {
    expect(parseCounterPath('\\\\winbox\\process(chrome#3)\\% processor time')).toEqual({
      object: 'process',
      instance: 'chrome#3',
      counter: '% processor time',
    });
    expect(parseCounterPath('\\Processor(_Total)\\% Processor Time')).toEqual({
      object: 'processor',
      instance: '_Total',
      counter: '% processor time',
    });
    expect(parseCounterPath('\\\\pc\\process(setup (x86))\\id process')?.instance).toBe('setup (x86)');
    expect(parseCounterPath('\\\\pc\\memory\\available bytes')).toEqual({
      object: 'memory',
      instance: null,
      counter: 'available bytes',
    });
    for (const bad of ['', 'process(x)\\id', '\\\\pc', '\\\\pc\\process(x\\id', '\\\\pc\\process(x)\\']) {
      expect(parseCounterPath(bad), bad).toBeNull();
    }
  });

  it('maps counter instance names back to the image name only for display', () => {
    expect(instanceBase('chrome#3')).toBe('chrome');
    expect(instanceBase('chrome')).toBe('chrome');
    expect(instanceBase('a#b#12')).toBe('a#b');
  });
});

describe('sampler lines (hand-made fixtures)', () => {
  it('reads the greeting, three samples, and treats warnings and torn lines as garbage', () => {
    const parsed = lines('sampler-stream.jsonl').map(parseSamplerLine);
    expect(parsed.map((p) => p.kind)).toEqual(['hello', 'frame', 'garbage', 'garbage', 'frame', 'frame']);
    expect(parsed[0]).toEqual({
      kind: 'hello',
      hello: { culture: 'en-US', uiCulture: 'en-US', psVersion: '5.1.19041.4648' },
    });
    expect(parsed[2]).toEqual({
      kind: 'garbage',
      text: 'WARNING: The data in one of the performance counter samples is not valid.',
    });
    for (const bad of ['', '{', '[]', 'null', '{"t":"x","s":[]}', '{"t":1}', '{"hello":2}']) {
      expect(parseSamplerLine(bad).kind, bad).toBe('garbage');
    }
  });

  it('maps process instances by ID Process, drops Idle and _Total, and decodes the creation FILETIME', () => {
    const [f1] = frames('sampler-stream.jsonl');
    expect(f1?.atMs).toBe(T0);
    expect(f1?.cpuTotal).toBe(37.5);
    expect(f1?.has).toEqual({ process: true, processor: true, gpuEngine: true, gpuMemory: true });
    expect(f1?.procs.map((p) => [p.instance, p.pid, p.ppid])).toEqual([
      ['system', 4, 0],
      ['svchost', 800, 640],
      ['chrome', 1200, 1100],
      ['chrome#1', 1300, 1200],
      ['xmrig', 4242, 3000],
    ]);
    const xmrig = f1?.procs.find((p) => p.pid === 4242);
    expect(xmrig).toEqual({
      instance: 'xmrig',
      pid: 4242,
      ppid: 3000,
      cpu100ns: 1000 * 1e7,
      startTimeMs: T0 - 600_000,
      workingSetBytes: 2048 * 1024,
    });
    expect(f1?.gpuEngineInstances).toBe(24);
  });

  it('follows processes appearing, exiting mid-sample and counter sets vanishing', () => {
    const [, f2, f3] = frames('sampler-stream.jsonl');
    // chrome#1 is now another process: the instance name is not an identity.
    expect(f2?.procs.find((p) => p.instance === 'chrome#1')?.pid).toBe(1400);
    expect(f2?.procs.map((p) => p.pid)).toContain(5000);
    // xmrig exited between Get-Counter's two reads: every counter of it carries NO_INSTANCE.
    expect(f3?.procs.map((p) => p.pid)).toEqual([4, 800, 1200, 1400, 5000]);
    expect(f3?.skipped).toBe(5);
    expect(f3?.has.gpuMemory).toBe(false);
    expect(f3?.gpuMemory).toEqual([]);
  });

  it('falls back to the cooked age when the raw Elapsed Time is not a FILETIME', () => {
    const line = JSON.stringify({
      t: T0,
      s: [
        ['\\\\pc\\process(a)\\id process', 10, 10, 0],
        ['\\\\pc\\process(a)\\elapsed time', 12345, 60.4, 0],
        ['\\\\pc\\process(b)\\elapsed time', 1, 1, 0], // no ID Process: dropped
        ['\\\\pc\\process(c)\\id process', 11, 11, 0],
        ['\\\\pc\\gpu engine(garbage)\\utilization percentage', 0, 5, 0],
        'not an array',
        ['\\\\pc\\process(d)\\id process', 'x', 1, 0],
      ],
    });
    const p = parseSamplerLine(line);
    expect(p.kind).toBe('frame');
    if (p.kind !== 'frame') return;
    expect(p.frame.procs).toEqual([
      { instance: 'a', pid: 10, ppid: null, cpu100ns: null, startTimeMs: T0 - 60_000, workingSetBytes: null },
      { instance: 'c', pid: 11, ppid: null, cpu100ns: null, startTimeMs: null, workingSetBytes: null },
    ]);
    expect(p.frame.skipped).toBe(3);
  });

  it('reports a localized Windows: no sample, the error text and the culture', () => {
    const parsed = lines('sampler-localized-de.jsonl').map(parseSamplerLine);
    expect(parsed[0]).toMatchObject({ kind: 'hello', hello: { culture: 'de-DE' } });
    const f = parsed[1]?.kind === 'frame' ? parsed[1].frame : null;
    expect(f?.has).toEqual({ process: false, processor: false, gpuEngine: false, gpuMemory: false });
    expect(f?.errors[0]).toBe('Das angegebene Objekt wurde nicht auf dem Computer gefunden.');
  });
});

describe('GPU aggregation (Task Manager rule)', () => {
  it('sums engines of one type per process, reports the busiest type, per device over processes', () => {
    const [f1, f2, f3] = frames('sampler-stream.jsonl');
    const a1 = aggregateGpu(f1!);
    const MiB = 1024 * 1024;
    expect(a1.procs).toEqual([
      {
        pid: 1200,
        device: 'luid_0x00000000_0x0000d1a4_phys_0',
        util: 12.5,
        engType: '3D',
        dedicatedBytes: 200 * MiB,
        sharedBytes: 50 * MiB,
      },
      // Compute_0 and Compute_1 are two engine types: the max of the two, not their sum.
      {
        pid: 4242,
        device: 'luid_0x00000000_0x0000d1a4_phys_0',
        util: 55,
        engType: 'Compute_0',
        dedicatedBytes: 1500 * MiB,
        sharedBytes: 10 * MiB,
      },
    ]);
    expect(a1.devices).toEqual([
      {
        device: 'luid_0x00000000_0x0000d1a4_phys_0',
        luid: '0x00000000_0x0000d1a4',
        phys: 0,
        util: 55,
        engType: 'Compute_0',
        dedicatedBytes: 1700 * MiB,
        sharedBytes: 60 * MiB,
      },
    ]);
    const a2 = aggregateGpu(f2!);
    // Two Cuda engines add up (75); an unknown type keeps its name and can be the busiest.
    expect(a2.procs.find((p) => p.pid === 5000)).toMatchObject({ util: 99, engType: 'neuralprocessor_2' });
    expect(a2.devices[0]?.util).toBe(99);
    // Two Cuda engines at 100 each: capped at 100.
    const a3 = aggregateGpu(f3!);
    expect(a3.procs).toEqual([
      {
        pid: 5000,
        device: 'luid_0x00000000_0x0000d1a4_phys_0',
        util: 100,
        engType: 'Cuda',
        dedicatedBytes: null,
        sharedBytes: null,
      },
    ]);
  });

  it('keeps a process that holds GPU memory with every engine idle', () => {
    const f: CounterFrame = {
      ...frames('sampler-stream.jsonl')[0]!,
      gpuEngines: [],
    };
    const a = aggregateGpu(f);
    expect(a.procs.map((p) => [p.pid, p.util, p.engType])).toEqual([
      [1200, 0, null],
      [4242, 0, null],
    ]);
    expect(a.devices[0]?.util).toBe(0);
  });
});

describe('commands built as argument arrays', () => {
  it('builds the sampler command exactly', () => {
    const script = samplerScript(2, 1234);
    expect(samplerArgs(2, 1234)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
      script,
    ]);
    for (const c of SAMPLER_COUNTERS) expect(script).toContain(`'${c}'`);
    expect(script).toContain('Get-Counter -Counter $paths -SampleInterval 2 -MaxSamples 1');
    expect(script).toContain('Get-Process -Id 1234 ');
    expect(script).not.toContain('-Continuous');
    expect(samplerScript(0.2, 1)).toContain('-SampleInterval 1 ');
  });

  it('keeps double quotes out of both scripts and only checked integers in them', () => {
    expect(samplerScript(2, 1234)).not.toContain('"');
    expect(helperScript()).not.toContain('"');
    expect(helperArgs()).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
      helperScript(),
    ]);
    expect(helperScript()).toContain('GetLastInputInfo');
    expect(helperScript()).toContain('Get-CimInstance -ClassName Win32_Process -Filter $filter');
    expect(() => samplerScript(2, -1)).toThrow(/pid/);
    expect(() => samplerScript(2, 1.5)).toThrow(/pid/);
    expect(() => samplerScript(Number.NaN, 1)).toThrow(/period/);
  });

  it('builds helper requests from integers only, in bounded batches', () => {
    expect(identRequest(7, [4, 800, 4242])).toBe('7 ident 4,800,4242');
    expect(idleRequest(8)).toBe('8 idle');
    expect(() => identRequest(1, [])).toThrow();
    expect(() =>
      identRequest(
        1,
        Array.from({ length: IDENT_BATCH + 1 }, (_, i) => i + 1),
      ),
    ).toThrow();
    expect(() => identRequest(1, [1, Number.NaN])).toThrow(/pid/);
    expect(() => identRequest(1, [1, 2.5])).toThrow(/pid/);
  });

  it("runs Windows' own powershell.exe by full path", () => {
    expect(defaultPowershellPath({ SystemRoot: 'D:\\Win' })).toBe(
      'D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    );
    expect(defaultPowershellPath({})).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
  });

  it('parses identity rows and drops malformed ones', () => {
    const ident = JSON.parse(readFileSync(join(FIX, 'helper-ident.json'), 'utf8')) as Record<string, unknown>;
    const rows = parseIdentRows([ident['4'], ident['4242'], [0, 0, 'Idle'], 'x', [Number.NaN]]);
    expect(rows).toEqual([
      { pid: 4, ppid: 0, name: 'System', exe: null, cmdline: '', startTimeMs: T0 - 86_400_000, user: null },
      {
        pid: 4242,
        ppid: 3000,
        name: 'xmrig.exe',
        exe: 'C:\\Users\\alice\\AppData\\Local\\Temp\\xmrig.exe',
        cmdline:
          'C:\\Users\\alice\\AppData\\Local\\Temp\\xmrig.exe -o pool.minexmr.com:4444 -u 4Abc "--cpu-max-threads-hint=50"',
        startTimeMs: T0 - 600_000,
        user: 'WINBOX\\alice',
      },
    ]);
    expect(parseIdentRows(null)).toEqual([]);
  });
});

describe('real nvidia-smi capture from Windows (shared fixtures)', () => {
  it('shows why per-process GPU memory comes from the counters on Windows: WDDM hides it from nvidia-smi', () => {
    const log = parseNvidiaSmiXml(readFileSync(captured('nvidia-smi', 'xml', 'netdata-rtx-2080-win-wddm.xml'), 'utf8'));
    const procs = log.gpus.flatMap((g) => g.processes);
    expect(procs.length).toBeGreaterThan(20);
    expect(procs.every((p) => p.usedMemoryMiB === null)).toBe(true);
  });
});
