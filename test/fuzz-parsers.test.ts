/**
 * Property tests for every parser that reads text an attacker or a broken driver controls:
 * /proc/PID/stat and cmdline, nvidia-smi pmon / CSV / XML, DRM fdinfo and trace files.
 * Each property states what must hold for ANY input (no throw but the documented error type,
 * numbers finite, no prototype pollution, bounded time) and, where a valid input can be
 * generated, that it is read back exactly even when garbage is mixed in.
 *
 * Fixed seed: CI must fail or pass the same way on every run. A failure prints the seed and
 * the shrunk counterexample; paste it into a unit test when fixing the parser.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { clientMemoryMiB, type DrmFdinfo, parseFdinfo } from '../main/engine/platform/linux/drm/fdinfo-parse.js';
import {
  parseComputeApps,
  parseQueryGpuLine,
  parseSmiCsv,
  QUERY_COMPUTE_APPS_FIELDS,
  QUERY_GPU_FIELD_SETS,
  type SmiGpuRow,
} from '../main/engine/platform/nvidia/csv-parse.js';
import {
  PMON_ENGINE_COLUMNS,
  type PmonFrame,
  type PmonProc,
  parsePmon,
} from '../main/engine/platform/nvidia/pmon-parse.js';
import { parseSmiNumber } from '../main/engine/platform/nvidia/smi-values.js';
import {
  parseNvidiaSmiXml,
  parseXml,
  type XmlElement,
  XmlParseError,
} from '../main/engine/platform/nvidia/xml-parse.js';
import { cmdlineText } from '../main/engine/platform/linux/linux-procs.js';
import { ProcFileReader, type ProcStat, parseProcStat } from '../main/engine/platform/linux/proc-file.js';
import { readTrace, TraceError } from '../main/engine/trace/trace-reader.js';

const SEED = 20_261_126;
/** Pure parsers are cheap: many runs. Properties that touch the disk get fewer. */
const PURE = { seed: SEED, numRuns: 300 } as const;
const DISK = { seed: SEED, numRuns: 60 } as const;

const dir = mkdtempSync(join(tmpdir(), 'iw-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function tmpFile(name: string, content: string | Uint8Array): string {
  const path = join(dir, `${fileNo++}-${name}`);
  writeFileSync(path, content);
  return path;
}

/** Any string, lone surrogates included (JS strings are UTF-16: a parser can be handed one). */
const anyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 4 }),
  );

/** Decimal integers of every size a kernel or driver could print, and some it never would. */
const bigDecimal = fc.oneof(
  fc.nat({ max: 1000 }).map(String),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  fc.integer({ min: 310, max: 420 }).map((n) => '9'.repeat(n)), // parses to Infinity with Number()
);

const isCount = (n: number): boolean => Number.isFinite(n) && Number.isInteger(n) && n >= 0;

// ---------------------------------------------------------------------------------------------
// /proc/PID/stat
// ---------------------------------------------------------------------------------------------

interface StatLine {
  pid: number;
  comm: string;
  state: string;
  /** Fields 4..52 as printed (index 0 is field 4, ppid). */
  nums: string[];
}

/** Process names a hostile program can choose: spaces, parentheses, newlines, any unicode. */
const commArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(fc.constantFrom(')', '(', ' ', ') S 1 ', '\n', ') ', '0', 'x', 'é', '\u{1F600}', '\0'), { maxLength: 12 })
    .map((parts) => parts.join('')),
  // Bytes as the reader delivers them (latin1: one char per byte, invalid UTF-8 included).
  fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString('latin1')),
);

const statLineArb: fc.Arbitrary<StatLine> = fc
  .record({
    pid: fc.integer({ min: 1, max: 4_194_304 }),
    comm: commArb,
    state: fc.constantFrom('R', 'S', 'D', 'Z', 'T', 't', 'X', 'I'),
    // Unparsed fields may be signed (tty_nr, tpgid -1, priority, nice); parsed ones are unsigned.
    nums: fc.array(fc.oneof(bigDecimal, fc.constant('-1')), { minLength: 49, maxLength: 49 }),
  })
  .map((s) => {
    const nums = [...s.nums];
    for (const i of [0, 10, 11, 18, 20]) {
      const v = nums[i] ?? '0';
      // The kernel prints these with %d/%lu/%llu: never negative, never 400 digits.
      nums[i] = v === '-1' || v.length > 20 ? '7' : v;
    }
    return { ...s, nums };
  });

function renderStat(s: StatLine): string {
  return `${s.pid} (${s.comm}) ${s.state} ${s.nums.join(' ')}\n`;
}

function expectSaneStat(st: ProcStat | null): void {
  if (st === null) return;
  expect(typeof st.comm).toBe('string');
  expect(typeof st.state).toBe('string');
  for (const n of [st.ppid, st.utime, st.stime, st.starttime, st.rssPages]) {
    expect(isCount(n), `numeric field ${n} must be a finite non-negative integer`).toBe(true);
  }
}

