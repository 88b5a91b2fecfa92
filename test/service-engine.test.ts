import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { emptyScanReport } from './helpers/scan-report.js';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';
import { EngineService, type EngineServiceOptions } from '../main/engine/service/engine-service.js';
import { IncidentLog } from '../main/engine/store/incident-log.js';
import type { Incident } from '../shared/detection.js';
import type { EventChannel, EventContract, IncidentView } from '../shared/ipc.js';
import type { ScanReport } from '../shared/scan.js';
import { killAndWait, sleep, spawnBurner, waitFor } from './helpers/processes.js';

const linux = process.platform === 'linux';

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

function historicIncident(over: Partial<Incident> = {}): Incident {
  const t = Date.now() - 3600_000;
  return {
    pid: 4242,
    startT: t - 60_000,
    name: 'nvhelper',
    exe: '/home/ana/.cache/.nv/nvhelper',
    cmdline: '/home/ana/.cache/.nv/nvhelper --quiet',
    user: 'ana',
    severity: 'high',
    score: 0.94,
    firstAt: t,
    lastAt: t + 600_000,
    reasons: [{ rule: 'gpu-while-idle', detail: 'GPU 95% for 22 s while idle 75 s' }],
    idleGpuSec: 500,
    idleCpuSec: 20,
    allowlisted: false,
    ...over,
  };
}

