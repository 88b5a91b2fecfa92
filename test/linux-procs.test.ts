import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStatTotals } from '../main/engine/platform/linux/linux-cpu.js';
import { cmdlineText, LinuxProcsCollector } from '../main/engine/platform/linux/linux-procs.js';
import { newStatFields, parseProcStat, parseStatBytes } from '../main/engine/platform/linux/proc-file.js';
import { cpuTicks } from './helpers/proc-target.js';
import { killAndWait, sleep, spawnBurner, spawnSleeper, waitFor } from './helpers/processes.js';

const linux = process.platform === 'linux';

describe('parseProcStat', () => {
  it('counts fields from the last parenthesis, so hostile names cannot shift them', () => {
    const text =
      '4242 (evil) 1 2 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 123456 1000 77 18446744073709551615';
    const st = parseProcStat(text);
    expect(st).toMatchObject({
      comm: 'evil) 1 2 (x',
      state: 'S',
      ppid: 1,
      utime: 250,
      stime: 50,
      starttime: 123456,
      rssPages: 77,
    });
  });
  it('rejects text that is not a stat line', () => {
    expect(parseProcStat('garbage')).toBeNull();
  });
  it('reads the same fields from the bytes as from the text, hostile and broken lines included', () => {
    const good = '4242 (evil) 1 2 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 123456 1000 77 5\n';
    const lines = [
      good,
      '1 (a b) R 0 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 99 1000 3\n',
      '1 (x) S 1 1 1 0 -1 0 0 0 0 0 -5 0 0 0 20 0 1 0 99 1000 3 0', // negative utime: invalid
      '1 (x) S 1 1 1 0 -1 0 0 0 0 0 1e3 0 0 0 20 0 1 0 99 1000 3 0', // not a plain decimal
      '1 (x) S  1 1 0 -1 0 0 0 0 0 5 0 0 0 20 0 1 0 99 1000 3 0', // empty ppid
      '1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 0x1f 0 0 20 0 1 0 99', // stime and rss unreadable: 0
      '1 (x) S 1 1 1 0 -1 0 0 0 0 0 5', // cut short: no start time
      '1 (x)',
      '1 (x) ',
      '(((()))) S 2 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 9 1000 3 0',
      'no parenthesis at all',
      ')( S 1',
      '',
    ];
    for (let i = 0; i < 200; i++) {
      // Cut the good line at every length and flip bytes: whatever the text says, both agree.
      const cut = good.slice(0, i % good.length);
      lines.push(
        cut,
        cut.replace(/[0-9]/g, (d) => (Number(d) % 3 === i % 3 ? ' ' : d)),
      );
    }
    const out = newStatFields();
    for (const line of lines) {
      const text = parseProcStat(line);
      const buf = Buffer.from(`${line}trailing bytes past the end`, 'latin1');
      const ok = parseStatBytes(buf, Buffer.byteLength(line, 'latin1'), out, null);
      expect(ok, JSON.stringify(line)).toBe(text !== null);
      if (text) {
        const { state: _state, ...fields } = text;
        expect({ ...out }, JSON.stringify(line)).toEqual(fields);
        // A known name is handed back as the same string when the bytes say it, else read anew.
        expect(parseStatBytes(buf, Buffer.byteLength(line, 'latin1'), out, text.comm)).toBe(true);
        expect(out.comm).toBe(text.comm);
        parseStatBytes(buf, Buffer.byteLength(line, 'latin1'), out, `${text.comm}!`);
        expect(out.comm).toBe(text.comm);
      }
    }
  });
  it('reads the machine totals and the core count from /proc/stat', () => {
    const stat =
      'cpu  4705 150 1120 16250 520 0 35 7 0 0\ncpu0 2000 50 500 8000 300 0 20 3 0 0\ncpu1 2705 100 620 8250 220 0 15 4 0 0\nintr 114930548 113199788 3 0 5\nctxt 195\nbtime 1700000000\nprocesses 3626\ncpufreq 1\n';
    // busy: user + nice + system + irq + softirq + steal; iowait counts as idle.
    expect(parseStatTotals(stat)).toEqual({
      busy: 4705 + 150 + 1120 + 35 + 7,
      total: 4705 + 150 + 1120 + 35 + 7 + 16250 + 520,
      cores: 2,
    });
    expect(parseStatTotals('cpu  1 2 3 4\n')).toEqual({ busy: 6, total: 10, cores: 1 });
    expect(parseStatTotals('intr 1\ncpu  1 2 3 4\n')).toBeNull();
  });
  it('joins NUL-separated command lines with single spaces', () => {
    expect(cmdlineText('/usr/bin/xmrig\0--donate-level\x001\0')).toBe('/usr/bin/xmrig --donate-level 1');
  });
});