describe('parseProcStat', () => {
  it('reads every valid line exactly, whatever the process named itself', () => {
    fc.assert(
      fc.property(statLineArb, fc.boolean(), (s, newline) => {
        const line = renderStat(s);
        const st = parseProcStat(newline ? line : line.trimEnd());
        expect(st).toEqual({
          comm: s.comm,
          state: s.state,
          ppid: Number(s.nums[0]),
          utime: Number(s.nums[10]),
          stime: Number(s.nums[11]),
          starttime: Number(s.nums[18]),
          rssPages: Number(s.nums[20]),
        });
      }),
      PURE,
    );
  });

  it('a line cut before its start time is rejected, never read as start time 0', () => {
    fc.assert(
      fc.property(statLineArb, fc.nat(), fc.boolean(), (s, at, snapToSpace) => {
        const line = renderStat(s).trimEnd();
        let cut = at % (line.length + 1);
        // Cuts just after a separator are the ones that leave an empty last field.
        if (snapToSpace) {
          const sp = line.indexOf(' ', cut);
          if (sp >= 0) cut = sp + 1;
        }
        const prefix = line.slice(0, cut);
        const st = parseProcStat(prefix);
        expectSaneStat(st);
        const closeParen = `${s.pid} (${s.comm}`.length;
        const head = `${s.pid} (${s.comm}) ${s.state} `.length;
        const startTimeAt = head + s.nums.slice(0, 18).reduce((n, f) => n + f.length + 1, 0);
        // Past the real ')' the only ')' left is that one, so the fields are counted right and
        // a prefix without a single digit of the start time cannot be a stat line.
        if (cut > closeParen && cut <= startTimeAt) expect(st, JSON.stringify(prefix)).toBeNull();
      }),
      PURE,
    );
  });

  it('a parsed field the kernel would never print (empty, signed, hex, exponent, overflow) is not read as a number', () => {
    const hostile = fc.oneof(
      fc.constantFrom('', '-5', '-0', '0x1f', '1e3', 'Infinity', 'NaN', '+3', '1.5', '٣'),
      fc.integer({ min: 310, max: 400 }).map((n) => '9'.repeat(n)),
    );
    fc.assert(
      fc.property(statLineArb, fc.constantFrom(0, 10, 11, 18, 20), hostile, (s, field, bad) => {
        const nums = [...s.nums];
        nums[field] = bad;
        const st = parseProcStat(renderStat({ ...s, nums }));
        if (field === 11 || field === 20) {
          // stime and rss are optional extras: a bad one reads as 0, the rest of the line stands.
          expect(st).toMatchObject({ [field === 11 ? 'stime' : 'rssPages']: 0, starttime: Number(s.nums[18]) });
        } else {
          // ppid, utime and start time are what CPU rates and identity rest on: refuse the line.
          expect(st, `field ${field + 4} = ${JSON.stringify(bad)}`).toBeNull();
        }
      }),
      PURE,
    );
  });

  it('random text and hostile field values: null or a well-formed reading, never a throw', () => {
    const token = fc.oneof(
      bigDecimal,
      fc.constantFrom('', '-5', '0x1f', '1e3', 'Infinity', 'NaN', '+3', ' ', '1.5', '\n', ')', '('),
    );
    const structured = fc
      .tuple(fc.nat(), commArb, fc.array(token, { maxLength: 60 }))
      .map(([pid, comm, toks]) => `${pid} (${comm}) ${toks.join(' ')}`);
    fc.assert(
      fc.property(fc.oneof(anyText(300), structured), (text) => {
        expectSaneStat(parseProcStat(text));
      }),
      PURE,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// ProcFileReader and cmdline
// ---------------------------------------------------------------------------------------------

describe('ProcFileReader and cmdlineText', () => {
  it('reads any bytes back exactly (latin1), cut at maxSize, through a growing buffer', () => {
    // A tiny initial buffer and cap exercise growth and truncation on every run.
    const reader = new ProcFileReader(16, 4096);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), (bytes) => {
        const path = tmpFile('raw', bytes);
        const text = reader.read(path);
        expect(Buffer.from(text, 'latin1').equals(Buffer.from(bytes).subarray(0, 4096))).toBe(true);
        // The UTF-8 path never throws, even on a multi-byte character cut by the cap.
        expect(reader.readUtf8(path)).toBe(Buffer.from(bytes).subarray(0, 4096).toString('utf8'));
      }),
      DISK,
    );
  });

  it('a stat file with any name bytes parses through the reader and its comm round-trips', () => {
    const reader = new ProcFileReader(32);
    fc.assert(
      fc.property(statLineArb, fc.uint8Array({ maxLength: 15 }), (s, commBytes) => {
        const bytes = Buffer.concat([
          Buffer.from(`${s.pid} (`),
          Buffer.from(commBytes),
          Buffer.from(`) ${s.state} ${s.nums.join(' ')}\n`),
        ]);
        const st = parseProcStat(reader.read(tmpFile('stat', bytes)));
        expect(st).not.toBeNull();
        expect(Buffer.from(st?.comm ?? '', 'latin1').equals(Buffer.from(commBytes))).toBe(true);
        expect(st?.starttime).toBe(Number(s.nums[18]));
      }),
      DISK,
    );
  });

  it('cmdline with NULs and invalid UTF-8: never throws, no NUL survives, valid arguments join exactly', () => {
    const reader = new ProcFileReader(16);
    const validArg = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((a) => !a.includes('\0'));
    const rawArg = fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b.filter((x) => x !== 0)));
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .array(validArg, { minLength: 1, maxLength: 6 })
            .map((args) => ({ args, bytes: args.map((a) => Buffer.from(a)) })),
          fc.array(rawArg, { maxLength: 6 }).map((bytes) => ({ args: null, bytes })),
        ),
        fc.nat({ max: 3 }),
        ({ args, bytes }, trailingNuls) => {
          const raw = Buffer.concat([
            ...bytes.flatMap((b) => [b, Buffer.from([0])]).slice(0, -1),
            Buffer.alloc(trailingNuls),
          ]);
          const text = cmdlineText(reader.readUtf8(tmpFile('cmdline', raw)));
          expect(text).not.toContain('\0');
          if (args) expect(text).toBe(args.join(' '));
        },
      ),
      DISK,
    );
  });

  it('cmdlineText on arbitrary strings never throws and never keeps a NUL', () => {
    fc.assert(
      fc.property(anyText(200), (raw) => {
        expect(cmdlineText(raw)).not.toContain('\0');
      }),
      PURE,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// nvidia-smi pmon
// ---------------------------------------------------------------------------------------------

const PMON_LAYOUTS: readonly (readonly string[])[] = [
  ['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'command'], // before driver 550
  ['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'command'],
  ['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'fb', 'ccpm', 'command'], // -s um
];

interface PmonRowSpec {
  gpu: number;
  pid: number | null;
  type: string;
  metrics: Record<string, number | null>;
  name: string;
}

const metricArb = fc.oneof(fc.constant(null), fc.nat({ max: 100 }), fc.nat({ max: 200_000 }));
/** pmon cuts names to 15 characters; they may contain spaces ("NVIDIA Overlay."), never at either end. */
const pmonNameArb = fc.stringMatching(/^[!-~]([ -~]{0,13}[!-~])?$/);

function pmonCell(v: number | null): string {
  return v === null ? '-' : String(v);
}

function renderPmonRow(cols: readonly string[], r: PmonRowSpec): string {
  const cells = cols.map((c) => {
    if (c === 'gpu') return String(r.gpu);
    if (c === 'pid') return r.pid === null ? '-' : String(r.pid);
    if (c === 'type') return r.pid === null ? '-' : r.type;
    if (c === 'command') return r.pid === null ? '-' : r.name;
    return pmonCell(r.pid === null ? null : (r.metrics[c] ?? null));
  });
  return `    ${cells.join('    ')}   `;
}

function expectedPmonProc(cols: readonly string[], r: PmonRowSpec & { pid: number }): PmonProc {
  const engines: Record<string, number | null> = {};
  let util: number | null = null;
  for (const c of PMON_ENGINE_COLUMNS) {
    if (!cols.includes(c)) continue;
    const v = r.metrics[c] ?? null;
    engines[c] = v;
    if (v !== null) util = util === null ? v : Math.max(util, v);
  }
  return {
    gpu: r.gpu,
    pid: r.pid,
    type: r.type === '-' ? null : r.type,
    util,
    engines,
    memBandwidth: r.metrics.mem ?? null,
    fbMiB: cols.includes('fb') ? (r.metrics.fb ?? null) : null,
    name: r.name === '-' ? '' : r.name,
  };
}

/**
 * A pmon capture: every period prints one row per (gpu, process) for the same processes, GPU by
 * GPU, and one `-` row for each idle GPU (that is how pmon marks a frame's extent).
 */
const pmonCaptureArb = fc
  .record({
    layout: fc.nat({ max: PMON_LAYOUTS.length - 1 }),
    gpus: fc.integer({ min: 1, max: 4 }),
    procs: fc.uniqueArray(fc.record({ gpu: fc.nat({ max: 3 }), pid: fc.integer({ min: 1, max: 4_194_304 }) }), {
      maxLength: 6,
      selector: (p) => `${p.gpu}:${p.pid}`,
    }),
    frames: fc.integer({ min: 1, max: 4 }),
  })
  .chain(({ layout, gpus, procs, frames }) => {
    const cols = PMON_LAYOUTS[layout] ?? [];
    const owned = procs.filter((p) => p.gpu < gpus).sort((a, b) => a.gpu - b.gpu);
    const slots: { gpu: number; pid: number | null }[] = [];
    for (let g = 0; g < gpus; g++) {
      const mine = owned.filter((p) => p.gpu === g);
      if (mine.length === 0) slots.push({ gpu: g, pid: null });
      else slots.push(...mine);
    }
    const rowArb = (slot: { gpu: number; pid: number | null }): fc.Arbitrary<PmonRowSpec> =>
      fc.record({
        gpu: fc.constant(slot.gpu),
        pid: fc.constant(slot.pid),
        type: fc.constantFrom('C', 'G', 'C+G', 'M', '-'),
        metrics: fc.record(Object.fromEntries(cols.map((c) => [c, metricArb]))),
        name: fc.oneof(pmonNameArb, fc.constant('-')),
      });
    return fc.record({
      cols: fc.constant(cols),
      frames: fc.array(fc.tuple(...slots.map(rowArb)), { minLength: frames, maxLength: frames }),
    });
  });

/** Lines pmon or a dying driver prints that are not rows: each must be counted, none must end up as data. */
const pmonGarbageArb = fc.oneof(
  fc.constantFrom(
    'Failed to initialize NVML: Driver/library version mismatch',
    'Unable to determine the device handle for GPU0000:01:00.0: Unknown Error',
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    '0',
    '0 -',
    '    0    xx     C     90      -      -      -      -      -    bad pid',
    '    0    12     C     9%      -      -      -      -      -    bad value',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `E${s.replace(/[\r\n]/g, ' ')}`),
  // A row whose load does not fit in a double: not a number we may report.
  fc
    .integer({ min: 310, max: 400 })
    .map((n) => `    0    4242     C     ${'9'.repeat(n)}     1      -      -      -      -    xmrig`),
  fc
    .integer({ min: 310, max: 400 })
    .map((n) => `    0    ${'9'.repeat(n)}     C     50     1      -      -      -      -    xmrig`),
);

function expectSanePmonFrames(frames: PmonFrame[]): void {
  for (const f of frames) {
    for (const g of f.gpus) expect(isCount(g)).toBe(true);
    for (const p of f.procs) {
      expect(Number.isSafeInteger(p.pid) && p.pid >= 0, `pid ${p.pid}`).toBe(true);
      expect(Number.isSafeInteger(p.gpu) && p.gpu >= 0, `gpu ${p.gpu}`).toBe(true);
      for (const v of [p.util, p.memBandwidth, p.fbMiB, ...Object.values(p.engines)]) {
        if (v !== null) expect(Number.isFinite(v), `value ${v}`).toBe(true);
      }
    }
  }
}

describe('nvidia-smi pmon', () => {
  it('valid rows are read exactly, and garbage interleaved anywhere is skipped and counted', () => {
    fc.assert(
      fc.property(
        pmonCaptureArb,
        fc.array(fc.tuple(fc.nat(), pmonGarbageArb), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        ({ cols, frames }, garbage, blanks, crlf) => {
          const header = `# ${cols.join('    ')} `;
          const units = '# Idx           #    C/G      %      %      %      %    name ';
          const clean = [header, units];
          for (const rows of frames) for (const r of rows) clean.push(renderPmonRow(cols, r));
          const noisy = [...clean];
          for (const [at, g] of garbage) noisy.splice(at % (noisy.length + 1), 0, g);
          for (const at of blanks) noisy.splice(at % (noisy.length + 1), 0, '');
          const text = noisy.map((l) => (crlf ? `${l}\r` : l)).join('\n');

          const parsed = parsePmon(text);
          expect(parsed.garbageLines).toBe(garbage.length);
          expect(parsed.columns).toEqual(cols);
          expect(parsed.frames).toEqual(
            frames.map((rows) => ({
              gpus: [...new Set(rows.map((r) => r.gpu))],
              procs: rows
                .filter((r): r is PmonRowSpec & { pid: number } => r.pid !== null)
                .map((r) => expectedPmonProc(cols, r)),
              hasFb: cols.includes('fb'),
            })),
          );
        },
      ),
      PURE,
    );
  });

  it('random text never throws and never yields a non-finite number', () => {
    const line = fc.oneof(
      anyText(80),
      pmonGarbageArb,
      fc.constantFrom(
        '# gpu pid type sm mem command',
        '# gpu pid fb command',
        '# pid gpu',
        '#',
        '# gpu pid date time sm command',
      ),
      fc
        .array(fc.oneof(bigDecimal, fc.constantFrom('-', 'C', 'G', '1.5', 'x')), { maxLength: 12 })
        .map((t) => t.join(' ')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const parsed = parsePmon(lines.join('\n'));
        expectSanePmonFrames(parsed.frames);
        expect(isCount(parsed.garbageLines)).toBe(true);
        expect(parsed.garbageLines).toBeLessThanOrEqual(lines.join('\n').split('\n').length);
      }),
      PURE,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// nvidia-smi CSV (--query-gpu loop, --query-compute-apps)
// ---------------------------------------------------------------------------------------------

const placeholderArb = fc.constantFrom('[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '');
const numCellArb = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 200_000 }).map((n) => ({ text: String(n), value: n as number | null })) },
  { weight: 1, arbitrary: placeholderArb.map((text) => ({ text, value: null as number | null })) },
);

interface GpuLine {
  fields: readonly string[];
  text: string;
  expected: SmiGpuRow;
}

const gpuLineArb: fc.Arbitrary<GpuLine> = fc
  .record({
    set: fc.nat({ max: QUERY_GPU_FIELD_SETS.length - 1 }),
    index: fc.nat({ max: 15 }),
    uuid: fc.stringMatching(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}$/),
    name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 -]{0,30}[A-Za-z0-9]$/),
    cells: fc.array(numCellArb, { minLength: 7, maxLength: 7 }),
  })
  .map(({ set, index, uuid, name, cells }) => {
    const fields = QUERY_GPU_FIELD_SETS[set] ?? [];
    const byField: Record<string, { text: string; value: number | null }> = {};
    fields.slice(3).forEach((f, i) => {
      byField[f] = cells[i] ?? { text: '0', value: 0 };
    });
    const text = fields
      .map((f) =>
        f === 'index' ? String(index) : f === 'uuid' ? uuid : f === 'name' ? name : (byField[f]?.text ?? ''),
      )
      .join(', ');
    const v = (f: string): number | null => byField[f]?.value ?? null;
    const engines = [
      v('utilization.gpu'),
      v('utilization.encoder'),
      v('utilization.decoder'),
      v('utilization.jpeg'),
      v('utilization.ofa'),
    ];
    const known = engines.filter((e): e is number => e !== null);
    return {
      fields,
      text,
      expected: {
        index,
        uuid,
        name,
        memoryTotalMiB: v('memory.total'),
        memoryUsedMiB: v('memory.used'),
        utilGpu: v('utilization.gpu'),
        utilEncoder: v('utilization.encoder'),
        utilDecoder: v('utilization.decoder'),
        utilJpeg: v('utilization.jpeg'),
        utilOfa: v('utilization.ofa'),
        util: known.length > 0 ? Math.max(...known) : null,
      },
    };
  });

const csvGarbageArb = fc.oneof(
  fc.constantFrom(
    'Field "utilization.jpeg" is not a valid field to query.',
    'Unable to determine the device handle for GPU0000:01:00.0: Unknown Error',
    'No devices were found',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }).map((s) => `E${s.replace(/[\r\n]/g, ' ')}`),
);

function expectSaneGpuRow(row: SmiGpuRow | null): void {
  if (!row) return;
  if (row.index !== null) expect(Number.isSafeInteger(row.index), `index ${row.index}`).toBe(true);
  for (const n of [
    row.memoryTotalMiB,
    row.memoryUsedMiB,
    row.utilGpu,
    row.utilEncoder,
    row.utilDecoder,
    row.utilJpeg,
    row.utilOfa,
    row.util,
  ]) {
    if (n !== null) expect(Number.isFinite(n), `value ${n}`).toBe(true);
  }
}

describe('nvidia-smi CSV', () => {
  it('query-gpu loop: every valid line is read exactly, every garbage line is refused', () => {
    fc.assert(
      fc.property(gpuLineArb, csvGarbageArb, fc.boolean(), ({ fields, text, expected }, garbage, crlf) => {
        expect(parseQueryGpuLine(crlf ? `${text}\r` : text, fields)).toEqual(expected);
        expect(parseQueryGpuLine(garbage, fields)).toBeNull();
      }),
      PURE,
    );
  });

  it('query-gpu loop: a value too large for a double refuses the line instead of reporting Infinity', () => {
    fc.assert(
      fc.property(gpuLineArb, fc.integer({ min: 310, max: 400 }), fc.nat(), ({ fields, text }, digits, which) => {
        const cells = text.split(', ');
        const at = 3 + (which % (cells.length - 3)); // a numeric column
        cells[at] = '9'.repeat(digits);
        expect(parseQueryGpuLine(cells.join(', '), fields)).toBeNull();
      }),
      PURE,
    );
  });

  it('compute-apps: valid rows survive garbage and blank lines; skipped counts exactly the garbage', () => {
    const appArb = fc.record({
      pid: fc.integer({ min: 1, max: 4_194_304 }),
      mem: numCellArb,
      uuid: fc.oneof(fc.stringMatching(/^GPU-[0-9a-f]{8}$/), fc.constant('[N/A]')),
    });
    const hugePid = fc.integer({ min: 310, max: 400 }).map((n) => `${'9'.repeat(n)}, 100, GPU-00000000`);
    fc.assert(
      fc.property(
        fc.array(appArb, { maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.oneof(csvGarbageArb, hugePid)), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.boolean(),
        (apps, garbage, blanks, withHeader) => {
          const lines = apps.map((a) => `${a.pid}, ${a.mem.text}, ${a.uuid}`);
          for (const [at, g] of garbage) lines.splice(at % (lines.length + 1), 0, g);
          for (const at of blanks) lines.splice(at % (lines.length + 1), 0, '   ');
          const text = withHeader ? ['pid, used_gpu_memory [MiB], gpu_uuid', ...lines].join('\n') : lines.join('\n');
          const result = withHeader ? parseComputeApps(text) : parseComputeApps(text, QUERY_COMPUTE_APPS_FIELDS);
          expect(result.skipped).toBe(garbage.length);
          expect(result.apps).toEqual(
            apps.map((a) => ({
              pid: a.pid,
              gpuUuid: a.uuid === '[N/A]' ? null : a.uuid,
              usedMemoryMiB: a.mem.value,
              name: null,
            })),
          );
        },
      ),
      PURE,
    );
  });

  it('random text never throws; bad lines are counted; numbers are finite', () => {
    const fieldsArb = fc.oneof(
      fc.constantFrom(...QUERY_GPU_FIELD_SETS, QUERY_COMPUTE_APPS_FIELDS, ['pid', 'process_name', 'used_memory']),
      fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }),
    );
    const csvText = fc.array(
      fc.oneof(
        anyText(100),
        fc.array(fc.oneof(bigDecimal, placeholderArb, anyText(10))).map((c) => c.join(', ')),
      ),
      {
        maxLength: 12,
      },
    );
    fc.assert(
      fc.property(csvText, fieldsArb, fc.boolean(), (lines, fields, withFields) => {
        const text = lines.join('\n');
        const table = parseSmiCsv(text, withFields ? fields : undefined);
        expect(table.rows.length + table.bad.length).toBeLessThanOrEqual(text.split('\n').length);
        // Every field has its cell (a `__proto__` field cannot be an own key of a plain object).
        for (const r of table.rows) {
          for (const f of table.fields) if (f !== '__proto__') expect(typeof r[f], f).toBe('string');
        }
        const apps = parseComputeApps(text, withFields ? fields : undefined);
        expect(apps.apps.length + apps.skipped).toBe(table.rows.length + table.bad.length);
        for (const a of apps.apps) {
          expect(Number.isSafeInteger(a.pid), `pid ${a.pid}`).toBe(true);
          if (a.usedMemoryMiB !== null) expect(Number.isFinite(a.usedMemoryMiB)).toBe(true);
        }
        for (const l of lines) expectSaneGpuRow(parseQueryGpuLine(l, fields));
      }),
      PURE,
    );
  });

  it('parseSmiNumber: a number, null for a placeholder, undefined for anything else; never non-finite', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText(40),
          bigDecimal,
          bigDecimal.map((d) => `${d} MiB`),
          placeholderArb,
        ),
        (raw) => {
          const n = parseSmiNumber(raw);
          if (typeof n === 'number') expect(Number.isFinite(n), `parsed ${raw} as ${n}`).toBe(true);
        },
      ),
      PURE,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// XML (nvidia-smi -q -x)
// ---------------------------------------------------------------------------------------------

interface El {
  name: string;
  attrs: [string, string][];
  text: string;
  cdata: boolean;
  children: El[];
}

const xmlNameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/).filter((n) => n !== '__proto__');
const xmlTextArb = fc.string({ unit: 'binary', maxLength: 30 });

function elArb(depth: number): fc.Arbitrary<El> {
  return fc.record({
    name: xmlNameArb,
    attrs: fc.uniqueArray(fc.tuple(xmlNameArb, xmlTextArb), { maxLength: 3, selector: (a) => a[0] }),
    text: xmlTextArb,
    cdata: fc.boolean(),
    children: depth === 0 ? fc.constant([]) : fc.array(elArb(depth - 1), { maxLength: 3 }),
  });
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

function serialize(el: El): string {
  const attrs = el.attrs.map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  const text = el.cdata && !el.text.includes(']]>') ? `<![CDATA[${el.text}]]>` : escapeXml(el.text);
  if (el.text === '' && el.children.length === 0) return `<${el.name}${attrs}/>`;
  return `<${el.name}${attrs}>${text}${el.children.map(serialize).join('')}</${el.name}>`;
}

function toXmlElement(el: El): XmlElement {
  return { name: el.name, attrs: Object.fromEntries(el.attrs), text: el.text, children: el.children.map(toXmlElement) };
}

/** Runs `fn`, which must either return or throw an XmlParseError, within `ms`. */
function xmlOutcome(fn: () => unknown, ms: number, what: string): 'ok' | 'refused' {
  const t0 = performance.now();
  let outcome: 'ok' | 'refused' = 'ok';
  try {
    fn();
  } catch (e) {
    if (!(e instanceof XmlParseError)) throw new Error(`${what}: threw ${(e as Error).name}: ${(e as Error).message}`);
    outcome = 'refused';
  }
  const took = performance.now() - t0;
  expect(took, `${what} took ${Math.round(took)} ms`).toBeLessThan(ms);
  return outcome;
}

const SMI_DOC = `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
  <driver_version>550.54.14</driver_version>
  <cuda_version>12.4</cuda_version>
  <attached_gpus>1</attached_gpus>
  <gpu id="00000000:01:00.0">
    <product_name>Tesla T4</product_name>
    <uuid>GPU-12345678-1234-1234-1234-123456789abc</uuid>
    <minor_number>0</minor_number>
    <fb_memory_usage><total>15360 MiB</total><used>1027 MiB</used></fb_memory_usage>
    <utilization><gpu_util>97 %</gpu_util><encoder_util>0 %</encoder_util><decoder_util>N/A</decoder_util></utilization>
    <mig_mode><current_mig>N/A</current_mig></mig_mode>
    <processes>
      <process_info><pid>5762</pid><type>C</type><process_name>python</process_name><used_memory>1005 MiB</used_memory></process_info>
      <process_info><pid>675</pid><type>G</type><process_name>/usr/lib/xorg/Xorg &amp; co</process_name><used_memory>22 MiB</used_memory></process_info>
    </processes>
  </gpu>
</nvidia_smi_log>
`;

describe('XML reader', () => {
  it('round-trips any generated tree (names, attributes, entities, CDATA, unicode)', () => {
    fc.assert(
      fc.property(elArb(3), fc.boolean(), (tree, prolog) => {
        const doc = `${prolog ? '<?xml version="1.0" ?>\n<!DOCTYPE x SYSTEM "x.dtd">\n<!-- c -->\n' : ''}${serialize(tree)}\n`;
        expect(parseXml(doc)).toEqual(toXmlElement(tree));
      }),
      PURE,
    );
  });

  it('every strict prefix of a document is refused with XmlParseError', () => {
    fc.assert(
      fc.property(elArb(2), fc.nat(), (tree, at) => {
        const doc = serialize(tree);
        const cut = at % doc.length;
        expect(xmlOutcome(() => parseXml(doc.slice(0, cut)), 500, 'prefix')).toBe('refused');
      }),
      PURE,
    );
  });

  it('random and token-soup input: returns or throws XmlParseError, nothing else, quickly', () => {
    const soup = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '<',
            '>',
            '</',
            '/>',
            '<!--',
            '-->',
            '<![CDATA[',
            ']]>',
            '<?',
            '?>',
            '<!DOCTYPE x [',
            ']',
            '"',
            "'",
          ),
          fc.constantFrom(
            '=',
            'a',
            'gpu',
            ' ',
            '&amp;',
            '&#x1F600;',
            '&#99999999;',
            '&#xD800;',
            '&',
            ';',
            '<a>',
            '</a>',
            '<b/>',
          ),
          anyText(5),
        ),
        { maxLength: 60 },
      )
      .map((t) => t.join(''));
    fc.assert(
      fc.property(fc.oneof(anyText(200), soup), (text) => {
        xmlOutcome(() => parseXml(text), 500, 'parseXml');
        xmlOutcome(() => parseNvidiaSmiXml(text), 500, 'parseNvidiaSmiXml');
      }),
      PURE,
    );
  });

  it('a mutilated nvidia-smi document: XmlParseError or a log whose numbers are all sane', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.nat({ max: 0 }), junk: fc.constant('') }),
      fc.record({
        kind: fc.constant('delete' as const),
        at: fc.nat(),
        len: fc.nat({ max: 40 }),
        junk: fc.constant(''),
      }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        len: fc.nat({ max: 0 }),
        junk: fc.oneof(anyText(20), bigDecimal, fc.constantFrom('<x>', '</gpu>', '<pid>-1</pid>', '&#0;', ' MiB')),
      }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let doc = SMI_DOC;
        for (const m of mutations) {
          const at = m.at % (doc.length + 1);
          doc = m.kind === 'cut' ? doc.slice(0, at) : doc.slice(0, at) + m.junk + doc.slice(at + m.len);
        }
        let log: ReturnType<typeof parseNvidiaSmiXml> | null = null;
        xmlOutcome(
          () => {
            log = parseNvidiaSmiXml(doc);
          },
          500,
          'parseNvidiaSmiXml',
        );
        const parsed = log as ReturnType<typeof parseNvidiaSmiXml> | null;
        if (!parsed) return;
        if (parsed.attachedGpus !== null) expect(Number.isSafeInteger(parsed.attachedGpus)).toBe(true);
        for (const g of parsed.gpus) {
          if (g.minorNumber !== null) expect(Number.isSafeInteger(g.minorNumber)).toBe(true);
          for (const n of [g.memoryTotalMiB, g.memoryUsedMiB, g.utilGpu, g.utilEncoder, g.utilDecoder, g.util]) {
            if (n !== null) expect(Number.isFinite(n), `value ${n}`).toBe(true);
          }
          for (const p of g.processes) {
            expect(Number.isSafeInteger(p.pid), `pid ${p.pid}`).toBe(true);
            if (p.usedMemoryMiB !== null) expect(Number.isFinite(p.usedMemoryMiB)).toBe(true);
          }
        }
      }),
      PURE,
    );
  });

  it('the unmutated document reads as expected (the mutation property starts from a valid log)', () => {
    const log = parseNvidiaSmiXml(SMI_DOC);
    expect(log.gpus[0]?.processes).toEqual([
      { pid: 5762, type: 'C', name: 'python', usedMemoryMiB: 1005 },
      { pid: 675, type: 'G', name: '/usr/lib/xorg/Xorg & co', usedMemoryMiB: 22 },
    ]);
    expect(log.gpus[0]?.util).toBe(97);
  });

  it('pathological documents of a few MB parse or are refused in well under a second each', () => {
    const n = 400_000;
    const docs: [string, string][] = [
      ['declarations', `<r>${'<!x>'.repeat(n)}</r>`],
      ['declarations before a late bracket', `<r>${'<!x>'.repeat(n)}[</r>`],
      ['huge attribute', `<r a="${'x'.repeat(4 * n)}"/>`],
      ['many attributes', `<r${' a="1"'.repeat(n / 2)}/>`],
      ['many entities', `<r>${'&amp;'.repeat(n)}</r>`],
      ['dangling ampersands', `<r>${'a&'.repeat(n)}</r>`],
      ['huge numeric entity', `<r>&#x${'f'.repeat(4 * n)};</r>`],
      ['many comments', `<r>${'<!--x-->'.repeat(n / 2)}</r>`],
      ['many CDATA sections', `<r>${'<![CDATA[x]]>'.repeat(n / 4)}</r>`],
      ['many processing instructions', `<r>${'<?x?>'.repeat(n)}</r>`],
      ['many children', `<r>${'<a/>'.repeat(n)}</r>`],
      ['deep nesting', '<a>'.repeat(n)],
      ['long name', `<${'a'.repeat(4 * n)}`],
      ['unterminated attribute', `<r a="${'x'.repeat(4 * n)}`],
      [
        'many gpus',
        `<nvidia_smi_log>${'<gpu><processes><process_info><pid>1</pid></process_info></processes></gpu>'.repeat(n / 40)}</nvidia_smi_log>`,
      ],
    ];
    for (const [what, doc] of docs) {
      xmlOutcome(() => parseXml(doc), 1000, what);
      xmlOutcome(() => parseNvidiaSmiXml(doc), 1000, what);
    }
    // At the depth limit a document is still read; one deeper is refused.
    expect(xmlOutcome(() => parseXml(`${'<a>'.repeat(64)}${'</a>'.repeat(64)}`), 100, 'depth 64')).toBe('ok');
    expect(xmlOutcome(() => parseXml(`${'<a>'.repeat(65)}${'</a>'.repeat(65)}`), 100, 'depth 65')).toBe('refused');
  });
});

