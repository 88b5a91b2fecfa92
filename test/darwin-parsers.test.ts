import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  acceleratorsFromIoreg,
  hidIdleSecondsFromIoreg,
  IOREG_ACCELERATOR_ARGS,
  IOREG_HID_IDLE_ARGS,
} from '../main/engine/platform/darwin/ioreg-gpu.js';
import { IoData, parseIoreg, parseIoValue } from '../main/engine/platform/darwin/ioreg-parse.js';
import {
  PowermetricsAssembler,
  parsePowermetrics,
  parseTaskRow,
  powermetricsArgs,
  tasksHeaderColumns,
} from '../main/engine/platform/darwin/powermetrics-parse.js';
import {
  PS_ARGS_COLUMNS,
  PS_IDENTITY_COLUMNS,
  parseCpuTime,
  parseLstart,
  parsePsArgs,
  parsePsIdentity,
  parsePsTick,
  psEnv,
  psIdentityArgs,
  psTickArgs,
} from '../main/engine/platform/darwin/ps-parse.js';
import { captured, REPO_ROOT } from './captured.js';

const HAND = join(REPO_ROOT, 'test', 'fixtures', 'darwin');
const hand = (name: string): string => readFileSync(join(HAND, name), 'utf8');
const real = (name: string): string => readFileSync(captured('macos', name), 'utf8');

describe('ioreg text', () => {
  it('reads the real M1 Pro IOAccelerator capture (cut before the node closes)', () => {
    const text = real('exelban-stats-issue1094-M1Pro-ioreg-IOAccelerator-firstpart.txt');
    const [node, ...rest] = parseIoreg(text);
    expect(rest).toEqual([]);
    expect(node?.name).toBe('AGXAcceleratorG13X');
    expect(node?.className).toBe('AGXAcceleratorG13X');
    expect(node?.registryId).toBe('0x10000087c');
    expect(node?.badProps).toBe(0);
    expect(node?.props.IOMatchedAtBoot).toBe(true);
    expect(node?.props.SCMVersionNumber).toBe('');
    expect(node?.props.AGCInfo).toEqual({ fLastSubmissionPID: 390, fSubmissionsSinceLastCheck: 0, fBusyCount: 0 });
    expect(node?.props['vendor-id']).toEqual(new IoData('6b100000'));

    expect(acceleratorsFromIoreg(text)).toEqual([
      {
        id: 'ioreg:0x10000087c',
        vendor: 'apple',
        name: 'Apple GPU (t6000)',
        memoryMiB: null,
        util: 2, // "Device Utilization %"=2
        memUsedMiB: 325, // "In use system memory"=340983808 bytes
        rendererUtil: 2,
        tilerUtil: 2,
      },
    ]);
  });

  it('reads hand-made Intel and AMD accelerators (no real capture exists: see test/fixtures/darwin/README.md)', () => {
    const gpus = acceleratorsFromIoreg(hand('ioreg-IOAccelerator-intel-amd.txt'));
    expect(gpus.map((g) => [g.id, g.vendor, g.name, g.util, g.memoryMiB, g.memUsedMiB])).toEqual([
      ['ioreg:0x100000520', 'intel', 'IntelAccelerator', 4, null, 0],
      ['ioreg:0x100000a3b', 'amd', 'AMD Radeon Pro 5500M', 87, 4096, 1536],
    ]);
    const amd = parseIoreg(hand('ioreg-IOAccelerator-intel-amd.txt'))[1];
    expect(amd?.props.SurfaceList).toEqual([
      { surfaceID: 1, size: [2880, 1800] },
      { surfaceID: 2, size: [1024, 768] },
    ]);
  });

  it('parses every value form, and refuses incomplete ones instead of guessing', () => {
    expect(parseIoValue('0x1f')).toBe(31);
    expect(parseIoValue('-5')).toBe(-5);
    expect(parseIoValue('No')).toBe(false);
    expect(parseIoValue('"a \\"quoted\\" word"')).toBe('a "quoted" word');
    expect(parseIoValue('<"MacBookPro18,3">')).toEqual(
      new IoData(Buffer.from('MacBookPro18,3').toString('hex'), 'MacBookPro18,3'),
    );
    expect(parseIoValue('<>')).toEqual(new IoData(''));
    expect(parseIoValue('()')).toEqual([]);
    expect(parseIoValue('{}')).toEqual({});
    expect(parseIoValue('{"a"=(1,{"b"=<00ff>}),"c"="x,y}"}')).toEqual({ a: [1, { b: new IoData('00ff') }], c: 'x,y}' });
    for (const bad of ['{"a"=1', '(1,2', '"open', '<zz>', '{"a" 1}', '', '{"a"=1} trailing', '<"unterminated>']) {
      expect(parseIoValue(bad), bad).toBeUndefined();
    }
    expect(parseIoValue(`${'('.repeat(100)}${')'.repeat(100)}`)).toBeUndefined();
  });

  it('keeps what it could read from garbage, cut lines and nodes without properties', () => {
    expect(parseIoreg('')).toEqual([]);
    expect(parseIoreg('\u0000\u00ff random text\n{ "x" = 1 }\n')).toEqual([]);
    const nodes = parseIoreg(
      [
        '+-o AGXAcceleratorG14G  <class AGXAcceleratorG14G, id 0x1000009aa, registered, matched, active, busy 0 (1 ms), retain 30>',
        '    {',
        '      "PerformanceStatistics" = {"Device Utilization %"=97,"In use system mem',
        '      "model" = "Apple M2"',
        '    }',
        '+-o Cut',
      ].join('\n'),
    );
    expect(nodes).toHaveLength(1);
    expect(nodes[0]?.badProps).toBe(1);
    expect(acceleratorsFromIoreg(nodes.length ? '+-o X  <class X, id 0x1>\n' : '')).toEqual([
      {
        id: 'ioreg:0x1',
        vendor: 'other',
        name: 'X',
        memoryMiB: null,
        util: null,
        memUsedMiB: null,
        rendererUtil: null,
        tilerUtil: null,
      },
    ]);
    // Out-of-range percentages are clamped, not passed on.
    const wild = acceleratorsFromIoreg(
      '+-o AGXAcceleratorG13G  <class AGXAcceleratorG13G, id 0x2>\n  "PerformanceStatistics" = {"Device Utilization %"=250}\n',
    );
    expect(wild[0]?.util).toBe(100);
    expect(wild[0]?.vendor).toBe('apple');
  });

  it('reads HIDIdleTime in nanoseconds as seconds, the smallest of several', () => {
    expect(hidIdleSecondsFromIoreg(hand('ioreg-IOHIDSystem-HIDIdleTime.txt'))).toBeCloseTo(73.512345678, 9);
    const two = `${hand('ioreg-IOHIDSystem-HIDIdleTime.txt')}  | +-o IOHIDSystem  <class IOHIDSystem, id 0x2>\n  |   "HIDIdleTime" = 1500000000\n`;
    expect(hidIdleSecondsFromIoreg(two)).toBe(1.5);
    expect(hidIdleSecondsFromIoreg('+-o IOHIDSystem  <class IOHIDSystem, id 0x1>\n')).toBeNull();
    expect(hidIdleSecondsFromIoreg('garbage')).toBeNull();
  });

  it('asks ioreg with fixed argument arrays', () => {
    expect(IOREG_ACCELERATOR_ARGS).toEqual(['-r', '-d', '1', '-w', '0', '-c', 'IOAccelerator']);
    expect(IOREG_HID_IDLE_ARGS).toEqual(['-c', 'IOHIDSystem', '-d', '4', '-r', '-k', 'HIDIdleTime']);
  });
});

