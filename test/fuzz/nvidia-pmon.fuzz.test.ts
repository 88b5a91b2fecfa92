/**
 * Property tests for nvidia-smi pmon (main/engine/platform/nvidia/pmon-parse.ts): rows of every
 * column layout, and what a dying driver prints instead.
 * Each property states what must hold for ANY input (no throw but the documented error type,
 * numbers finite, no prototype pollution, bounded time) and, where a valid input can be
 * generated, that it is read back exactly even when garbage is mixed in. Seed, run counts and
 * shared arbitraries: ./common.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PMON_ENGINE_COLUMNS,
  type PmonFrame,
  type PmonProc,
  parsePmon,
} from '../../main/engine/platform/nvidia/pmon-parse.js';
import { anyText, bigDecimal, isCount, PURE } from './common.js';

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
