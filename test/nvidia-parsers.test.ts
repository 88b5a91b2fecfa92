import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  gpuRowFromRecord,
  parseComputeApps,
  parseQueryGpuLine,
  parseSmiCsv,
  QUERY_COMPUTE_APPS_FIELDS,
  QUERY_GPU_FIELD_SETS,
} from '../main/engine/platform/nvidia/csv-parse.js';
import { procsFromFrame } from '../main/engine/platform/nvidia/nvidia-collector.js';
import {
  type PmonFrame,
  PmonFrameAssembler,
  parsePmon,
  parsePmonLine,
} from '../main/engine/platform/nvidia/pmon-parse.js';
import { classifyQueryGpuRun, describeSmiExit, smiGarbageReason } from '../main/engine/platform/nvidia/smi-probe.js';
import { parseSmiNumber } from '../main/engine/platform/nvidia/smi-values.js';
import { parseNvidiaSmiXml, parseXml, XmlParseError } from '../main/engine/platform/nvidia/xml-parse.js';
import { captured } from './captured.js';

const read = (...parts: string[]): string => readFileSync(captured(...parts), 'utf8');
const list = (dir: string): string[] => readdirSync(captured('nvidia-smi', dir)).sort();

function lastFrame(name: string): PmonFrame {
  const frame = parsePmon(read('nvidia-smi', 'pmon', name)).frames.at(-1);
  if (!frame) throw new Error(`no frame in ${name}`);
  return frame;
}

const proc = (frame: PmonFrame | undefined, gpu: number, pid: number) =>
  frame?.procs.find((p) => p.gpu === gpu && p.pid === pid);

