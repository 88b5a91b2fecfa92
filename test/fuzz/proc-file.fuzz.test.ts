/**
 * Property tests for /proc/PID/stat and cmdline (main/engine/platform/linux/proc-file.ts, cmdlineText in linux-procs.ts): text a
 * hostile process controls (its name) read through ProcFileReader.
 * Each property states what must hold for ANY input (no throw but the documented error type,
 * numbers finite, no prototype pollution, bounded time) and, where a valid input can be
 * generated, that it is read back exactly even when garbage is mixed in. Seed, run counts and
 * shared arbitraries: ./common.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cmdlineText } from '../../main/engine/platform/linux/linux-procs.js';
import { ProcFileReader, type ProcStat, parseProcStat } from '../../main/engine/platform/linux/proc-file.js';
import { anyText, bigDecimal, DISK, fuzzTmpDir, isCount, PURE } from './common.js';

const { tmpFile } = fuzzTmpDir();

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
