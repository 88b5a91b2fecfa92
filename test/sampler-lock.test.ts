// store/sampler-lock.ts: one sampler per data folder. Real files and real processes: a live holder
// keeps the lock, a dead one's lock is taken over, a reused pid (alive, another start time) does
// not keep it, racing takers of one stale lock leave exactly one winner, and a holder notices
// when its lock file is removed or replaced.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  holderAlive,
  LOCK_FILE,
  type LockHolder,
  type ProcessProbe,
  realProbe,
  SamplerLock,
} from '../main/engine/store/sampler-lock.js';
import { killAndWait, spawnSleeper, waitFor } from './helpers/processes.js';

const linux = process.platform === 'linux';

describe('sampler lock', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-lock-'));
  let n = 0;
  const fresh = (): string => {
    const d = join(root, String(n++));
    mkdirSync(d);
    return d;
  };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('the first taker holds it; a second is refused and told who holds it; release frees it', async () => {
    const dir = fresh();
    const a = await SamplerLock.acquire(dir, 'daemon');
    expect(a.ok).toBe(true);
    const written = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
    expect(written).toMatchObject({ pid: process.pid, owner: 'daemon' });
    // Another process (a child holding it) refuses us.
    const child = spawnSleeper();
    try {
      await waitFor(() => realProbe.startOf(child.pid!) !== null, 5000, 'the child to run');
      if (!a.ok) return;
      await a.lock.release();
      const held = await SamplerLock.acquire(dir, 'app', { pid: child.pid! });
      expect(held.ok).toBe(true);
      const b = await SamplerLock.acquire(dir, 'daemon');
      expect(b).toEqual({ ok: false, holder: expect.objectContaining({ pid: child.pid, owner: 'app' }) });
      if (held.ok) await held.lock.release();
      const c = await SamplerLock.acquire(dir, 'daemon');
      expect(c.ok).toBe(true);
      if (c.ok) await c.lock.release();
    } finally {
      await killAndWait(child);
    }
  });

  it('a lock whose process died is taken over', async () => {
    const dir = fresh();
    const child = spawnSleeper();
    await waitFor(() => realProbe.startOf(child.pid!) !== null, 5000, 'the child to run');
    const held = await SamplerLock.acquire(dir, 'app', { pid: child.pid! });
    expect(held.ok).toBe(true);
    expect((await SamplerLock.acquire(dir, 'daemon')).ok).toBe(false);
    await killAndWait(child); // dies without releasing
    const taken = await SamplerLock.acquire(dir, 'daemon');
    expect(taken.ok).toBe(true);
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder).pid).toBe(process.pid);
    if (taken.ok) await taken.lock.release();
  });

  it.skipIf(!linux)('a reused pid does not keep the lock: the pid runs, but with another start time', async () => {
    const dir = fresh();
    const child = spawnSleeper();
    try {
      await waitFor(() => realProbe.startOf(child.pid!) !== null, 5000, 'the child to run');
      const real = realProbe.startOf(child.pid!)!;
      // The lock names the child's pid with the start time of the process that had it before.
      const stale: LockHolder = {
        pid: child.pid!,
        owner: 'app',
        start: String(Number(real) - 1000),
        boot: realProbe.bootId(),
        since: 0,
      };
      expect(holderAlive(stale)).toBe(false);
      expect(holderAlive({ ...stale, start: real })).toBe(true);
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
      const taken = await SamplerLock.acquire(dir, 'daemon');
      expect(taken.ok).toBe(true);
      if (taken.ok) await taken.lock.release();
      // A lock from an earlier boot is stale whatever its pid.
      expect(holderAlive({ ...stale, start: real, boot: 'another-boot' })).toBe(false);
    } finally {
      await killAndWait(child);
    }
  });

  it('an empty or garbled lock (its writer died mid-write) is taken over', async () => {
    for (const text of ['', '{"pid":', 'not json', '{"pid":-4,"owner":"daemon"}']) {
      const dir = fresh();
      writeFileSync(join(dir, LOCK_FILE), text);
      const taken = await SamplerLock.acquire(dir, 'daemon');
      expect(taken.ok, JSON.stringify(text)).toBe(true);
      if (taken.ok) await taken.lock.release();
    }
  });

  it('takers racing for one stale lock: exactly one wins, every time', async () => {
    // Four takers in one process: their awaits interleave the file operations (read, judge stale,
    // move aside, check, create) as separate processes would. Each sees the others as alive.
    const racers = [101, 202, 303, 404];
    const probe: ProcessProbe = {
      startOf: (pid) => (racers.includes(pid) ? `start-${pid}` : null),
      bootId: () => 'boot',
    };
    for (let round = 0; round < 60; round++) {
      const dir = fresh();
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999, owner: 'app', start: '1', boot: 'boot' }));
      const results = await Promise.all(racers.map((pid) => SamplerLock.acquire(dir, 'daemon', { pid, probe })));
      const winners = results.filter((r) => r.ok);
      expect(winners.length, `round ${round}`).toBe(1);
      // The file names the winner, and the losers were told so.
      const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
      if (winners[0]?.ok) expect(holder.pid).toBe(winners[0].lock.holder.pid);
      for (const r of results) if (!r.ok) expect(r.holder.pid).toBe(holder.pid);
      // Nothing left behind but the lock.
      expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    }
  });

  it('a holder hears when its lock is removed or taken', async () => {
    const dir = fresh();
    const a = await SamplerLock.acquire(dir, 'daemon');
    if (!a.ok) throw new Error('not taken');
    let lost: LockHolder | null | undefined;
    a.lock.watch((now) => {
      lost = now;
    });
    unlinkSync(join(dir, LOCK_FILE));
    await waitFor(() => lost !== undefined, 15_000, 'the holder to notice');
    expect(lost).toBeNull();
    await a.lock.release();
  });
});