describe('powermetrics text', () => {
  it('reads the real gpu_power samples (M1 Pro, M3 cut short, M2 Air excerpt)', () => {
    const m1 = parsePowermetrics(real('applegpuinfo-issue7-M1Pro-powermetrics-gpu_power-sample.txt'));
    expect(m1).toEqual([
      {
        elapsedMs: 507.81,
        tasks: null,
        hasGpuColumn: false,
        gpu: { activePercent: 8.49, idlePercent: 91.51, activeFreqMHz: 389, powerMw: 14 },
        badRows: 0,
      },
    ]);
    const m3 = parsePowermetrics(real('applegpuinfo-issue15-M3-powermetrics-gpu_power-firstpart.txt'));
    expect(m3.map((s) => [s.elapsedMs, s.gpu])).toEqual([
      [502.26, { activePercent: 22.25, idlePercent: null, activeFreqMHz: 338, powerMw: null }],
    ]);
    const m2 = parsePowermetrics(real('applegpuinfo-issue6-M2Air-powermetrics-default-power-and-gpu-sections.txt'));
    expect(m2.map((s) => [s.elapsedMs, s.gpu])).toEqual([
      [null, { activePercent: 7.08, idlePercent: 92.92, activeFreqMHz: 444, powerMw: 4 }],
    ]);
  });

  it('reads the real M3 Max tasks table: names with spaces and digits, no GPU column', () => {
    const [s, ...more] = parsePowermetrics(real('mactop-issue2-M3Max-powermetrics-default-tasks-firstpart.txt'));
    expect(more).toEqual([]);
    expect(s?.elapsedMs).toBe(5016.82);
    expect(s?.hasGpuColumn).toBe(false);
    expect(s?.badRows).toBe(0);
    expect(s?.tasks?.map((t) => [t.name, t.pid, t.cpuMsPerS, t.gpuMsPerS])).toEqual([
      ['WindowServer', 370, 245.4, null],
      ['iTerm2', 49001, 58.6, null],
      ['powermetrics', 62747, 4.92, null],
      ['kernel_task', 0, 80.36, null],
      ['iStat Menus Status', 857, 21.64, null],
      ['iStatMenusDaemon', 549, 10.25, null],
      ['locationd', 348, 7.72, null],
      ['com.apple.AppleUserHIDDrivers', 539, 11.25, null],
      ['AlDente', 875, 3.78, null],
      ['Bartender 5', 994, 2.38, null],
    ]);
  });

  it('reads the hand-made --show-process-gpu blocks: GPU ms/s per task, summary rows skipped', () => {
    const samples = parsePowermetrics(hand('powermetrics-tasks-gpu_power-show-process-gpu.txt'));
    expect(samples).toHaveLength(2);
    const [a, b] = samples;
    expect(a?.hasGpuColumn).toBe(true);
    expect(a?.badRows).toBe(0);
    expect(a?.tasks?.map((t) => [t.name, t.pid, t.gpuMsPerS])).toEqual([
      ['WindowServer', 370, 38.21],
      ['xmrig', 4242, 912.5],
      ['Bartender 5', 994, 0],
      ['iStat Menus Status', 857, 0],
      ['kernel_task', 0, 0],
      // A name longer than its column shifts the row: read from the right instead.
      ['com.apple.WebKit.WebContent.Helper.X', 61234, 4.2],
    ]);
    expect(a?.gpu).toEqual({ activePercent: 96.51, idlePercent: 3.49, activeFreqMHz: 1398, powerMw: 5120 });
    // The second block: xmrig is gone, a new task appeared.
    expect(b?.tasks?.map((t) => [t.name, t.pid, t.gpuMsPerS])).toEqual([
      ['WindowServer', 370, 35],
      ['miner helper 2', 5151, 450],
    ]);
  });

  it('splits header groups into columns and refuses rows that do not fit', () => {
    const header =
      'Name                               ID     CPU ms/s  User%  Deadlines (<2 ms, 2-5 ms)  Wakeups (Intr, Pkg idle)  GPU ms/s';
    const cols = tasksHeaderColumns(header);
    expect(cols).toEqual([
      'ID',
      'CPU ms/s',
      'User%',
      'Deadlines <2 ms',
      'Deadlines 2-5 ms',
      'Wakeups Intr',
      'Wakeups Pkg idle',
      'GPU ms/s',
    ]);
    expect(tasksHeaderColumns('WindowServer  370  1.0')).toBeNull();
    const t = { columns: cols ?? [], idOffset: header.indexOf('ID'), cpuIndex: 1, gpuIndex: 7 };
    expect(parseTaskRow('xmrig', t)).toBeNull();
    expect(parseTaskRow('xmrig                              abc    1.0', t)).toBeNull();
    expect(parseTaskRow('                                   42     1.0', t)).toBeNull();
    expect(parseTaskRow('xmrig  4242  1.0  50.0  n/a  0  0  0  1.0', t)).toBeNull();
    // A row cut before its last columns still gives what it has.
    expect(parseTaskRow('xmrig                              4242   998.10', t)).toEqual({
      name: 'xmrig',
      pid: 4242,
      cpuMsPerS: 998.1,
      gpuMsPerS: null,
    });
  });

  it('assembles a stream: garbage, a block cut mid-table, error text before any block', () => {
    const asm = new PowermetricsAssembler();
    const lines = hand('powermetrics-tasks-gpu_power-show-process-gpu.txt').split('\n');
    expect(asm.push('powermetrics must be invoked as the superuser')).toBeNull();
    expect(asm.lastStray).toBe('powermetrics must be invoked as the superuser');
    const cut = lines.findIndex((l) => l.startsWith('xmrig'));
    const out = [];
    for (const l of lines.slice(0, cut)) {
      const s = asm.push(l);
      if (s) out.push(s);
    }
    asm.push('\u0000\u00ff garbage');
    // The next block's header ends the cut one: it keeps the rows read before the cut.
    for (const l of lines.slice(lines.findIndex((x, i) => i > cut && x.startsWith('*** Sampled')))) {
      const s = asm.push(l);
      if (s) out.push(s);
    }
    const last = asm.flush();
    if (last) out.push(last);
    expect(out.map((s) => [s.tasks?.map((t) => t.pid), s.badRows])).toEqual([
      [[370], 1],
      [[370, 5151], 0],
    ]);
    expect(asm.flush()).toBeNull();
  });

  it('runs powermetrics with one fixed argument array', () => {
    expect(powermetricsArgs(1000)).toEqual([
      '--samplers',
      'tasks,gpu_power',
      '--show-process-gpu',
      '-i',
      '1000',
      '-b',
      '1',
    ]);
    expect(powermetricsArgs(5)[4]).toBe('100');
  });
});