describe.skipIf(!linux)('LinuxProcsCollector on the real /proc', () => {
  const children: ReturnType<typeof spawn>[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'iw-procs-'));
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('samples a CPU burner at its real share of a core and a sleeper near 0, with full identity', async () => {
    const burner = spawnBurner();
    const sleeper = spawnSleeper();
    children.push(burner, sleeper);
    const spawnedAt = Date.now();
    const c = new LinuxProcsCollector();
    await c.start();
    await sleep(300); // let the burner get going
    await c.sample(Date.now());
    // Its real share over the same window, from the kernel's counters: on a loaded machine a
    // burner gets less than a core, and the collector must report what it really got.
    const ticks0 = cpuTicks(burner.pid!) ?? 0;
    const t0 = Date.now();
    await sleep(2000);
    const r = await c.sample(Date.now());
    const real = (((cpuTicks(burner.pid!) ?? 0) - ticks0) / 100 / ((Date.now() - t0) / 1000)) * 100;
    const b = r.procs.find((p) => p.pid === burner.pid);
    const s = r.procs.find((p) => p.pid === sleeper.pid);
    expect(b, 'burner listed').toBeDefined();
    expect(s, 'sleeper listed').toBeDefined();
    expect(real).toBeGreaterThan(2);
    expect(Math.abs(b!.cpu - real)).toBeLessThan(15);
    expect(b!.cpu).toBeGreaterThan(s!.cpu);
    // One clock tick (10 ms) of jitter over a 2 s window is 0.5%.
    expect(b!.cpu).toBeLessThanOrEqual(101);
    expect(s!.cpu).toBeLessThan(3);
    expect(b!.ppid).toBe(process.pid);
    expect(b!.exe).toBe(process.execPath);
    expect(b!.cmdline).toContain('idlewatch-test-burner');
    expect(b!.user).toBe(userInfo().username);
    expect(Math.abs(b!.startTimeMs - spawnedAt)).toBeLessThan(2000);
    await c.stop();
  });

  it('keeps a deleted executable visible as "(deleted)"', async () => {
    const copy = join(tmp, 'nvhelper');
    copyFileSync('/bin/sleep', copy);
    const child = spawn(copy, ['30'], { stdio: 'ignore' });
    children.push(child);
    await sleep(200);
    rmSync(copy);
    const c = new LinuxProcsCollector();
    const r = await c.sample(Date.now());
    const p = r.procs.find((x) => x.pid === child.pid);
    expect(p?.exe).toBe(`${copy} (deleted)`);
    expect(p?.name).toBe('nvhelper');
    await c.stop();
  });

  it('survives processes that exit mid-tick, and forgets them', async () => {
    const c = new LinuxProcsCollector();
    await c.start();
    let stop = false;
    let spawned = 0;
    const churn = (async () => {
      while (!stop) {
        const child = spawn('/bin/true', [], { stdio: 'ignore' });
        spawned++;
        await new Promise((r) => child.once('exit', r));
      }
    })();
    for (let i = 0; i < 40; i++) {
      const r = await c.sample(Date.now());
      expect(r.procs.length).toBeGreaterThan(0);
      await sleep(10);
    }
    stop = true;
    await churn;
    expect(spawned).toBeGreaterThan(10);
    await c.sample(Date.now());
    const live = (await c.sample(Date.now())).procs.length;
    expect(c.trackedCount).toBe(live);
    await c.stop();
  });

  it('notices an exec: same pid and start time, new program', async () => {
    // sh execs sleep after 0.5 s: the identity must follow.
    const child = spawn('/bin/sh', ['-c', 'sleep 0.5; exec sleep 30'], { stdio: 'ignore' });
    children.push(child);
    const c = new LinuxProcsCollector();
    await c.start();
    const before = (await c.sample(Date.now())).procs.find((p) => p.pid === child.pid);
    expect(before?.name).toBe('sh');
    await waitFor(
      async () => (await c.sample(Date.now())).procs.find((p) => p.pid === child.pid)?.name === 'sleep',
      5000,
      'the exec to show',
    );
    const after = (await c.sample(Date.now())).procs.find((p) => p.pid === child.pid);
    expect(after?.cmdline).toBe('sleep 30');
    expect(after?.exe).toMatch(/sleep$/);
    await c.stop();
  });

  it('notices an exec that keeps the name (a launcher script named like its miner) once it is busy', async () => {
    // `busy` (a #!/bin/sh script, so comm "busy", exe /usr/bin/dash) waits for a line, then execs
    // bin/busy (a copy of dash, so comm "busy" again) that burns a core: only the exe link moves.
    const dir = join(tmp, 'samename');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    copyFileSync('/bin/dash', join(dir, 'bin', 'busy'));
    chmodSync(join(dir, 'bin', 'busy'), 0o755);
    const script = join(dir, 'busy');
    writeFileSync(script, `#!/bin/sh\nread go\nexec ${join(dir, 'bin', 'busy')} -c 'while :; do :; done'\n`, {
      mode: 0o755,
    });
    const child = spawn(script, [], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    const c = new LinuxProcsCollector();
    await c.start();
    await sleep(200);
    const before = (await c.sample(Date.now())).procs.find((p) => p.pid === child.pid);
    expect(before?.name).toBe('busy');
    expect(before?.exe).not.toContain(dir);
    child.stdin?.write('go\n');
    await waitFor(
      async () => (await c.sample(Date.now())).procs.find((p) => p.pid === child.pid)?.exe === join(dir, 'bin', 'busy'),
      10_000,
      'the exe change to show',
    );
    const after = (await c.sample(Date.now())).procs.find((p) => p.pid === child.pid);
    expect(after?.name).toBe('busy');
    expect(after?.cmdline).toContain('while :; do :; done');
    expect(after?.startTimeMs).toBe(before?.startTimeMs);
    await c.stop();
  });
});