// ---------------------------------------------------------------------------------------------
// DRM fdinfo
// ---------------------------------------------------------------------------------------------

/** Names a driver could print, and the ones that break a parser that indexes plain objects. */
const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];
const ENGINE_NAMES = ['gfx', 'compute', 'render', 'video', 'video-enhance', 'copy', 'enc', 'dec', 'rcs', 'ccs'];
const REGION_NAMES = ['vram', 'vram0', 'gtt', 'cpu', 'system', 'local0', 'stolen-system0', 'memory'];
const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, kB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

const prototypeSnapshot = Object.getOwnPropertyNames(Object.prototype).sort();

/** Fails if a parse added anything to Object.prototype, and removes it so later tests are not poisoned. */
function expectPrototypeUntouched(): void {
  const now = Object.getOwnPropertyNames(Object.prototype).sort();
  const added = now.filter((k) => !prototypeSnapshot.includes(k));
  for (const k of added) delete (Object.prototype as Record<string, unknown>)[k];
  expect(added, 'Object.prototype was polluted').toEqual([]);
}

function expectSaneFdinfo(info: DrmFdinfo | null): void {
  if (!info) return;
  expect(typeof info.driver).toBe('string');
  for (const rec of [info.engines, info.cycles, info.totalCycles, info.memory, info.legacyPercent]) {
    for (const [k, v] of Object.entries(rec)) expect(Number.isFinite(v), `${k}: ${v}`).toBe(true);
  }
  for (const v of Object.values(info.capacity)) expect(Number.isFinite(v) && v > 0).toBe(true);
  for (const v of Object.values(info.memory)) expect(v).toBeGreaterThanOrEqual(0);
  const mem = clientMemoryMiB(info);
  if (mem !== null) expect(Number.isFinite(mem)).toBe(true);
}