describe('ps text', () => {
  it('reads the per-tick listing: BSD cpu time, C-locale lstart, names with spaces, a garbage line', () => {
    const { rows, bad, firstBad } = parsePsTick(hand('ps-A-tick.txt'));
    expect(bad).toBe(1);
    expect(firstBad).toBe('garbage that is not a process row');
    expect(rows.map((r) => [r.pid, r.ppid, r.rssKiB, r.cpuSec, r.ucomm])).toEqual([
      [0, 0, 0, 291.63, 'kernel_task'],
      [1, 0, 13216, 62.11, 'launchd'],
      [370, 1, 212880, 7425.67, 'WindowServer'],
      [857, 1, 64048, 21.64, 'iStat Menus Stat'],
      [4242, 857, 9300, 74096.78, 'xmrig'],
      [61234, 1, null, 0, ''],
    ]);
    expect(rows[4]?.startTimeMs).toBe(new Date(2024, 4, 2, 9, 10, 1).getTime());
  });

  it('parses cpu times and start times strictly', () => {
    expect(parseCpuTime('0:00.03')).toBe(0.03);
    expect(parseCpuTime('1:02:03')).toBe(3723);
    expect(parseCpuTime('2-01:00:00')).toBe(176400);
    expect(parseCpuTime('0:00,5')).toBe(0.5);
    for (const bad of ['-', '', '1:75.00', 'abc', '1.5']) expect(parseCpuTime(bad), bad).toBeNull();
    expect(parseLstart('Thu May  2 09:13:49 2024')).toBe(new Date(2024, 4, 2, 9, 13, 49).getTime());
    for (const bad of ['jeu. 2 mai 09:13:49 2024', 'Thu Foo  2 09:13:49 2024', 'Thu May 32 09:13:49 2024', '']) {
      expect(parseLstart(bad), bad).toBeNull();
    }
  });

  it('reads identities: full paths with spaces, parenthesised names ps could not read, argv[0] names', () => {
    const ids = parsePsIdentity(hand('ps-identity.txt'));
    expect(ids.get(0)).toEqual({ pid: 0, user: 'root', exe: null, name: 'kernel_task', denied: true });
    expect(ids.get(857)).toEqual({
      pid: 857,
      user: 'alice',
      exe: '/Applications/iStat Menus.app/Contents/MacOS/iStat Menus Status',
      name: 'iStat Menus Status',
      denied: false,
    });
    expect(ids.get(62000)).toEqual({ pid: 62000, user: 'alice', exe: null, name: 'zsh', denied: false });
    const args = parsePsArgs(hand('ps-args.txt'));
    expect(args.get(4242)).toBe('/Users/Shared/.cache/xmrig -o pool.hashvault.pro:443 --donate-level 1');
    expect(args.size).toBe(6);
  });

  it('builds ps commands as argument arrays, always in the C locale', () => {
    expect(psTickArgs()).toEqual(['-A', '-o', 'pid=,ppid=,rss=,time=,lstart=,ucomm=']);
    expect(psIdentityArgs(PS_IDENTITY_COLUMNS, [1, 370, 4242])).toEqual([
      '-ww',
      '-o',
      'pid=,user=,comm=',
      '-p',
      '1,370,4242',
    ]);
    expect(psIdentityArgs(PS_ARGS_COLUMNS, 'all')).toEqual(['-ww', '-A', '-o', 'pid=,args=']);
    expect(psEnv({ PATH: '/usr/bin', LC_ALL: 'fr_FR.UTF-8', LANG: 'fr_FR.UTF-8' })).toEqual({
      PATH: '/usr/bin',
      LC_ALL: 'C',
      LANG: 'fr_FR.UTF-8',
    });
  });
});
