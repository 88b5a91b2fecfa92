import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ProcsReading } from '../main/engine/platform/procs.js';
import { helperArgs, samplerArgs } from '../main/engine/platform/win32/commands.js';
import type { PlatformCollectors } from '../main/engine/platform/bundle.js';
import { createWindowsCollectors } from '../main/engine/platform/win32/index.js';

// The collectors run for real (long-lived child, line splitting, parsing, restarts) against a
// fake powershell.exe that replays the hand-made fixtures of test/fixtures/windows/.
const FIX = join(import.meta.dirname, 'fixtures', 'windows');
const dir = mkdtempSync(join(tmpdir(), 'iw-winps-'));
const fake = join(dir, 'powershell.exe');
copyFileSync(join(FIX, 'fake-powershell.cjs'), fake);
chmodSync(fake, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);
let seq = 0;
let open: PlatformCollectors | null = null;

afterEach(async () => {
  if (open) await stopAll(open);
  open = null;
});

async function stopAll(c: PlatformCollectors): Promise<void> {
  await Promise.all([
    c.procs.stop(),
    c.cpu.stop(),
    ...c.gpus.map((g) => g.stop()),
    ...c.idleSources.map((s) => s.close?.()),
    c.fullscreen.close?.(),
    c.gamepad.close?.(),
  ]);
}

