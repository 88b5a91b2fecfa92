/**
 * Property tests for nvidia-smi CSV (main/engine/platform/nvidia/csv-parse.ts and parseSmiNumber in smi-values.ts): the
 * --query-gpu loop and --query-compute-apps, placeholders and error lines included.
 * Each property states what must hold for ANY input (no throw but the documented error type,
 * numbers finite, no prototype pollution, bounded time) and, where a valid input can be
 * generated, that it is read back exactly even when garbage is mixed in. Seed, run counts and
 * shared arbitraries: ./common.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseComputeApps,
  parseQueryGpuLine,
  parseSmiCsv,
  QUERY_COMPUTE_APPS_FIELDS,
  QUERY_GPU_FIELD_SETS,
  type SmiGpuRow,
} from '../../main/engine/platform/nvidia/csv-parse.js';
import { parseSmiNumber } from '../../main/engine/platform/nvidia/smi-values.js';
import { anyText, bigDecimal, PURE } from './common.js';

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
