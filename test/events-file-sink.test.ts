import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventLine } from '../main/engine/events/bound.js';
import { type EventStamp, incidentEvent } from '../main/engine/events/build.js';
import type { IdlewatchEvent } from '../main/engine/events/schema.js';
import { JsonlFileSink } from '../main/engine/events/sinks/jsonl-file-sink.js';

let seq = 0;
const stamp = (): EventStamp => ({
  at: Date.now(),
  id: `f${++seq}`,
  sequence: seq,
  hostName: 'ws-3',
  version: '0.1.0',
});

/** An event whose line is about `size` bytes (its command line padded), with its own sequence number. */
function event(size = 600): IdlewatchEvent {
  const t = Date.now();
  const base = {
    pid: 77,
    startT: t - 1000,
    name: 'miner',
    exe: '/tmp/miner',
    cmdline: '',
    user: 'u',
    severity: 'medium' as const,
    score: 0.5,
    firstAt: t,
    lastAt: t,
    reasons: [],
    idleGpuSec: 0,
    idleCpuSec: 1,
    allowlisted: false,
  };
  const bare = eventLine(incidentEvent(stamp(), base, { kind: 'opened' }, null)).length;
  seq--;
  // The command line is bounded to 2,048 characters: the executable's path takes the rest.
  const pad = Math.max(0, size - bare);
  const cmdline = 'x'.repeat(Math.min(pad, 2000));
  const exe = `/tmp/${'y'.repeat(Math.max(0, pad - cmdline.length - 5))}`;
  return incidentEvent(stamp(), { ...base, cmdline, exe }, { kind: 'opened' }, null);
}

/** Every line of the file, parsed; fails on a partial or malformed line, or a file not ending in a newline. */
function readLines(path: string): IdlewatchEvent[] {
  const text = readFileSync(path, 'utf8');
  if (text === '') return [];
  expect(text.endsWith('\n'), `${path} ends with a whole line`).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as IdlewatchEvent);
}

describe('JSON-lines file sink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-evfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates by size, keeps N files, loses no line in between and never splits one', async () => {
    const path = join(dir, 'events.jsonl');
    const sink = new JsonlFileSink(path, { maxBytes: 4000, keep: 2 });
    await sink.open();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const sent: IdlewatchEvent[] = [];
    for (let i = 0; i < 30; i++) {
      const e = event(900);
      sent.push(e);
      sink.write(e);
    }
    await sink.close();
    expect(sink.stats()).toEqual({ written: 30, dropped: 0, lastError: null });
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const files = [`${path}.2`, `${path}.1`, path];
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(4000);
    // Oldest to newest, the kept files hold the last events in order, with no gap between files.
    const kept = files.flatMap(readLines).map((e) => e.event.sequence);
    expect(kept.length).toBeGreaterThan(6);
    const last = sent.map((e) => e.event.sequence).slice(-kept.length);
    expect(kept).toEqual(last);
  });

  it('notices a file moved away by logrotate and starts a new one at the path', async () => {
    const path = join(dir, 'moved.jsonl');
    const sink = new JsonlFileSink(path);
    await sink.open();
    const a = event();
    sink.write(a);
    await sink.flush();
    renameSync(path, `${path}.old`);
    const b = event();
    sink.write(b);
    await sink.close();
    expect(readLines(`${path}.old`).map((e) => e.event.id)).toEqual([a.event.id]);
    expect(readLines(path).map((e) => e.event.id)).toEqual([b.event.id]);
  });

  it('refuses a symlink planted at the path', async () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '');
    const path = join(dir, 'link.jsonl');
    symlinkSync(target, path);
    await expect(new JsonlFileSink(path).open()).rejects.toThrow(/ELOOP|symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('');
  });
});

/** A real 64 KiB filesystem (tmpfs) where root may mount one: a really full disk. */
function tryMountTmpfs(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const d = mkdtempSync(join(tmpdir(), 'iw-evtiny-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', d]);
  if (r.status === 0) return d;
  rmdirSync(d);
  return null;
}

const tiny = tryMountTmpfs();

describe.skipIf(tiny === null)(
  `JSON-lines file sink on a really full disk (64 KiB tmpfs)${tiny === null ? ' (skipped: mounting a tmpfs needs root on Linux)' : ''}`,
  () => {
    const dir = tiny ?? '';
    afterAll(() => {
      execFileSync('umount', ['-l', dir]);
      rmdirSync(dir);
    });

    it('drops and counts what does not fit, keeps only whole lines, and writes again once there is room', {
      timeout: 30_000,
    }, async () => {
      const path = join(dir, 'events.jsonl');
      const problems: string[] = [];
      const sink = new JsonlFileSink(path, { maxBytes: 1 << 20, onProblem: (m) => problems.push(m) });
      await sink.open();
      // A few events, then the rest of the disk filled, leaving the file's last page part-used: the
      // next line gets a short write (the kernel fills that page), then nothing at all.
      for (let i = 0; i < 3; i++) sink.write(event(2000));
      await sink.flush();
      expect(statSync(path).size % 4096).not.toBe(0);
      const filler = join(dir, 'filler');
      const fd = openSync(filler, 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(1024, 0x61));
      } catch (e) {
        expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        closeSync(fd);
      }
      const sizeFull = statSync(path).size;
      // Longer than what is left of the file's last page.
      const big = Array.from({ length: 5 }, () => event(3000));
      expect(eventLine(big[0]).length).toBeGreaterThan(4096 - (sizeFull % 4096));
      for (const e of big) sink.write(e);
      await sink.flush();

      const stats = sink.stats();
      expect(stats.written).toBe(3);
      expect(stats.dropped).toBe(5);
      expect(stats.lastError).toMatch(/no space left/);
      expect(problems).toHaveLength(5);
      // The short write was cut back: the file is as it was, whole lines only.
      expect(statSync(path).size).toBe(sizeFull);
      expect(readLines(path)).toHaveLength(3);
      expect(problems.some((p) => /no space left for the whole line \(\d+ of \d+ bytes\)/.test(p))).toBe(true);

      unlinkSync(filler);
      const after = event(1500);
      sink.write(after);
      await sink.close();
      expect(sink.stats()).toMatchObject({ written: 4, dropped: 5 });
      const lines = readLines(path);
      expect(lines).toHaveLength(4);
      expect(lines.at(-1)?.event.id).toBe(after.event.id);
    });
  },
);