describe('DRM fdinfo', () => {
  it('a generated client is read exactly, in any line order and with either separator', () => {
    const engineArb = fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...ENGINE_NAMES, ...PROTO_NAMES.filter((n) => n !== '__proto__')),
        ns: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
        unit: fc.constantFrom(' ns', 'ns', ''),
        capacity: fc.option(fc.integer({ min: 1, max: 16 }), { nil: null }),
      }),
      { maxLength: 5, selector: (e) => e.name },
    );
    const regionArb = fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...REGION_NAMES, ...PROTO_NAMES.filter((n) => n !== '__proto__')),
        kinds: fc.uniqueArray(
          fc.record({
            prefix: fc.constantFrom('drm-resident-', 'drm-total-', 'drm-memory-'),
            n: fc.nat({ max: 10_000_000 }),
            unit: fc.constantFrom(...Object.keys(UNITS)),
          }),
          { minLength: 1, maxLength: 3, selector: (k) => k.prefix },
        ),
      }),
      { maxLength: 4, selector: (r) => r.name },
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
        engineArb,
        regionArb,
        fc.constantFrom(':\t', ': ', ':', ':  \t'),
        fc.nat(),
        (driver, engines, regions, sep, shuffleSeed) => {
          const lines = [`drm-driver${sep}${driver}`, 'pos:\t0', 'flags:\t02100002', 'mnt_id:\t24', 'ino:\t1077'];
          for (const e of engines) {
            lines.push(`drm-engine-${e.name}${sep}${e.ns}${e.unit}`);
            if (e.capacity !== null) lines.push(`drm-engine-capacity-${e.name}${sep}${e.capacity}`);
          }
          for (const r of regions) {
            for (const k of r.kinds) lines.push(`${k.prefix}${r.name}${sep}${k.n}${k.unit ? ` ${k.unit}` : ''}`);
          }
          // A deterministic shuffle: preference between memory keys must not depend on line order.
          const shuffled = lines
            .map((l, i) => ({ l, k: (i * 2_654_435_761 + shuffleSeed) % 4_294_967_291 }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.l);
          const info = parseFdinfo(`${shuffled.join('\n')}\n`);
          expectPrototypeUntouched();
          expect(info).not.toBeNull();
          expect(info?.driver).toBe(driver);
          expect(info?.engines).toEqual(Object.fromEntries(engines.map((e) => [e.name, Number(e.ns)])));
          expect(info?.capacity).toEqual(
            Object.fromEntries(engines.filter((e) => e.capacity !== null).map((e) => [e.name, e.capacity])),
          );
          const expectedMemory: Record<string, number> = {};
          for (const r of regions) {
            const pick =
              r.kinds.find((k) => k.prefix === 'drm-resident-') ??
              r.kinds.find((k) => k.prefix === 'drm-total-') ??
              r.kinds.find((k) => k.prefix === 'drm-memory-');
            if (pick) expectedMemory[r.name] = (pick.n * (UNITS[pick.unit] ?? Number.NaN)) / 1024 ** 2;
          }
          expect(info?.memory).toEqual(expectedMemory);
        },
      ),
      PURE,
    );
  });

  it('random keys and values (huge, negative, unitless, odd units, prototype names): finite numbers, no pollution', () => {
    const name = fc.oneof(
      fc.constantFrom(...PROTO_NAMES, ...ENGINE_NAMES, ...REGION_NAMES),
      fc.stringMatching(/^[\w-]{0,12}$/),
    );
    const key = fc.oneof(
      fc.constantFrom('drm-driver', 'drm-pdev', 'drm-client-id', 'pasid', 'pdev', 'gfx0', 'compute0'),
      fc
        .tuple(
          fc.constantFrom(
            'drm-engine-',
            'drm-engine-capacity-',
            'drm-cycles-',
            'drm-total-cycles-',
            'drm-total-',
            'drm-resident-',
            'drm-memory-',
            'drm-shared-',
            'drm-',
          ),
          name,
        )
        .map(([p, n]) => p + n),
      name.map((n) => `${n} mem`),
      anyText(20),
    );
    const value = fc.oneof(
      fc
        .tuple(
          fc.oneof(bigDecimal, fc.constantFrom('-1', '-0', '0.5', '1e9', '', 'NaN', 'Infinity', '0x10')),
          fc.constantFrom(
            '',
            ' ns',
            'ns',
            ' KiB',
            ' kB',
            ' MiB',
            ' GiB',
            ' TiB',
            '%',
            ' %',
            ' constructor',
            ' toString',
            ' valueOf',
            ' __proto__',
          ),
        )
        .map(([n, u]) => n + u),
      fc.stringMatching(/^[a-z0-9_.:-]{0,12}$/),
      anyText(20),
    );
    const line = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(key, fc.constantFrom(':\t', ': ', ':'), value).map(([k, s, v]) => k + s + v) },
      { weight: 1, arbitrary: anyText(40) },
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.boolean(), (lines, withDriver) => {
        const text = (withDriver ? ['drm-driver:\tamdgpu', ...lines] : lines).join('\n');
        let info: DrmFdinfo | null = null;
        try {
          info = parseFdinfo(text);
        } finally {
          expectPrototypeUntouched();
        }
        expectSaneFdinfo(info);
        if (withDriver && info) expect(info.driver.length).toBeGreaterThan(0);
      }),
      PURE,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Trace reader