describe(`pmon captures`, () => {
  // Expected [frames, processes in every frame, GPUs per frame] for each capture: every
  // file in the folder must be listed here, so a new capture cannot go untested.
  const expected: Record<string, { frames: number; procs: number; gpus: number[]; fb: boolean; cols: string }> = {
    'candy-top-skynet2-drv595.91.07-pmon-c1-sum.txt': {
      frames: 1,
      procs: 6,
      gpus: [0, 1, 2, 3],
      fb: true,
      cols: 'gpu pid type sm mem enc dec jpg ofa fb ccpm command',
    },
    'nvge-linux-h100-drv590.48.01-pmon-c5-idle-noprocs.txt': {
      frames: 5,
      procs: 0,
      gpus: [0],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
    'nvge-linux-h200-drv590.48.01-pmon-c5-load.txt': {
      frames: 5,
      procs: 3,
      gpus: [0],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
    'nvge-linux-rtx2080super-drv610.57.04-pmon-c5-idle.txt': {
      frames: 5,
      procs: 2,
      gpus: [0],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
    'nvge-linux-rtx2080super-drv610.57.04-pmon-c5-load.txt': {
      frames: 5,
      procs: 4,
      gpus: [0],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
    'nvge-linux-rtx4080super-drv595.71.05-pmon-c5-load.txt': {
      frames: 5,
      procs: 7,
      gpus: [0],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
    'nvge-windows-rtx2080super-drv610.62-pmon-c5-load.txt': {
      frames: 5,
      procs: 21,
      gpus: [0],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
    'sonar-issue170-drv545.23.08-pmon-c1-su.txt': {
      frames: 1,
      procs: 6,
      gpus: [0, 1, 2],
      fb: false,
      cols: 'gpu pid type sm mem enc dec command',
    },
    'sonar-issue170-drv550.54.14-pmon-c1-su-idle.txt': {
      frames: 1,
      procs: 0,
      gpus: [0, 1, 2, 3],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
    'sonar-issue183-drv560.35.03-pmon-c1-su.txt': {
      frames: 1,
      procs: 1,
      gpus: [0, 1, 2, 3],
      fb: false,
      cols: 'gpu pid type sm mem enc dec jpg ofa command',
    },
  };

  it.each(list('pmon'))('%s: frames, column set and no garbage', (name) => {
    const want = expected[name];
    expect(want, `add expectations for new capture ${name}`).toBeDefined();
    if (!want) return;
    const parsed = parsePmon(read('nvidia-smi', 'pmon', name));
    expect(parsed.columns?.join(' ')).toBe(want.cols);
    expect(parsed.garbageLines).toBe(0);
    expect(parsed.frames).toHaveLength(want.frames);
    for (const frame of parsed.frames) {
      expect(frame.procs).toHaveLength(want.procs);
      expect(frame.gpus).toEqual(want.gpus);
      expect(frame.hasFb).toBe(want.fb);
    }
  });

  it('h200 load: gpu_burn (pid 10309) at 99 % from sm; memhog idle rows are null, not 0', () => {
    const frames = parsePmon(read('nvidia-smi', 'pmon', 'nvge-linux-h200-drv590.48.01-pmon-c5-load.txt')).frames;
    expect(proc(frames[0], 0, 10309)).toMatchObject({ name: 'gpu_burn', type: 'C', util: 99, memBandwidth: 7 });
    expect(proc(frames[0], 0, 10291)).toMatchObject({ name: 'memhog', util: null, fbMiB: null });
    // The fourth period: gpu_burn dropped to 79 while memhog ran at 19.
    expect(proc(frames[3], 0, 10309)?.util).toBe(79);
    expect(proc(frames[3], 0, 10291)?.util).toBe(19);
  });

  it('rtx2080super load: ffmpeg 28511 is 49 % busy from the encoder column, not sm (3) or mem', () => {
    const frames = parsePmon(
      read('nvidia-smi', 'pmon', 'nvge-linux-rtx2080super-drv610.57.04-pmon-c5-load.txt'),
    ).frames;
    const ffmpeg = proc(frames[0], 0, 28511);
    expect(ffmpeg).toMatchObject({ name: 'ffmpeg', type: 'C', util: 49, memBandwidth: 1 });
    expect(ffmpeg?.engines).toEqual({ sm: 3, enc: 49, dec: null, jpg: null, ofa: null });
    // Period 4: sm not measured, encoder still 49.
    expect(proc(frames[3], 0, 28511)?.util).toBe(49);
    expect(proc(frames[0], 0, 1720)).toMatchObject({ name: 'gnome-shell', type: 'G', util: null });
  });

  it('sonar drv545: the pre-550 column set (no jpg/ofa) and a pid on three GPUs', () => {
    const frame = lastFrame('sonar-issue170-drv545.23.08-pmon-c1-su.txt');
    expect(proc(frame, 0, 1174916)).toMatchObject({ util: 88, memBandwidth: 54, name: 'python' });
    expect(proc(frame, 1, 1174916)?.util).toBe(92);
    expect(proc(frame, 2, 1174916)?.util).toBe(89);
    expect(proc(frame, 2, 941737)).toMatchObject({ util: null, name: 'python3' });
    expect(proc(frame, 0, 1174916)?.engines).toEqual({ sm: 88, enc: null, dec: null });
  });

  it('candy-top: fb column after ofa gives process memory (90480 MB), names truncated to 15', () => {
    const frame = lastFrame('candy-top-skynet2-drv595.91.07-pmon-c1-sum.txt');
    expect(proc(frame, 0, 2094147)).toMatchObject({ util: 92, fbMiB: 90480, name: 'sglang::schedul', type: 'C' });
    expect(proc(frame, 3, 377814)).toMatchObject({ util: 100, fbMiB: 47560, name: 'sgl_diffusion::' });
    // Same pid on two GPUs: two rows, one per GPU.
    expect(proc(frame, 2, 377306)).toMatchObject({ util: null, fbMiB: 550, name: 'python3' });
    expect(proc(frame, 3, 377306)).toMatchObject({ util: null, fbMiB: 550 });
  });

  it('rows with pid "-" mean an idle GPU: no processes, but the GPU is in the frame', () => {
    const idle = lastFrame('sonar-issue170-drv550.54.14-pmon-c1-su-idle.txt');
    expect(idle.procs).toEqual([]);
    expect(idle.gpus).toEqual([0, 1, 2, 3]);
    const mixed = lastFrame('sonar-issue183-drv560.35.03-pmon-c1-su.txt');
    expect(mixed.procs).toEqual([expect.objectContaining({ gpu: 0, pid: 1647159, util: 0, memBandwidth: 0 })]);
  });

  it('rtx4080super: C+G kwin_wayland with only the decoder measured (0) has util 0, not null', () => {
    const frame = lastFrame('nvge-linux-rtx4080super-drv595.71.05-pmon-c5-load.txt');
    expect(proc(frame, 0, 2165)).toMatchObject({ type: 'C+G', util: 0, name: 'kwin_wayland' });
    expect(proc(frame, 0, 3527)?.name).toBe('xwaylandvideobr');
    expect(proc(frame, 0, 5022)?.util).toBe(55);
  });

  it('windows: headers repeated mid-frame do not split frames; names with spaces survive', () => {
    const frames = parsePmon(read('nvidia-smi', 'pmon', 'nvge-windows-rtx2080super-drv610.62-pmon-c5-load.txt')).frames;
    for (const f of frames) expect(new Set(f.procs.map((p) => p.pid)).size).toBe(21);
    expect(proc(frames[0], 0, 12940)).toMatchObject({ util: 99, name: 'ffmpeg.exe' });
    expect(proc(frames[1], 0, 12940)?.util).toBe(7);
    expect(proc(frames[2], 0, 12940)?.util).toBe(49);
    expect(proc(frames[0], 0, 15964)).toMatchObject({ name: 'NVIDIA Overlay.', type: 'C+G', util: null });
  });

  it('a frame of pmon rows becomes GpuProcReadings with memory from fb or from compute-apps', () => {
    const withFb = procsFromFrame(lastFrame('candy-top-skynet2-drv595.91.07-pmon-c1-sum.txt'), null);
    expect(withFb).toContainEqual({
      pid: 2094147,
      gpuId: '0',
      util: 92,
      memMiB: 90480,
      name: 'sglang::schedul',
      kind: 'C',
    });
    const apps = new Map([['0:10309', 28234]]);
    const noFb = procsFromFrame(lastFrame('nvge-linux-h200-drv590.48.01-pmon-c5-load.txt'), apps);
    expect(noFb).toContainEqual({ pid: 10309, gpuId: '0', util: 99, memMiB: 28234, name: 'gpu_burn', kind: 'C' });
    expect(noFb.find((p) => p.pid === 10291)?.memMiB).toBeNull();
  });
});

describe('pmon stream assembly (synthetic lines)', () => {
  const HEADER = '# gpu         pid   type     sm    mem    enc    dec    jpg    ofa    command ';
  const UNITS = '# Idx           #    C/G      %      %      %      %      %      %    name ';
  const row = (gpu: number, pid: number | '-', sm: string) =>
    `    ${gpu}    ${pid}     C     ${sm}      -      -      -      -      -    miner          `;

  it('closes a frame when the gpu index goes back or a (gpu, pid) repeats, and on flush()', () => {
    const asm = new PmonFrameAssembler();
    const done: PmonFrame[] = [];
    for (const l of [HEADER, UNITS, row(0, 11, '90'), row(1, 12, '80'), row(0, 11, '91'), row(0, 13, '5')]) {
      const f = asm.push(l);
      if (f) done.push(f);
    }
    expect(done).toHaveLength(1);
    expect(done[0]?.procs.map((p) => p.pid)).toEqual([11, 12]);
    expect(asm.push(row(0, 13, '6'))?.procs.map((p) => [p.pid, p.util])).toEqual([
      [11, 91],
      [13, 5],
    ]);
    expect(asm.flush()?.procs.map((p) => p.util)).toEqual([6]);
    expect(asm.flush()).toBeNull();
  });

  it('a header with other columns ends the frame and switches the column set', () => {
    const asm = new PmonFrameAssembler();
    asm.push(HEADER);
    asm.push(row(0, 11, '90'));
    const frame = asm.push('# gpu pid type fb sm mem enc dec command');
    expect(frame?.procs).toHaveLength(1);
    asm.push('    0   11   C   2048   70   3   -   -   miner');
    expect(asm.flush()?.procs[0]).toMatchObject({ fbMiB: 2048, util: 70, memBandwidth: 3 });
  });

  it('counts garbage and rows before any header, tolerates CRLF, blank lines and trailing spaces', () => {
    const asm = new PmonFrameAssembler();
    asm.push('    0    11     C     90      -      -      -    x');
    asm.push('Failed to initialize NVML: Driver/library version mismatch');
    expect(asm.garbageLines).toBe(2);
    expect(asm.lastGarbage).toContain('NVML');
    asm.push(`${HEADER}\r`);
    asm.push('');
    asm.push(`${row(0, 11, '90')}\r`);
    asm.push('    0    xx     C     90      -      -      -      -      -    bad pid');
    asm.push('    0    12     C     9%      -      -      -      -      -    bad value');
    expect(asm.garbageLines).toBe(4);
    expect(asm.flush()?.procs).toEqual([expect.objectContaining({ pid: 11, util: 90, name: 'miner' })]);
  });

  it('reads rows through the header: a line too short for it is garbage', () => {
    const cols = ['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'command'];
    expect(parsePmonLine('    0    11     C     90', cols).kind).toBe('garbage');
    expect(parsePmonLine('    0    11     C     90   1   -   -', cols)).toMatchObject({ kind: 'row' });
    expect(parsePmonLine('# Idx # C/G % % % % name', cols)).toEqual({ kind: 'comment' });
  });
});

describe(`csv captures`, () => {
  const csv = (name: string) => read('nvidia-smi', 'csv', name);

  it('every csv capture parses without bad lines', () => {
    const noHeader: Record<string, string[]> = {
      'gpu-utils-issue83-3gpu-power-draw-noheader-nounits.csv': ['power.draw'],
      'i3pystatus-pr776-query-gpu-noheader-nounits-NA.csv': [
        'memory.total',
        'memory.free',
        'memory.used',
        'temperature.gpu',
        'fan.speed',
        'utilization.gpu',
        'utilization.memory',
      ],
    };
    noHeader['i3pystatus-pr776-query-gpu-noheader-nounits-NotSupported-olddriver.csv'] =
      noHeader['i3pystatus-pr776-query-gpu-noheader-nounits-NA.csv'] ?? [];
    const files = list('csv').filter((f) => f.endsWith('.csv'));
    expect(files).toHaveLength(14);
    for (const f of files) {
      const table = parseSmiCsv(csv(f), noHeader[f]);
      expect(table.bad, f).toEqual([]);
      expect(table.fields.length, f).toBeGreaterThan(0);
    }
  });

  it('all-fields query (H200, RTX 2080 SUPER Linux and Windows): busiest engine and memory', () => {
    const one = (f: string) => {
      const rec = parseSmiCsv(csv(f)).rows[0];
      if (!rec) throw new Error(f);
      return gpuRowFromRecord(rec);
    };
    expect(one('nvge-linux-h200-drv590.48.01-query-gpu-allfields-load.csv')).toMatchObject({
      index: 0,
      name: 'NVIDIA H200',
      memoryTotalMiB: 143771,
      memoryUsedMiB: 32362,
      utilGpu: 100,
      util: 100,
    });
    // ffmpeg NVENC load: the encoder (100 %) is the busiest engine, 3D is at 8 %.
    expect(one('nvge-linux-rtx2080super-drv610.57.04-query-gpu-allfields-load.csv')).toMatchObject({
      utilGpu: 8,
      utilEncoder: 100,
      util: 100,
      memoryUsedMiB: 815,
      memoryTotalMiB: 8192,
    });
    expect(one('nvge-windows-rtx2080super-drv610.62-query-gpu-allfields-load.csv')).toMatchObject({
      utilGpu: 7,
      utilEncoder: 99,
      util: 99,
      memoryUsedMiB: 1366,
    });
  });

  it('every field set the collector asks for exists in the newest all-fields captures', () => {
    for (const f of [
      'nvge-linux-h200-drv590.48.01-query-gpu-allfields-load.csv',
      'nvge-linux-rtx2080super-drv610.57.04-query-gpu-allfields-load.csv',
    ]) {
      const fields = parseSmiCsv(csv(f)).fields;
      for (const set of QUERY_GPU_FIELD_SETS)
        for (const field of set) expect(fields, `${f}: ${field}`).toContain(field);
    }
  });

  it('units in values (bpytop: "2856 MiB", "36 %"), two GPUs', () => {
    const rows = parseSmiCsv(csv('bpytop-issue26-gtx1080ti-gtx1060-2gpu-query-gpu-csv.csv')).rows.map(gpuRowFromRecord);
    expect(rows).toEqual([
      expect.objectContaining({ name: 'GeForce GTX 1080 Ti', memoryTotalMiB: 11175, memoryUsedMiB: 2856, util: 36 }),
      expect.objectContaining({ name: 'GeForce GTX 1060 6GB', memoryTotalMiB: 6078, memoryUsedMiB: 4, util: 0 }),
    ]);
    const ti = parseSmiCsv(csv('bpytop-issue26-rtx2080ti-query-gpu-csv.csv')).rows.map(gpuRowFromRecord);
    expect(ti).toEqual([expect.objectContaining({ name: 'GeForce RTX 2080 Ti', memoryTotalMiB: 11019, util: 0 })]);
  });

  it('header with units, values without (netdata P100, no final newline); [N/A] fan', () => {
    const t = parseSmiCsv(csv('netdata-tesla-p100-query-gpu-csv-nounits.csv'));
    expect(t.rows[0]?.['fan.speed']).toBe('[N/A]');
    expect(parseSmiNumber(t.rows[0]?.['fan.speed'])).toBeNull();
    expect(gpuRowFromRecord(t.rows[0] ?? {})).toMatchObject({
      name: 'Tesla P100-PCIE-16GB',
      uuid: 'GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6',
      memoryUsedMiB: 0,
      util: 0,
    });
  });

  it('[N/A] and old-driver [Not Supported] cells read as null, the rest as numbers', () => {
    const fields = [
      'memory.total',
      'memory.free',
      'memory.used',
      'temperature.gpu',
      'fan.speed',
      'utilization.gpu',
      'utilization.memory',
    ];
    for (const f of [
      'i3pystatus-pr776-query-gpu-noheader-nounits-NA.csv',
      'i3pystatus-pr776-query-gpu-noheader-nounits-NotSupported-olddriver.csv',
    ]) {
      const rec = parseSmiCsv(csv(f), fields).rows[0] ?? {};
      expect(parseSmiNumber(rec['fan.speed']), f).toBeNull();
      expect(gpuRowFromRecord(rec)).toMatchObject({ memoryTotalMiB: 2004, memoryUsedMiB: 0, util: 0 });
    }
  });

  it('power-draw only capture (3 GPUs, noheader): decimals', () => {
    const t = parseSmiCsv(csv('gpu-utils-issue83-3gpu-power-draw-noheader-nounits.csv'), ['power.draw']);
    expect(t.rows.map((r) => parseSmiNumber(r['power.draw']))).toEqual([133.91, 189.84, 104.34]);
  });

  it('compute apps: "used_gpu_memory [MiB]" header, "2566 MiB" values, [N/A] on Windows, header-only idle', () => {
    const h200 = parseComputeApps(csv('nvge-linux-h200-drv590.48.01-query-compute-apps-load.csv'));
    expect(h200.apps).toEqual([
      {
        pid: 10291,
        gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000',
        usedMemoryMiB: 2566,
        name: '/root/tools/memhog',
      },
      {
        pid: 10293,
        gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000',
        usedMemoryMiB: 1542,
        name: '/root/tools/memhog',
      },
      { pid: 10309, gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', usedMemoryMiB: 28234, name: './gpu_burn' },
    ]);
    const linux = parseComputeApps(csv('nvge-linux-rtx2080super-drv610.57.04-query-compute-apps-load.csv'));
    expect(linux.apps.map((a) => [a.pid, a.usedMemoryMiB])).toEqual([
      [28512, 370],
      [28511, 230],
    ]);
    const win = parseComputeApps(csv('nvge-windows-rtx2080super-drv610.62-query-compute-apps-load.csv'));
    expect(win.apps).toHaveLength(21);
    expect(win.apps.every((a) => a.usedMemoryMiB === null)).toBe(true);
    expect(win.apps.find((a) => a.pid === 17840)?.name).toBe(
      'C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\149.0.4022.80\\msedgewebview2.exe',
    );
    expect(
      parseComputeApps(csv('nvge-linux-rtx2080super-drv610.57.04-query-compute-apps-idle-headeronly.csv')),
    ).toEqual({
      apps: [],
      skipped: 0,
    });
  });

  it('vGPU compute-apps query without pid: rows are read but skipped as processes', () => {
    const text = csv('dcgm-exporter-issue94-vgpu-query-compute-apps-csv.csv');
    expect(parseSmiCsv(text).rows.map((r) => r.process_name)).toEqual(['vgpu', 'vgpu', 'vgpu']);
    expect(parseComputeApps(text)).toEqual({ apps: [], skipped: 3 });
  });
});

describe('csv lines as the collector reads them (synthetic)', () => {
  const fields = QUERY_GPU_FIELD_SETS[0] ?? [];

  it('one loop line per GPU; [Not Supported]/[N/A] become null; busiest engine wins', () => {
    expect(
      parseQueryGpuLine('1, GPU-abc, NVIDIA GeForce RTX 3080, 10240, 9029, 12, 0, 71, [N/A], [N/A]', fields),
    ).toEqual({
      index: 1,
      uuid: 'GPU-abc',
      name: 'NVIDIA GeForce RTX 3080',
      memoryTotalMiB: 10240,
      memoryUsedMiB: 9029,
      utilGpu: 12,
      utilEncoder: 0,
      utilDecoder: 71,
      utilJpeg: null,
      utilOfa: null,
      util: 71,
    });
    const old = QUERY_GPU_FIELD_SETS[2] ?? [];
    expect(parseQueryGpuLine('0, GPU-x, Quadro 4000, 2048, 100, [Not Supported]', old)).toMatchObject({ util: null });
  });

  it('rejects error text, wrong field counts, non-numbers and a missing index', () => {
    expect(parseQueryGpuLine('Field "utilization.jpeg" is not a valid field to query.', fields)).toBeNull();
    expect(parseQueryGpuLine('0, GPU-abc, name, 10240', fields)).toBeNull();
    expect(parseQueryGpuLine('0, GPU-abc, name, 10240, lots, 1, 2, 3, 4, 5', fields)).toBeNull();
    expect(parseQueryGpuLine('x, GPU-abc, name, 10240, 1, 1, 2, 3, 4, 5', fields)).toBeNull();
    expect(parseQueryGpuLine('', fields)).toBeNull();
  });

  it('compute apps in the exact collector format (noheader,nounits)', () => {
    const out = '4242, 2100, GPU-aaa\n4243, [N/A], GPU-bbb\n';
    expect(parseComputeApps(out, QUERY_COMPUTE_APPS_FIELDS).apps).toEqual([
      { pid: 4242, gpuUuid: 'GPU-aaa', usedMemoryMiB: 2100, name: null },
      { pid: 4243, gpuUuid: 'GPU-bbb', usedMemoryMiB: null, name: null },
    ]);
  });

  it('a comma inside a process name is folded back into that column', () => {
    const t = parseSmiCsv('pid, process_name, used_gpu_memory [MiB]\n12, C:\\a, b\\x.exe, 5 MiB\n');
    expect(t.rows[0]).toEqual({ pid: '12', process_name: 'C:\\a, b\\x.exe', used_gpu_memory: '5 MiB' });
  });
});

describe('probe classification and exit sentences (synthetic runs)', () => {
  const fields = QUERY_GPU_FIELD_SETS[0] ?? [];
  const run = (over: Partial<Parameters<typeof classifyQueryGpuRun>[0]>) => ({
    ok: true,
    stdout: '',
    stderr: '',
    code: 0,
    timedOut: false,
    ...over,
  });

  it('names each failure precisely', () => {
    expect(classifyQueryGpuRun(run({ ok: false, code: null, timedOut: true }), fields, 3000)).toMatchObject({
      reason: 'nvidia-smi did not answer within 3000 ms',
    });
    expect(
      classifyQueryGpuRun(run({ ok: false, code: 9, stderr: '\nNVIDIA-SMI has failed because x\n' }), fields, 3000),
    ).toMatchObject({ reason: 'NVIDIA driver not loaded: NVIDIA-SMI has failed because x' });
    expect(
      classifyQueryGpuRun(
        run({ ok: false, code: 2, stdout: 'Field "utilization.ofa" is not a valid field to query.\n' }),
        fields,
        3000,
      ),
    ).toMatchObject({
      fieldRejected: true,
    });
    expect(classifyQueryGpuRun(run({ stdout: 'hello\nworld' }), fields, 3000)).toMatchObject({
      reason: 'nvidia-smi printed output Idlewatch could not parse: hello world',
    });
    expect(
      classifyQueryGpuRun(run({ ok: false, code: null, error: '/x/nvidia-smi not found' }), fields, 3000),
    ).toMatchObject({
      reason: 'nvidia-smi not found on PATH: install the NVIDIA driver to see GPU use',
      notFound: true,
    });
    expect(smiGarbageReason('x'.repeat(200))).toBe(
      `nvidia-smi printed output Idlewatch could not parse: ${'x'.repeat(80)}`,
    );
  });

  it('an exit sentence takes the error from stderr, else the last stdout line that is not data', () => {
    const base = { code: 9, signal: null, stderrHead: [], lines: 3, ranMs: 10 };
    const isData = (l: string) => l.startsWith('0,');
    expect(
      describeSmiExit('nvidia-smi', { ...base, stdoutTail: ['0, a', 'Unable to determine the device handle'] }, isData),
    ).toBe('nvidia-smi exited with code 9: Unable to determine the device handle');
    expect(describeSmiExit('nvidia-smi', { ...base, stdoutTail: ['0, a'] }, isData)).toBe(
      'nvidia-smi exited with code 9',
    );
    expect(
      describeSmiExit(
        'nvidia-smi pmon',
        { ...base, code: null, signal: 'SIGKILL', stdoutTail: [], silentForMs: 2500 },
        isData,
      ),
    ).toBe('nvidia-smi pmon printed nothing for 2.5 s');
  });
});

describe(`xml captures`, () => {
  const xml = (name: string) => parseNvidiaSmiXml(read('nvidia-smi', 'xml', name));
  const expected: Record<string, { driver: string; gpus: number; procs: number[] }> = {
    'netdata-rtx-2080-win-wddm.xml': { driver: '516.59', gpus: 1, procs: [26] },
    'telegraf-a100-sxm4-v12.xml': { driver: '535.54.03', gpus: 1, procs: [0] },
    'telegraf-dual_a5000-v13.xml': { driver: '590.44.01', gpus: 2, procs: [1, 1] },
    'telegraf-pro-6000-maxq-blackwell-v13.xml': { driver: '590.44.01', gpus: 1, procs: [1] },
    'telegraf-quadro-p400.xml': { driver: '418.43', gpus: 1, procs: [0] },
    'telegraf-rtx-3080-v12.xml': { driver: '536.40', gpus: 1, procs: [5] },
    'telegraf-rtx-4000-sff-ada-v13.xml': { driver: '595.84', gpus: 1, procs: [4] },
    'telegraf-tesla-t4.xml': { driver: '515.105.01', gpus: 1, procs: [2] },
  };

  it.each(list('xml'))('%s: driver, GPUs and process count', (name) => {
    const want = expected[name];
    expect(want, `add expectations for new capture ${name}`).toBeDefined();
    if (!want) return;
    const log = xml(name);
    expect(log.driverVersion).toBe(want.driver);
    expect(log.gpus).toHaveLength(want.gpus);
    expect(log.gpus.map((g) => g.processes.length)).toEqual(want.procs);
    for (const g of log.gpus) {
      expect(g.uuid).toMatch(/^GPU-[0-9a-f-]+$/);
      expect(g.memoryTotalMiB).toBeGreaterThan(0);
    }
  });

  it('Tesla T4: inventory and a G and a C process with memory', () => {
    const log = xml('telegraf-tesla-t4.xml');
    expect(log.gpus[0]).toMatchObject({
      name: 'Tesla T4',
      uuid: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a',
      busId: '00000000:00:1E.0',
      memoryTotalMiB: 15360,
      memoryUsedMiB: 1032,
      util: 0,
      utilJpeg: null,
    });
    expect(log.gpus[0]?.processes).toEqual([
      { pid: 675, type: 'G', name: '/usr/lib/xorg/Xorg', usedMemoryMiB: 22 },
      { pid: 5762, type: 'C', name: 'python', usedMemoryMiB: 1005 },
    ]);
  });

  it('A100 with MIG: the GPU total, not a MIG slice; N/A utilisation is null; <processes /> empty', () => {
    const gpu = xml('telegraf-a100-sxm4-v12.xml').gpus[0];
    expect(gpu).toMatchObject({
      memoryTotalMiB: 81920,
      memoryUsedMiB: 50,
      util: null,
      migEnabled: true,
      processes: [],
    });
    expect(xml('telegraf-a100-sxm4-v12.xml').attachedGpus).toBe(4);
  });

  it('dual A5000: one pid on both GPUs with different memory; GPUs in document (index) order', () => {
    const log = xml('telegraf-dual_a5000-v13.xml');
    expect(log.gpus.map((g) => [g.position, g.busId, g.minorNumber])).toEqual([
      [0, '00000000:81:00.0', 1],
      [1, '00000000:C1:00.0', 0],
    ]);
    expect(log.gpus.map((g) => g.processes[0]?.usedMemoryMiB)).toEqual([22430, 17246]);
    expect(log.gpus.every((g) => g.processes[0]?.pid === 100477)).toBe(true);
  });

  it('RTX 4000 Ada: C, G and C+G types; RTX 3080: a very long command line kept whole', () => {
    expect(xml('telegraf-rtx-4000-sff-ada-v13.xml').gpus[0]?.processes.map((p) => p.type)).toEqual([
      'G',
      'G',
      'C',
      'C+G',
    ]);
    const msedge = xml('telegraf-rtx-3080-v12.xml').gpus[0]?.processes.find((p) => p.name.includes('msedge'));
    expect(msedge?.name.length).toBeGreaterThan(400);
    expect(msedge?.name).toMatch(/^\/opt\/microsoft\/msedge\/msedge --type=gpu-process/);
  });

  it('Windows WDDM: used_memory N/A is null, an empty process_name is an empty string', () => {
    const procs = xml('netdata-rtx-2080-win-wddm.xml').gpus[0]?.processes ?? [];
    expect(procs.every((p) => p.usedMemoryMiB === null && p.type === 'C+G')).toBe(true);
    expect(procs.find((p) => p.pid === 10808)?.name).toBe('');
    expect(xml('netdata-rtx-2080-win-wddm.xml').gpus[0]).toMatchObject({
      util: 2,
      memoryUsedMiB: 862,
      minorNumber: null,
    });
  });

  it('Quadro P400 (2019, no DOCTYPE): empty <processes></processes>', () => {
    expect(xml('telegraf-quadro-p400.xml').gpus[0]).toMatchObject({
      name: 'Quadro P400',
      memoryTotalMiB: 1998,
      processes: [],
    });
  });
});

describe('xml reader (synthetic)', () => {
  it('decodes entities, CDATA, comments, attributes with either quote', () => {
    const el = parseXml(
      `<?xml version="1.0"?><!-- c --><!DOCTYPE a [ <!ELEMENT a ANY> ]><a x='1' y="&lt;2&gt;"><b>Tom &amp; Jerry &#65;&#x42;</b><c><![CDATA[<raw>]]></c><d/></a>`,
    );
    expect(el.attrs).toEqual({ x: '1', y: '<2>' });
    expect(el.children.map((c) => [c.name, c.text])).toEqual([
      ['b', 'Tom & Jerry AB'],
      ['c', '<raw>'],
      ['d', ''],
    ]);
  });

  it('refuses malformed documents instead of guessing', () => {
    for (const bad of ['<a><b></a>', '<a>', 'text', '<a></a><b></b>', '<a x=1></a>', '<a><!-- open</a>', '']) {
      expect(() => parseXml(bad), bad).toThrow(XmlParseError);
    }
    expect(() => parseXml('<a><a><a></a></a></a>', { maxDepth: 2 })).toThrow(/deeper/);
    expect(() => parseNvidiaSmiXml('<html></html>')).toThrow(/nvidia_smi_log/);
  });
});