function setup(samples: string, extra: Record<string, string> = {}, opts: { staleAfterMs?: number } = {}) {
  const n = ++seq;
  const control = join(dir, `control-${n}`);
  const log = join(dir, `log-${n}.jsonl`);
  writeFileSync(control, 'replay 0');
  const c = createWindowsCollectors({
    supported: true,
    powershellPath: fake,
    intervalMs: 1000,
    parentPid: 4321,
    backoffMs: { initial: 50, max: 200 },
    requestTimeoutMs: 500,
    helperStartTimeoutMs: 200,
    staleAfterMs: opts.staleAfterMs ?? 1500,
    silenceTimeoutMs: 60_000,
    env: {
      ...process.env,
      FAKE_PS_CONTROL: control,
      FAKE_PS_LOG: log,
      FAKE_PS_SAMPLES: join(FIX, samples),
      FAKE_PS_IDENT: join(FIX, 'helper-ident.json'),
      FAKE_PS_IDLE_MS: '65432',
      FAKE_PS_PERIOD_MS: '20',
      ...extra,
    },
  });
  open = c;
  const logLines = (): Record<string, unknown>[] => {
    try {
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  return { c, control: (text: string) => writeFileSync(control, text), logLines };
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const byPid = (r: ProcsReading, pid: number) => r.procs.find((p) => p.pid === pid);

describe('Windows collectors on a fake powershell.exe', () => {
  it('turns the sample stream into processes, CPU deltas, identities, system CPU and GPU use', async () => {
    const { c, control, logLines } = setup('sampler-stream.jsonl');
    await Promise.all([c.procs.start(), c.cpu.start(), c.gpus[0]!.start()]);
    expect(c.procs.status().health).toBe('unavailable'); // nothing printed yet
    control('replay 2'); // greeting + sample 1
    const r1 = await waitFor(async () => {
      const r = await c.procs.sample(Date.now());
      return r.procs.length > 0 && r;
    }, 'sample 1');
    expect(r1.procs.map((p) => [p.pid, p.name, p.cpu])).toEqual([
      [4, 'system', 0],
      [800, 'svchost', 0],
      [1200, 'chrome', 0],
      [1300, 'chrome', 0], // counter instance chrome#1, named without the suffix until WMI answers
      [4242, 'xmrig', 0],
    ]);
    expect(byPid(r1, 4242)).toMatchObject({ startTimeMs: T0 - 600_000, rssKiB: 2048, ppid: 3000 });
    expect(await c.cpu.sample(Date.now())).toMatchObject({ cpu: 37.5 });
    // Identities arrive from the helper in one batch, without a new PowerShell.
    const withIdent = await waitFor(async () => {
      const r = await c.procs.sample(Date.now());
      return byPid(r, 4242)?.exe ? r : null;
    }, 'identities');
    expect(byPid(withIdent, 4242)).toMatchObject({
      name: 'xmrig.exe',
      exe: 'C:\\Users\\alice\\AppData\\Local\\Temp\\xmrig.exe',
      user: 'WINBOX\\alice',
    });
    expect(byPid(withIdent, 4242)?.cmdline).toContain('pool.minexmr.com:4444');
    expect(byPid(withIdent, 4)?.exe).toBeNull();
    const gpu1 = await c.gpus[0]!.sample(Date.now());
    expect(gpu1.devices).toEqual([
      {
        id: 'win:luid_0x00000000_0x0000d1a4_phys_0',
        vendor: 'other',
        name: 'GPU adapter 0x00000000_0x0000d1a4',
        memoryMiB: null,
        util: 55,
        memUsedMiB: 1700,
      },
    ]);
    expect(gpu1.procs).toEqual([
      { pid: 1200, gpuId: 'win:luid_0x00000000_0x0000d1a4_phys_0', util: 12.5, memMiB: 200, kind: '3D' },
      { pid: 4242, gpuId: 'win:luid_0x00000000_0x0000d1a4_phys_0', util: 55, memMiB: 1500, kind: 'Compute_0' },
    ]);

    control('replay 5'); // a warning, a torn line, sample 2
    const r2 = await waitFor(async () => {
      const r = await c.procs.sample(Date.now());
      return byPid(r, 5000) && r;
    }, 'sample 2');
    // 3.8 CPU seconds in 2 s: 190 % of one core. A process born 1 s ago with 0.9 s: 90 %.
    expect(byPid(r2, 4242)?.cpu).toBe(190);
    expect(byPid(r2, 5000)?.cpu).toBe(90);
    expect(byPid(r2, 1200)?.cpu).toBe(25);
    // chrome#1 is now pid 1400: pid 1300 is gone, and 1400 is a new process, not 1300 continued.
    expect(byPid(r2, 1300)).toBeUndefined();
    expect(byPid(r2, 1400)).toMatchObject({ cpu: 40, startTimeMs: T0 + 1500 });
    expect(r2.procs.every((p) => p.cpu >= 0)).toBe(true);
    expect(await c.cpu.sample(Date.now())).toMatchObject({ cpu: 88.25 });
    const renderer = await waitFor(async () => {
      const r = await c.procs.sample(Date.now());
      const p = byPid(r, 1400);
      return p?.exe ? p : null;
    }, 'identity of 1400');
    expect(renderer.cmdline).toContain('--type=renderer');
    // 5000 is another user's process: no path readable, counted and said so.
    await waitFor(async () => (await c.procs.sample(Date.now())).unreadable === 1, 'unreadable count');
    expect(c.procs.status()).toMatchObject({ health: 'ok' });
    expect(c.procs.status().detail).toMatch(/1 process without a readable path/);

    control('replay 6'); // sample 3
    const r3 = await waitFor(async () => {
      const r = await c.procs.sample(Date.now());
      return !byPid(r, 4242) && r;
    }, 'sample 3');
    // xmrig exited mid-sample: gone, not a zero-CPU ghost. pid 1200 was reused by notepad:
    // no delta across the two processes (0.05 s over its 1.5 s of life), and chrome's identity
    // (another start time) is not pinned on it.
    expect(byPid(r3, 1200)).toMatchObject({ name: 'notepad', cpu: 3.3, startTimeMs: T0 + 2500 });
    await new Promise((r) => setTimeout(r, 150));
    expect(byPid(await c.procs.sample(Date.now()), 1200)?.exe).toBeNull();
    expect(byPid(r3, 5000)?.cpu).toBe(100);
    expect((await c.gpus[0]!.sample(Date.now())).procs).toEqual([
      { pid: 5000, gpuId: 'win:luid_0x00000000_0x0000d1a4_phys_0', util: 100, memMiB: null, kind: 'Cuda' },
    ]);
    expect(c.gpus[0]!.status().detail).toMatch(/per-process GPU memory unavailable/);

    // One sampler and one helper for all three collectors, with exactly the arguments built.
    const starts = logLines().filter((l) => l.start);
    expect(starts).toEqual([
      { start: 'sampler', args: samplerArgs(1, 4321) },
      { start: 'helper', args: helperArgs() },
    ]);
    const requests = logLines()
      .map((l) => l.request)
      .filter(Boolean);
    expect(requests[0]).toBe('1 ident 4,800,1200,1300,4242');
    expect(requests).toContain('2 ident 1400,5000');

    // Out of lines: the sampler stays alive but silent, and its data goes stale.
    const stale = await waitFor(async () => {
      const r = await c.procs.sample(Date.now());
      return r.procs.length === 0 && c.procs.status().health === 'degraded' && r;
    }, 'staleness');
    expect(stale.procs).toEqual([]);
    expect(c.procs.status().detail).toMatch(
      /no usable sample from the PowerShell counter sampler: no sample for \d+ s/,
    );
    expect((await c.cpu.sample(Date.now())).cpu).toBeNull();
    expect((await c.gpus[0]!.sample(Date.now())).devices).toEqual([]);
  });

  it('restarts a sampler that dies, says why meanwhile, and recovers', async () => {
    const { c, control, logLines } = setup('sampler-stream.jsonl');
    control('die');
    await c.cpu.start();
    const st = await waitFor(async () => c.cpu.status().health === 'degraded' && c.cpu.status(), 'degraded status');
    expect(st.detail).toMatch(
      /restarting \(attempt \d+\): PowerShell counter sampler exited with code 3: Get-Counter : Unable to connect/,
    );
    control('replay');
    await waitFor(async () => (await c.cpu.sample(Date.now())).cpu !== null, 'recovery');
    expect(c.cpu.status().health).toBe('ok');
    expect(logLines().filter((l) => l.start === 'sampler').length).toBeGreaterThanOrEqual(2);
  });

  it('reports garbage output instead of data', async () => {
    const { c, control } = setup('sampler-stream.jsonl', {}, { staleAfterMs: 300 });
    control('garbage');
    await c.procs.start();
    const st = await waitFor(async () => c.procs.status().health === 'degraded' && c.procs.status(), 'garbage');
    expect(st.detail).toBe('no usable sample from the PowerShell counter sampler: it printed "not json at all"');
    expect((await c.procs.sample(Date.now())).procs).toEqual([]);
  });

  it('says the counters are unavailable on a German Windows, naming the language and the error', async () => {
    const { c, control } = setup('sampler-localized-de.jsonl');
    control('replay');
    await Promise.all([c.procs.start(), c.gpus[0]!.start()]);
    const st = await waitFor(async () => c.procs.status().health === 'degraded' && c.procs.status(), 'status');
    expect(st.detail).toBe(
      'the "Process" performance counters are unavailable (this Windows runs in de-DE: Get-Counter only takes counter names in the system\'s language, and Idlewatch asks for the English ones): Das angegebene Objekt wurde nicht auf dem Computer gefunden.',
    );
    expect(c.gpus[0]!.status().detail).toMatch(
      /^the "GPU Engine" performance counters are unavailable \(this Windows runs in de-DE/,
    );
    expect((await c.procs.sample(Date.now())).procs).toEqual([]);
  });

  it('keeps processes and CPU when only the GPU counters are missing', async () => {
    const { c, control } = setup('sampler-no-gpu-counters.jsonl');
    control('replay');
    await Promise.all([c.procs.start(), c.cpu.start(), c.gpus[0]!.start()]);
    await waitFor(async () => (await c.cpu.sample(Date.now())).cpu === 5, 'cpu');
    expect(c.cpu.status().health).toBe('ok');
    expect((await c.procs.sample(Date.now())).procs.map((p) => p.pid)).toEqual([800]);
    expect(c.gpus[0]!.status()).toMatchObject({
      health: 'degraded',
      detail:
        'the "GPU Engine" performance counters are unavailable: The specified object was not found on the computer.',
    });
    expect(await c.gpus[0]!.sample(Date.now())).toEqual({ devices: [], procs: [] });
  });

  it('reads idle time from the helper, and survives a helper that hangs, dies or errs', async () => {
    const { c, control, logLines } = setup('sampler-stream.jsonl');
    const idle = c.idleSources[0]!;
    expect(await idle.available()).toMatchObject({ ok: true });
    control('answer');
    expect(await idle.read()).toEqual({ idleSec: 65 });
    expect((await idle.read()).locked).toBeUndefined();

    control('helper-hang');
    await expect(idle.read()).rejects.toThrow(/PowerShell helper did not answer within \d+ s/);
    // The stuck helper was killed; the next read waits out the backoff, then starts a new one.
    control('answer');
    await waitFor(async () => (await idle.read().catch(() => null))?.idleSec === 65, 'a fresh helper');
    expect(logLines().filter((l) => l.start === 'helper').length).toBe(2);

    control('helper-die');
    await expect(idle.read()).rejects.toThrow(/PowerShell helper exited with code 7/);
    await expect(idle.read()).rejects.toThrow(/next try in \d+ s/);

    control('helper-error');
    await new Promise((r) => setTimeout(r, 250));
    await expect(idle.read()).rejects.toThrow('Get-CimInstance : Access denied');
  });

  it('sees a fullscreen game and gamepad input through the same helper, one request per tick', async () => {
    const presence = join(dir, `presence-${seq + 1}.json`);
    const answer = (p: Record<string, unknown>) =>
      writeFileSync(presence, JSON.stringify({ quns: 5, fgWindow: 0x1a0b2c, fgPid: 0, fgName: null, pads: '', ...p }));
    answer({});
    const { c, control, logLines } = setup('sampler-stream.jsonl', { FAKE_PS_PRESENCE: presence });
    control('answer');
    expect(await c.fullscreen.available()).toMatchObject({ ok: true });
    expect(await c.gamepad.available()).toEqual({ ok: false, reason: 'no XInput controller is connected' });
    expect(await c.fullscreen.read()).toEqual({ fullscreen: false, window: '0x1a0b2c', pid: null, app: null });
    await new Promise((r) => setTimeout(r, 600));
    // QUNS_RUNNING_D3D_FULL_SCREEN, with a hostile process name.
    answer({ quns: 3, fgPid: 7788, fgName: 'eldenring\u001b[2J\n.exe', pads: '0:100;' });
    const [fs, pad] = await Promise.all([c.fullscreen.read(), c.gamepad.read(10_000)]);
    expect(fs).toEqual({ fullscreen: true, window: '0x1a0b2c', pid: 7788, app: 'eldenring[2J.exe' });
    expect(pad).toBeNull();
    expect(logLines().filter((l) => String(l.request ?? '').endsWith(' presence'))).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 600));
    answer({ quns: 3, fgPid: 7788, fgName: 'eldenring.exe', pads: '0:131;' });
    expect(await c.gamepad.read(11_000)).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    expect(await c.gamepad.read(14_000)).toBe(3);
    // Presentation mode counts; "accepts notifications" does not.
    await new Promise((r) => setTimeout(r, 600));
    answer({ quns: 4 });
    expect((await c.fullscreen.read()).fullscreen).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    answer({ quns: 5, pads: '-' });
    expect((await c.fullscreen.read()).fullscreen).toBe(false);
    expect(await c.gamepad.available()).toEqual({ ok: false, reason: 'XInput (xinput1_4.dll) is not installed' });
  });

  it('says when process identities cannot be read, and keeps the processes', async () => {
    const { c, control } = setup('sampler-stream.jsonl', { FAKE_PS_HELPER_MODE: 'helper-error' });
    control('replay 2');
    await c.procs.start();
    const r = await waitFor(async () => {
      const r = await c.procs.sample(Date.now());
      return r.procs.length > 0 && c.procs.status().health === 'degraded' && r;
    }, 'degraded');
    expect(c.procs.status().detail).toBe('process paths and owners unreadable: Get-CimInstance : Access denied');
    expect(r.procs.map((p) => [p.pid, p.exe])).toEqual([
      [4, null],
      [800, null],
      [1200, null],
      [1300, null],
      [4242, null],
    ]);
  });

  it('is unavailable off Windows and starts nothing', async () => {
    const c = createWindowsCollectors({ supported: false, powershellPath: fake });
    expect(await c.procs.available()).toEqual({
      ok: false,
      reason: 'Windows performance counters exist only on Windows',
    });
    expect(await c.gpus[0]!.available()).toMatchObject({ ok: false });
    expect(await c.idleSources[0]!.available()).toEqual({ ok: false, reason: 'GetLastInputInfo is a Windows API' });
    await c.cpu.start();
    expect(c.cpu.status()).toMatchObject({ health: 'unavailable', detail: 'not started' });
    await expect(c.idleSources[0]!.read()).rejects.toThrow(/Windows API/);
    expect(await c.fullscreen.available()).toEqual({
      ok: false,
      reason: 'SHQueryUserNotificationState is a Windows API',
    });
    expect(await c.gamepad.available()).toEqual({ ok: false, reason: 'XInput is a Windows API' });
  });
});