// ---------------------------------------------------------------------------------------------

const HEADER = JSON.stringify({
  format: 'idlewatch-trace',
  version: 1,
  startedAt: '2026-11-26T21:00:00.000Z',
  intervalMs: 1000,
  idleThresholdSec: 60,
  host: { platform: 'linux', cpuCores: 8, gpus: [] },
});

type TraceOutcome =
  | { ok: true; samples: number; warnings: number[]; sampleLines: number[] }
  | { ok: false; line: number; message: string };

/** Reads a trace; anything but success or a TraceError fails the test, and so does a hang. */
async function traceOutcome(file: string): Promise<TraceOutcome> {
  const sampleLines: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readTrace(${file}) did not finish within 5 s`)), 5000);
  });
  try {
    const r = await Promise.race([
      readTrace(file, { header: () => undefined, sample: (_s, line) => void sampleLines.push(line) }),
      hang,
    ]);
    return { ok: true, samples: r.samples, warnings: r.warnings.map((w) => w.line), sampleLines };
  } catch (e) {
    if (!(e instanceof TraceError)) throw new Error(`readTrace threw ${(e as Error).name}: ${(e as Error).message}`);
    // Line 0 is the file as a whole (missing, a folder, not gzip): a sentence about it, no ":0:".
    expect(e.message.startsWith(e.line > 0 ? `${file}:${e.line}: ` : `${file} `)).toBe(true);
    return { ok: false, line: e.line, message: e.message };
  } finally {
    clearTimeout(timer);
  }
}

type TraceLine =
  | { k: 'sample'; dt: number; pids: number[] }
  | { k: 'minimal' }
  | { k: 'blank'; text: string }
  | { k: 'torn' }
  | { k: 'array' }
  | { k: 'no-t' }
  | { k: 'backwards' }
  | { k: 'bad-state' }
  | { k: 'no-procs' }
  | { k: 'bad-pid' }
  | { k: 'anonymous' };

const traceLineArb: fc.Arbitrary<TraceLine> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('sample' as const),
      dt: fc.nat({ max: 2000 }),
      pids: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ k: 'minimal' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('blank' as const), text: fc.constantFrom('', '   ', '\t') }) },
  fc.constantFrom<TraceLine>(
    { k: 'torn' },
    { k: 'array' },
    { k: 'no-t' },
    { k: 'backwards' },
    { k: 'bad-state' },
    { k: 'no-procs' },
    { k: 'bad-pid' },
    { k: 'anonymous' },
  ),
);

const ident = (pid: number) => ({
  pid,
  ppid: 1,
  name: `p${pid}`,
  exe: `/bin/p${pid}`,
  cmdline: `p${pid}`,
  user: 'u',
  startT: -pid,
});
const user = { state: 'idle', idleSec: 90 };
const system = { cpu: 10, gpus: [] };

/**
 * Renders the lines and predicts what the reader must do, from the spec: the first invalid line
 * is an error naming it, except a torn LAST line, which is a warning.
 */
function renderTrace(spec: TraceLine[]): { lines: string[]; expected: TraceOutcome } {
  const lines: string[] = [];
  let lastT = Number.NEGATIVE_INFINITY;
  let prevPids: number[] = [];
  let samples = 0;
  const sampleLines: number[] = [];
  let expected: TraceOutcome | null = null;
  const warnings: number[] = [];
  spec.forEach((l, i) => {
    const lineNo = i + 2;
    const isLast = i === spec.length - 1;
    let text: string;
    let error: string | null = null;
    let accepted: { t: number; pids: number[] } | null = null;
    const base = Number.isFinite(lastT) ? lastT : 0;
    switch (l.k) {
      case 'sample':
        text = JSON.stringify({ t: base + l.dt, user, system, procs: l.pids.map(ident), extra: { ignored: true } });
        accepted = { t: base + l.dt, pids: l.pids };
        break;
      case 'minimal':
        text = JSON.stringify({ t: base, user, system, procs: prevPids.map((pid) => ({ pid, cpu: 1.5 })) });
        accepted = { t: base, pids: prevPids };
        break;
      case 'blank':
        text = l.text;
        break;
      case 'torn':
        text = JSON.stringify({ t: base, user, system, procs: [] }).slice(0, 9);
        if (!isLast) error = 'not valid JSON';
        else warnings.push(lineNo);
        break;
      case 'array':
        text = '[1,2]';
        error = 'not a JSON object';
        break;
      case 'no-t':
        text = JSON.stringify({ user, system, procs: [] });
        error = 'numeric "t"';
        break;
      case 'backwards':
        text = JSON.stringify({ t: base - 1, user, system, procs: [] });
        if (Number.isFinite(lastT)) error = 't goes backwards';
        else accepted = { t: base - 1, pids: [] };
        break;
      case 'bad-state':
        text = JSON.stringify({ t: base, user: { state: 'asleep' }, system, procs: [] });
        error = 'unknown user.state';
        break;
      case 'no-procs':
        text = JSON.stringify({ t: base, user, system });
        error = '"procs" array';
        break;
      case 'bad-pid':
        text = JSON.stringify({ t: base, user, system, procs: [{ pid: '7' }] });
        error = 'numeric "pid"';
        break;
      case 'anonymous':
        text = JSON.stringify({ t: base, user, system, procs: [{ pid: 999_999, cpu: 50 }] });
        error = 'appears for the first time';
        break;
    }
    lines.push(text);
    if (expected) return;
    if (error) {
      expected = { ok: false, line: lineNo, message: error };
    } else if (accepted) {
      lastT = accepted.t;
      prevPids = accepted.pids;
      samples++;
      sampleLines.push(lineNo);
    }
  });
  return { lines, expected: expected ?? { ok: true, samples, warnings, sampleLines } };
}

describe('trace reader', () => {
  it('lines after a valid header: success or a TraceError at exactly the first bad line (plain and .gz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(traceLineArb, { maxLength: 12 }), fc.boolean(), async (spec, finalNewline) => {
        const { lines, expected } = renderTrace(spec);
        const lastBlank = spec.length > 0 && spec[spec.length - 1]?.k === 'blank';
        // readline drops an empty last line without a newline after it; keep the model exact.
        const content = [HEADER, ...lines].join('\n') + (finalNewline || lastBlank ? '\n' : '');
        for (const file of [tmpFile('t.jsonl', content), tmpFile('t.jsonl.gz', gzipSync(content))]) {
          const got = await traceOutcome(file);
          if (expected.ok) {
            expect(got).toEqual(expected);
          } else {
            expect(got).toMatchObject({ ok: false, line: expected.line });
            expect(got.ok ? '' : got.message).toContain(expected.message);
          }
        }
      }),
      DISK,
    );
  });

  it('random lines and random JSON after the header: success or a TraceError naming a real line', async () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, ' ')),
      fc.json({ maxDepth: 3 }),
      fc.constantFrom(JSON.stringify({ t: 1, user, system, procs: [ident(3)] })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 10 }), async (lines) => {
        const file = tmpFile('r.jsonl', [HEADER, ...lines].join('\n'));
        const got = await traceOutcome(file);
        const total = lines.length + 1;
        if (got.ok) {
          expect(got.samples).toBe(got.sampleLines.length);
          for (const l of [...got.sampleLines, ...got.warnings]) expect(l >= 2 && l <= total).toBe(true);
        } else {
          expect(got.line >= 1 && got.line <= total, `line ${got.line} of ${total}`).toBe(true);
        }
      }),
      DISK,
    );
  });

  it('random bytes, gzip-looking bytes and cut gzip streams in a .gz: success or a TraceError, never a crash', async () => {
    const valid = gzipSync(`${HEADER}\n${JSON.stringify({ t: 1, user, system, procs: [ident(3)] })}\n`.repeat(1));
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .uint8Array({ maxLength: 300 })
        .map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), b])),
      fc.nat({ max: valid.length }).map((n) => valid.subarray(0, n)),
      fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })).map(([at, v]) => {
        const copy = Buffer.from(valid);
        copy[at] = v;
        return copy;
      }),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        const got = await traceOutcome(tmpFile('x.gz', b));
        if (got.ok) expect(got.samples).toBeLessThanOrEqual(1);
        else expect(got.line).toBeGreaterThanOrEqual(0);
      }),
      DISK,
    );
  });

  it('a .gz that cannot be opened is a TraceError, not an uncaught stream error or a hang', async () => {
    expect(await traceOutcome(join(dir, 'missing.jsonl.gz'))).toMatchObject({ ok: false, line: 0 });
    expect(await traceOutcome(join(dir, 'missing.jsonl'))).toMatchObject({ ok: false, line: 0 });
    const folder = join(dir, 'folder.jsonl.gz');
    mkdirSync(folder);
    expect(await traceOutcome(folder)).toMatchObject({ ok: false });
  });

  it.skipIf(process.platform !== 'linux')('refused traces do not leak file descriptors', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const sampleLine = JSON.stringify({ t: 1, user, system, procs: [ident(3)] });
    // Bad at line 2 with megabytes behind it: the reader stops while the file is still open.
    const tail = `${sampleLine}\n`.repeat(20_000);
    const files = [
      tmpFile('bad.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(64, 0xff)])),
      tmpFile('early.jsonl', `${HEADER}\n[1]\n${tail}`),
      tmpFile('early.jsonl.gz', gzipSync(`${HEADER}\n[1]\n${tail}`)),
    ];
    for (const file of files) {
      const before = fds();
      for (let i = 0; i < 20; i++) expect(await traceOutcome(file)).toMatchObject({ ok: false });
      // Give closes queued on the thread pool a moment to land.
      await new Promise((r) => setTimeout(r, 50));
      expect(fds() - before, file).toBeLessThan(5);
    }
  });
});
