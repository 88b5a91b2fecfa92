/**
 * Property tests for the trace reader (main/engine/trace/trace-reader.ts): plain and gzip
 * traces with bad lines, random JSON, random bytes and cut streams.
 * Each property states what must hold for ANY input (no throw but the documented error type,
 * numbers finite, no prototype pollution, bounded time) and, where a valid input can be
 * generated, that it is read back exactly even when garbage is mixed in. Seed, run counts and
 * shared arbitraries: ./common.ts.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTrace, TraceError } from '../../main/engine/trace/trace-reader.js';
import { DISK, fuzzTmpDir } from './common.js';

const { dir, tmpFile } = fuzzTmpDir();

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
