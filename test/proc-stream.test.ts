import { serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EngineProc } from '../shared/engine-types.js';
import {
  capText,
  IDENTITY_BUDGET_CHARS,
  type ProcDelta,
  ProcStreamDecoder,
  ProcStreamEncoder,
  STREAM_TEXT_LIMITS,
} from '../shared/proc-stream.js';

function proc(pid: number, over: Partial<EngineProc> = {}): EngineProc {
  return {
    pid,
    ppid: 1,
    startTimeMs: 1_700_000_000_000 + pid,
    name: `p${pid}`,
    exe: `/usr/bin/p${pid}`,
    cmdline: `/usr/bin/p${pid} --flag`,
    user: 'ana',
    cpu: 0,
    gpu: null,
    gpuMemMiB: null,
    gpuId: null,
    rssKiB: 1000,
    ...over,
  };
}

/** A fresh copy of every row, as a sampler that does not reuse objects would hand them out. */
const copies = (procs: EngineProc[]) => procs.map((p) => ({ ...p }));

describe('the process stream (engine → window)', () => {
  it('sends each identity once; then only the figures that changed, and removals', () => {
    const enc = new ProcStreamEncoder();
    const procs = Array.from({ length: 1000 }, (_, i) => proc(100 + i));
    const first = enc.encode(procs);
    expect(first.base).toBeNull();
    expect(first.ids).toHaveLength(1000);
    expect(first.count).toBe(1000);

    // Same values, new objects: nothing to say (a full snapshot would repeat all 1,000).
    const quiet = enc.encode(copies(procs));
    expect(quiet).toMatchObject({ base: first.seq, ids: [], figs: [], gone: [], count: 1000 });
    expect(serialize(quiet).length).toBeLessThan(200);

    // One process works, one exits: one figures row, one removal, no identity.
    const next = copies(procs);
    next[5] = { ...next[5]!, cpu: 42.04 };
    const exited = next.splice(9, 1)[0]!;
    const d = enc.encode(next);
    const idOf = (pid: number) => first.ids.find((s) => s.pid === pid)!.id;
    expect(d.ids).toEqual([]);
    expect(d.figs).toEqual([[idOf(105), 42, null, null, null]]);
    expect(d.gone).toEqual([idOf(exited.pid)]);
    expect(d.count).toBe(999);

    // Noise below the window's 0.1 % resolution is not a change.
    next[5] = { ...next[5]!, cpu: 42.01 };
    expect(enc.encode(next).figs).toEqual([]);
  });

  it('sends the identity again after an exec (same id), and treats a reused pid as a new process', () => {
    const enc = new ProcStreamEncoder();
    const a = proc(500);
    const first = enc.encode([a]);
    const id = first.ids[0]!.id;
    const execed = enc.encode([{ ...a, name: 'xmrig', exe: '/tmp/xmrig', cmdline: '/tmp/xmrig -o pool:3333' }]);
    expect(execed.ids).toMatchObject([{ id, name: 'xmrig', exe: '/tmp/xmrig' }]);
    expect(execed.gone).toEqual([]);
    const reused = enc.encode([{ ...a, startTimeMs: a.startTimeMs + 5000 }]);
    expect(reused.gone).toEqual([id]);
    expect(reused.ids).toHaveLength(1);
    expect(reused.ids[0]!.id).not.toBe(id);
  });

  it('cuts every string to what the window shows and keeps a worst-case message under 1 MB', () => {
    const long = `/usr/bin/sleep ${'A'.repeat(256 * 1024)}`;
    const procs = Array.from({ length: 1000 }, (_, i) =>
      proc(2000 + i, { name: 'n'.repeat(500), exe: `/${'e'.repeat(5000)}`, cmdline: long, user: 'u'.repeat(300) }),
    );
    const enc = new ProcStreamEncoder();
    const sizes: number[] = [];
    let d: ProcDelta;
    const dec = new ProcStreamDecoder();
    do {
      d = enc.encode(procs);
      sizes.push(serialize(d).length);
      expect(dec.apply(d)).toBe(true);
      for (const s of d.ids) {
        expect(s.cmdline.length).toBeLessThanOrEqual(STREAM_TEXT_LIMITS.cmdline);
        expect(s.exe!.length).toBeLessThanOrEqual(STREAM_TEXT_LIMITS.exe);
        expect(s.name.length).toBeLessThanOrEqual(STREAM_TEXT_LIMITS.name);
        expect(s.user!.length).toBeLessThanOrEqual(STREAM_TEXT_LIMITS.user);
        expect(s.cut).toBe(true);
        expect(s.cmdline.endsWith('…')).toBe(true);
      }
    } while (d.pending > 0 && sizes.length < 10);
    // The identities spread over a few messages, each bounded; then all 1,000 are held.
    expect(d.pending).toBe(0);
    expect(dec.procs()).toHaveLength(1000);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThan(1024 * 1024);
    // Then nothing more: the 256 KiB strings are never sent again.
    expect(serialize(enc.encode(procs)).length).toBeLessThan(200);
  });

  it('never splits a surrogate pair when cutting', () => {
    const s = `${'a'.repeat(298)}😀😀😀`;
    const cut = capText(s, 300);
    expect(cut.length).toBeLessThanOrEqual(300);
    expect(cut.endsWith('…')).toBe(true);
    expect(/[\ud800-\udbff]…$/.test(cut)).toBe(false);
  });

  it('the window refuses a message that does not follow the last one, until a keyframe', () => {
    const enc = new ProcStreamEncoder();
    const dec = new ProcStreamDecoder();
    expect(dec.apply(enc.encode([proc(1), proc(2)]))).toBe(true);
    enc.encode([proc(1)]); // lost on the way
    expect(dec.apply(enc.encode([proc(1), proc(3)]))).toBe(false);
    expect(dec.synced).toBe(false);
    enc.reset();
    expect(dec.apply(enc.encode([proc(1), proc(3)]))).toBe(true);
    expect(dec.procs().map((p) => p.pid)).toEqual([1, 3]);
  });

  it('what the window holds always equals the capped latest list (any sequence of ticks)', () => {
    const row = fc.record({
      pid: fc.integer({ min: 1, max: 40 }),
      start: fc.integer({ min: 0, max: 2 }),
      name: fc.constantFrom('a', 'b', 'x'.repeat(100)),
      cmd: fc.constantFrom('', 'c --x', 'y'.repeat(1000)),
      cpu: fc.constantFrom(0, 0.04, 1.5, 99.9),
      gpu: fc.constantFrom(null, 0, 50),
    });
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(row, { selector: (r) => r.pid, maxLength: 30 }), { maxLength: 12 }),
        (ticks) => {
          const enc = new ProcStreamEncoder();
          const dec = new ProcStreamDecoder();
          for (const t of ticks) {
            const procs = t.map((r) =>
              proc(r.pid, { startTimeMs: r.start, name: r.name, cmdline: r.cmd, cpu: r.cpu, gpu: r.gpu }),
            );
            expect(dec.apply(enc.encode(procs))).toBe(true);
            const held = new Map(dec.procs().map((p) => [p.pid, p]));
            expect(held.size).toBe(procs.length);
            for (const p of procs) {
              const h = held.get(p.pid)!;
              expect([h.startTimeMs, h.name, h.cmdline, h.cpu, h.gpu]).toEqual([
                p.startTimeMs,
                capText(p.name, STREAM_TEXT_LIMITS.name),
                capText(p.cmdline, STREAM_TEXT_LIMITS.cmdline),
                Math.round(p.cpu * 10) / 10,
                p.gpu,
              ]);
            }
          }
        },
      ),
    );
  });

  it('holds the latest list when quiet rows are the same objects from tick to tick, as the sampler hands them out', () => {
    // The encoder's shortcut for an unchanged list must send exactly what the whole walk sends.
    const step = fc.record({
      keep: fc.array(fc.constantFrom('same', 'same', 'same', 'figures', 'exec'), { minLength: 40, maxLength: 40 }),
      cpu: fc.constantFrom(0, 0.3, 12.5, 80),
      membership: fc.constantFrom('none', 'none', 'none', 'add', 'remove', 'reuse-pid'),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 15 }), (steps) => {
        const enc = new ProcStreamEncoder();
        const dec = new ProcStreamDecoder();
        let rows = Array.from({ length: 20 }, (_, i) => proc(100 + i, { startTimeMs: 5, cpu: 0 }));
        let nextPid = 500;
        for (const st of steps) {
          rows = rows.map((r, i) => {
            const k = st.keep[i % st.keep.length];
            if (k === 'figures') return { ...r, cpu: st.cpu };
            if (k === 'exec') return { ...r, name: `${r.name}x`, cmdline: `${r.cmdline} --exec` };
            return r;
          });
          if (st.membership === 'add') rows = [...rows, proc(nextPid++, { startTimeMs: 7, cpu: st.cpu })];
          if (st.membership === 'remove' && rows.length > 1) rows = rows.slice(1);
          if (st.membership === 'reuse-pid')
            rows = [proc(rows[0]!.pid, { startTimeMs: 99, name: 'new' }), ...rows.slice(1)];
          expect(dec.apply(enc.encode(rows))).toBe(true);
          const held = new Map(dec.procs().map((p) => [p.pid, p]));
          expect(held.size).toBe(rows.length);
          for (const p of rows) {
            const h = held.get(p.pid)!;
            expect([h.startTimeMs, h.name, h.cmdline, h.cpu]).toEqual([
              p.startTimeMs,
              capText(p.name, STREAM_TEXT_LIMITS.name),
              capText(p.cmdline, STREAM_TEXT_LIMITS.cmdline),
              Math.round(p.cpu * 10) / 10,
            ]);
          }
        }
      }),
    );
  });

  it('spends at most the identity budget per message', () => {
    const procs = Array.from({ length: 3000 }, (_, i) => proc(10_000 + i, { cmdline: 'z'.repeat(1000) }));
    const enc = new ProcStreamEncoder();
    const d = enc.encode(procs);
    const chars = d.ids.reduce((n, s) => n + 64 + s.name.length + (s.exe?.length ?? 0) + s.cmdline.length + 3, 0);
    expect(chars).toBeLessThanOrEqual(IDENTITY_BUDGET_CHARS);
    expect(d.pending).toBe(3000 - d.ids.length);
    expect(d.count).toBe(d.ids.length);
  });
});