describe.skipIf(!linux)('EngineService', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-service-'));
  const children: ChildProcess[] = [];
  const services: EngineService[] = [];
  let n = 0;

  async function open(over: Partial<EngineServiceOptions> = {}) {
    const events: { channel: EventChannel; payload: unknown }[] = [];
    const service = await EngineService.open({
      dataDir: join(root, `data-${n++}`),
      idleSources: [new ScriptedIdleSource(() => ({ idleSec: 0 }))],
      gpus: [],
      intervalMs: 500,
      ...over,
    });
    service.onEvent((channel, payload) => events.push({ channel, payload }));
    services.push(service);
    const of = <C extends EventChannel>(c: C) =>
      events.filter((e) => e.channel === c).map((e) => e.payload as EventContract[C]);
    return { service, events, of };
  }

  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses malformed requests with a message naming the channel and the argument', async () => {
    const { service } = await open();
    await expect(service.invoke('process:kill', [{ pid: -3, startTimeMs: 1 }])).rejects.toThrow(
      /process:kill: invalid argument 0\.pid: a pid is positive/,
    );
    await expect(service.invoke('process:kill', [{ pid: 1.5, startTimeMs: 1 }])).rejects.toThrow(/whole number/);
    await expect(service.invoke('shell:exec', ['rm -rf /'])).rejects.toThrow(/unknown channel "shell:exec"/);
    await expect(service.invoke('settings:set', [{ idleThresholdSec: 5 }])).rejects.toThrow(
      /settings:set: invalid argument 0\.idleThresholdSec/,
    );
    await expect(service.invoke('settings:set', [{ evil: true }])).rejects.toThrow(/settings:set/);
    await expect(service.invoke('engine:status', 'not an array')).rejects.toThrow(/engine:status/);
  });

  it('pauses, resumes and kills a real process it reported, and tracks which ones it paused', async () => {
    const { service, of } = await open();
    await service.start();
    const burner = spawnBurner();
    children.push(burner);
    const pid = burner.pid as number;
    await waitFor(
      () => !!service.current.engine.sampler.latest?.procs.some((p) => p.pid === pid),
      10_000,
      'the burner in a sample',
    );
    const proc = service.current.engine.sampler.latest?.procs.find((p) => p.pid === pid);
    const target = { pid, startTimeMs: proc?.startTimeMs as number };

    const paused = await service.invoke('process:pause', [target]);
    expect(paused).toMatchObject({ ok: true, action: 'pause' });
    expect(procState(pid)).toBe('T');
    // Kept with its identity: the tray and the window name it, and Resume sends it back to be re-checked.
    const entry = {
      ...target,
      name: proc?.name,
      exe: proc?.exe,
      user: proc?.user,
      pausedAt: expect.any(Number),
    };
    expect(service.status().paused).toEqual([entry]);
    expect(of('engine:status').at(-1)?.paused).toEqual([entry]);
    // A resume for the same pid and start time but another program is refused: still paused.
    const wrongExe = await service.invoke('process:resume', [{ ...target, exe: '/tmp/.x/not-it' }]);
    expect(wrongExe).toMatchObject({ ok: false, code: 'reused' });
    expect(procState(pid)).toBe('T');

    const stored = service.status().paused[0] ?? null;
    expect(
      await service.invoke('process:resume', [
        stored ? { pid: stored.pid, startTimeMs: stored.startTimeMs, exe: stored.exe } : target,
      ]),
    ).toMatchObject({ ok: true });
    expect(procState(pid)).not.toBe('T');
    expect(service.status().paused).toEqual([]);

    // A pid the engine never reported (pid 1 at another start time) is refused, nothing is sent.
    const refused = await service.invoke('process:kill', [{ pid: 1, startTimeMs: 12345 }]);
    expect(refused).toMatchObject({ ok: false, code: 'gone' });

    expect(await service.invoke('process:kill', [target])).toMatchObject({ ok: true, action: 'kill' });
    await waitFor(() => burner.exitCode !== null || burner.signalCode !== null, 5000, 'the burner to exit');
  });

  it.skipIf(!existsSync('/usr/bin/dbus-daemon'))(
    'a real session bus through the service: pause refused, kill answered with confirm, killed once confirmed',
    async () => {
      const { service } = await open();
      await service.start();
      const bus = spawn(
        '/usr/bin/dbus-daemon',
        ['--session', '--nofork', '--nopidfile', `--address=unix:path=${join(root, `bus-${n}`)}`],
        { stdio: 'ignore' },
      );
      children.push(bus);
      const pid = bus.pid as number;
      await waitFor(
        () => !!service.current.engine.sampler.latest?.procs.some((p) => p.pid === pid && p.exe !== null),
        10_000,
        'the bus in a sample',
      );
      const proc = service.current.engine.sampler.latest?.procs.find((p) => p.pid === pid);
      const target = { pid, startTimeMs: proc?.startTimeMs as number };
      expect(await service.invoke('process:pause', [target])).toMatchObject({ ok: false, code: 'session' });
      expect(procState(pid)).not.toBe('T');
      expect(service.status().paused).toEqual([]);
      const first = await service.invoke('process:kill', [target]);
      expect(first).toMatchObject({ ok: false, code: 'confirm' });
      expect((first as { reason: string }).reason).toMatch(/is a message bus \(\/usr\/bin\/dbus-daemon\)/);
      expect(procState(pid)).not.toBeNull();
      expect(await service.invoke('process:kill', [{ ...target, confirmed: true }])).toMatchObject({
        ok: true,
        action: 'kill',
      });
      await waitFor(() => bus.exitCode !== null || bus.signalCode !== null, 5000, 'the bus to exit');
    },
  );

  it('stops sampling while suspended or paused, and starts again on resume', async () => {
    const { service, of } = await open();
    await service.start();
    await waitFor(() => of('engine:sample').length >= 2, 5000, 'samples');

    await service.suspend();
    expect(service.status().suspended).toBe(true);
    const before = of('engine:sample').length;
    await sleep(1500);
    expect(of('engine:sample').length).toBe(before);
    await service.resume();
    await waitFor(() => of('engine:sample').length > before, 5000, 'sampling after resume');

    const until = Date.now() + 3600_000;
    const st = (await service.invoke('engine:setPaused', [until])) as { pausedUntil: number | null };
    expect(st.pausedUntil).toBe(until);
    const paused = of('engine:sample').length;
    await sleep(1500);
    expect(of('engine:sample').length).toBe(paused);
    // A resume from sleep while the user paused monitoring keeps it paused.
    await service.suspend();
    await service.resume();
    await sleep(1000);
    expect(of('engine:sample').length).toBe(paused);
    await service.invoke('engine:setPaused', [null]);
    await waitFor(() => of('engine:sample').length > paused, 5000, 'sampling after the pause ends');
    expect(service.status().pausedUntil).toBeNull();
  });

  it('saves settings, restarts detection with them, and announces the change', async () => {
    const { service, of } = await open({ intervalMs: undefined });
    await service.start();
    const first = service.current;
    const saved = await service.invoke('settings:set', [{ samplingIntervalMs: 700, sensitivity: 'high' }]);
    expect(saved).toMatchObject({ samplingIntervalMs: 700, sensitivity: 'high' });
    expect(service.current).not.toBe(first);
    expect(service.current.engine.sampler.intervalMs).toBe(700);
    expect(of('settings:changed').at(-1)).toMatchObject({ samplingIntervalMs: 700 });
    const dir = service.status().dataDir;
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toMatchObject({
      version: 1,
      samplingIntervalMs: 700,
      sensitivity: 'high',
    });
    // A setting the detector does not use takes effect without a restart.
    const current = service.current;
    await service.invoke('settings:set', [{ launchAtLogin: true }]);
    expect(service.current).toBe(current);
    await service.stop();
    const again = await EngineService.open({ dataDir: dir, idleSources: [], gpus: [] });
    services.push(again);
    expect(again.settings).toMatchObject({ samplingIntervalMs: 700, sensitivity: 'high', launchAtLogin: true });
  });

  it('lists incidents from the history file, filters them, and keeps review marks across restarts', async () => {
    const dataDir = join(root, 'history');
    const log = new IncidentLog(dataDir);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir, { recursive: true });
    await log.append(historicIncident());
    await log.append(
      historicIncident({ pid: 77, name: 'backup', severity: 'low', exe: '/usr/bin/restic', cmdline: 'restic backup' }),
    );
    const { service, of } = await open({ dataDir });
    const all = (await service.invoke('incidents:list', [{}])) as IncidentView[];
    expect(all.map((i) => i.name).sort()).toEqual(['backup', 'nvhelper']);
    expect(all.every((i) => !i.live && !i.running)).toBe(true);
    const high = (await service.invoke('incidents:list', [{ severity: ['high'] }])) as IncidentView[];
    expect(high.map((i) => i.name)).toEqual(['nvhelper']);
    const byText = (await service.invoke('incidents:list', [{ text: 'RESTIC' }])) as IncidentView[];
    expect(byText.map((i) => i.pid)).toEqual([77]);

    const key = high[0]?.key as string;
    const reviewed = (await service.invoke('incidents:review', [key, true])) as IncidentView;
    expect(reviewed.reviewed).toBe(true);
    expect(of('incident:changed').at(-1)).toMatchObject({ change: 'reviewed', incident: { key, reviewed: true } });
    const open2 = (await service.invoke('incidents:list', [{ includeReviewed: false }])) as IncidentView[];
    expect(open2.map((i) => i.name)).toEqual(['backup']);
    expect(await service.invoke('incidents:review', ['1@1', true])).toBeNull();

    await service.stop();
    const again = await EngineService.open({ dataDir, idleSources: [], gpus: [] });
    services.push(again);
    const after = (await again.invoke('incidents:list', [{ severity: ['high'] }])) as IncidentView[];
    expect(after[0]).toMatchObject({ key, reviewed: true });
  });

  it('allowlist changes are saved, announced, and mark matching incidents allowlisted at once', async () => {
    const dataDir = join(root, 'allow');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir, { recursive: true });
    // As /proc/PID/exe reports it: the real file, not the /bin/sh link.
    const sh = realpathSync('/bin/sh');
    await new IncidentLog(dataDir).append(historicIncident({ exe: sh, cmdline: `${sh} -c work` }));
    const { service, of } = await open({ dataDir });
    const entry = (await service.invoke('allowlist:add', [
      { exe: '/bin/sh', args: { kind: 'substring', pattern: '-c work' }, reason: 'my build farm' },
    ])) as {
      id: string;
    };
    expect(
      of('allowlist:changed')
        .at(-1)
        ?.map((e) => e.id),
    ).toEqual([entry.id]);
    const list = (await service.invoke('incidents:list', [{}])) as IncidentView[];
    expect(list[0]?.allowlisted).toBe(true);
    const file = JSON.parse(readFileSync(join(dataDir, 'allowlist.json'), 'utf8'));
    expect(file.entries.map((e: { reason: string }) => e.reason)).toEqual(['my build farm']);

    const exported = (await service.invoke('allowlist:export', [])) as string;
    expect(await service.invoke('allowlist:remove', [entry.id])).toBe(true);
    expect(await service.invoke('allowlist:list', [])).toEqual([]);
    const imported = await service.invoke('allowlist:import', [exported, 'merge']);
    expect(imported).toMatchObject({ added: 1, skipped: 0 });
    await expect(service.invoke('allowlist:import', ['{"format":"nope"}', 'merge'])).rejects.toThrow(
      /not an Idlewatch allowlist/,
    );
  });

  it('runs one deep scan at a time with progress; cancelling keeps the previous report', async () => {
    let release: (() => void) | null = null;
    let calls = 0;
    const { service, of } = await open({
      scan: async (opts) => {
        calls++;
        opts.onProgress?.({
          step: 'processes',
          label: 'Processes and executables',
          index: 1,
          total: 8,
          phase: 'start',
        });
        if (calls === 1) return emptyScanReport({ startedAt: new Date(Date.now()).toISOString(), durationMs: 1 });
        await new Promise<void>((resolve, reject) => {
          release = resolve;
          opts.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        });
        return emptyScanReport({ startedAt: new Date(Date.now()).toISOString(), durationMs: 1 });
      },
    });
    expect(await service.invoke('scan:start', [])).toBe(true);
    await waitFor(() => of('scan:state').some((s) => !s.running && s.report !== null), 2000, 'the first scan');
    const first = ((await service.invoke('scan:state', [])) as { report: ScanReport }).report;
    expect(await service.invoke('scan:html', [])).toMatch(/^<!doctype html>/i);

    expect(await service.invoke('scan:start', [])).toBe(true);
    expect(await service.invoke('scan:start', [])).toBe(false); // one at a time
    expect(of('scan:state').some((s) => s.running && s.progress?.step === 'processes')).toBe(true);
    expect(await service.invoke('scan:cancel', [])).toBe(true);
    await waitFor(() => of('scan:state').at(-1)?.running === false, 2000, 'the cancel');
    const st = (await service.invoke('scan:state', [])) as { report: ScanReport; error: string };
    expect(st.error).toBe('cancelled');
    expect(st.report).toBe(first);
    expect(release).not.toBeNull();
    expect(await service.invoke('scan:removePersistence', ['nope'])).toMatchObject({
      ok: false,
      code: 'unknown-finding',
    });
  });
});