describe('LinuxProcsCollector on a fake /proc', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-fakeproc-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function writeProc(pid: number, comm: string, utime: number, starttime: number, withStat = true): void {
    const dir = join(root, String(pid));
    mkdirSync(dir, { recursive: true });
    if (withStat) {
      writeFileSync(
        join(dir, 'stat'),
        `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 ${utime} 0 0 0 20 0 1 0 ${starttime} 1000 10 0`,
      );
    } else {
      rmSync(join(dir, 'stat'), { force: true });
    }
    writeFileSync(join(dir, 'cmdline'), `${comm}\0--flag\0`);
  }

  it('never diffs CPU across two different processes that share a pid', async () => {
    writeFileSync(join(root, 'stat'), 'cpu  1 2 3 4 5 6 7 8 0 0\nbtime 1700000000\n');
    mkdirSync(join(root, 'self'), { recursive: true });
    writeFileSync(join(root, 'self', 'stat'), '1 (self) S 0 0 0 0 0 0 0 0 0 0 0 0 0');
    writeProc(100, 'first', 5000, 1000);
    writeProc(200, 'gone', 10, 1000);
    const c = new LinuxProcsCollector({ procRoot: root });
    await c.start();
    const t0 = Date.now();
    // pid 100 is now a different process (new start time) with far fewer ticks.
    writeProc(100, 'second', 20, 900_000);
    // pid 200 is listed but its stat vanished: it exited between listing and reading.
    writeProc(200, 'gone', 10, 1000, false);
    const r = await c.sample(t0 + 1000);
    const p = r.procs.find((x) => x.pid === 100);
    expect(p?.name).toBe('second');
    expect(p?.cmdline).toBe('second --flag');
    expect(p?.cpu).toBeGreaterThanOrEqual(0);
    expect(p?.startTimeMs).toBe(1_700_000_000_000 + 9_000_000);
    expect(r.procs.some((x) => x.pid === 200)).toBe(false);
    expect(c.trackedCount).toBe(1);
    await c.stop();
  });

  it('hot passes re-read busy and watched processes only, and carry the others forward', async () => {
    writeProc(300, 'busy', 0, 1000);
    writeProc(301, 'quiet', 0, 1000);
    writeProc(302, 'gpuuser', 0, 1000);
    const c = new LinuxProcsCollector({ procRoot: root, hotCpu: 0.5 });
    await c.start();
    const t0 = Date.now();
    writeProc(300, 'busy', 100, 1000); // 100 ticks = 1 s of CPU over 1 s
    const full = await c.sample(t0 + 1000);
    expect(full.full).toBe(true);
    expect(full.procs.find((p) => p.pid === 300)?.cpu).toBeCloseTo(100, -1);
    expect(full.procs.find((p) => p.pid === 301)?.cpu).toBe(0);
    writeProc(300, 'busy', 150, 1000);
    writeProc(301, 'quiet', 50, 1000); // quiet one woke up, but a hot pass does not look at it…
    writeProc(302, 'gpuuser', 20, 1000); // …unless watched
    const hot = await c.sample(t0 + 2000, { full: false, watch: [302] });
    expect(hot.full).toBe(false);
    expect(hot.procs.find((p) => p.pid === 300)?.cpu).toBe(50);
    expect(hot.procs.find((p) => p.pid === 301)?.cpu).toBe(0);
    expect(hot.procs.find((p) => p.pid === 302)?.cpu).toBe(20);
    // The next full pass charges the quiet one for everything since it was last read.
    writeProc(300, 'busy', 250, 1000);
    const next = await c.sample(t0 + 3000);
    expect(next.procs.find((p) => p.pid === 301)?.cpu).toBe(25);
    expect(next.procs.find((p) => p.pid === 300)?.cpu).toBeCloseTo(100, -1);
    // Exited processes vanish and new ones appear on the very next hot pass.
    rmSync(join(root, '300'), { recursive: true });
    rmSync(join(root, '301'), { recursive: true });
    writeProc(303, 'newcomer', 0, 1000);
    const after = await c.sample(t0 + 4000, { full: false });
    const ours = after.procs.map((p) => p.pid).filter((pid) => pid >= 300);
    expect(ours.sort()).toEqual([302, 303]);
    expect(c.trackedCount).toBe(after.procs.length);
    await c.stop();
  });

  it('hands out the same list while no process starts, exits or execs, and says which entries it re-read', async () => {
    const r3 = mkdtempSync(join(tmpdir(), 'iw-same-'));
    try {
      writeFileSync(join(r3, 'stat'), 'cpu  1 2 3 4 5 6 7 8 0 0\nbtime 1700000000\nprocesses 77\n');
      mkdirSync(join(r3, 'self'), { recursive: true });
      writeFileSync(join(r3, 'self', 'stat'), '1 (self) S 0 0 0 0 0 0 0 0 0 0 0 0 0');
      const proc = (pid: number, comm: string, ticks: number) => {
        mkdirSync(join(r3, String(pid)), { recursive: true });
        writeFileSync(
          join(r3, String(pid), 'stat'),
          `${pid} (${comm}) S 1 1 1 0 -1 0 0 0 0 0 ${ticks} 0 0 0 20 0 1 0 1000 1000 10 0`,
        );
        writeFileSync(join(r3, String(pid), 'cmdline'), `${comm}\0`);
      };
      proc(10, 'quiet', 0);
      proc(11, 'busy', 0);
      proc(12, 'other', 0);
      const c = new LinuxProcsCollector({ procRoot: r3 });
      await c.start();
      const t0 = Date.now();
      let busy = 0;
      const tick = async (at: number, watch: number[] = [], full = false) => {
        busy += 50;
        proc(11, 'busy', busy);
        return c.sample(t0 + at, { full, watch });
      };
      await tick(1000, [], true); // a full pass sees the busy one
      const second = await tick(2000); // the first hot pass without a fork makes the carried list
      expect(second.same).toBeUndefined();
      const third = await tick(3000, [12]);
      expect(third.procs).toBe(second.procs);
      const at = (pid: number) => third.same?.indexOf(pid);
      expect(third.procs.map((p) => p.pid)).toEqual([10, 11, 12]);
      expect([...(third.same?.reread ?? [])].sort()).toEqual([at(11), at(12)].sort());
      expect(third.procs[at(11)!]!.cpu).toBe(50);
      // An exec of a re-read process is a new reading: the list is made again.
      busy += 50;
      proc(11, 'xmrig', busy);
      const fourth = await c.sample(t0 + 4000, { full: false });
      expect(fourth.same).toBeUndefined();
      expect(fourth.procs.find((p) => p.pid === 11)?.name).toBe('xmrig');
      const fifth = await c.sample(t0 + 5000, { full: false }); // makes the carried list
      busy += 50;
      proc(11, 'xmrig', busy);
      const sixthSame = await c.sample(t0 + 5500, { full: false });
      expect(sixthSame.procs).toBe(fifth.procs);
      // The busy one exits: gone at once, and the list is made again.
      rmSync(join(r3, '11'), { recursive: true });
      const sixth = await c.sample(t0 + 6000, { full: false });
      expect(sixth.same).toBeUndefined();
      expect(sixth.procs.map((p) => p.pid)).toEqual([10, 12]);
      await c.stop();
    } finally {
      rmSync(r3, { recursive: true, force: true });
    }
  });

  it('skips the /proc listing on hot passes while the kernel fork counter stands still', async () => {
    const r2 = mkdtempSync(join(tmpdir(), 'iw-forks-'));
    try {
      const setForks = (n: number) =>
        writeFileSync(join(r2, 'stat'), `cpu  1 2 3 4 5 6 7 8 0 0\nbtime 1700000000\nprocesses ${n}\n`);
      const proc = (pid: number) => {
        mkdirSync(join(r2, String(pid)), { recursive: true });
        writeFileSync(
          join(r2, String(pid), 'stat'),
          `${pid} (p${pid}) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1000 1000 10 0`,
        );
        writeFileSync(join(r2, String(pid), 'cmdline'), `p${pid}\0`);
      };
      mkdirSync(join(r2, 'self'), { recursive: true });
      writeFileSync(join(r2, 'self', 'stat'), '1 (self) S 0 0 0 0 0 0 0 0 0 0 0 0 0');
      setForks(500);
      proc(10);
      const c = new LinuxProcsCollector({ procRoot: r2 });
      await c.start();
      const t0 = Date.now();
      proc(11); // appears without the counter moving (impossible on a real kernel): not listed
      const a = await c.sample(t0 + 1000, { full: false });
      expect(a.procs.map((p) => p.pid)).toEqual([10]);
      setForks(501); // a fork happened: the hot pass lists /proc again
      const b = await c.sample(t0 + 2000, { full: false });
      expect(b.procs.map((p) => p.pid).sort()).toEqual([10, 11]);
      await c.stop();
    } finally {
      rmSync(r2, { recursive: true, force: true });
    }
  });
});
