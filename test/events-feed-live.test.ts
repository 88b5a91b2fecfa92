import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventLine } from '../main/engine/events/bound.js';
import type { IdlewatchEvent } from '../main/engine/events/schema.js';
import { openEventSink, parseEventsSpec, streamEvents } from '../main/engine/events/spec.js';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';
import { EngineService } from '../main/engine/service/engine-service.js';
import { killAndWait, waitFor } from './helpers/processes.js';
import { emptyScanReport } from './helpers/scan-report.js';

const linux = process.platform === 'linux';

/** A busy loop that names a mining pool in its arguments: the detector raises it on sight. */
const MINER_SCRIPT = 'i=0; while :; do i=$((i+1)); done';

describe.skipIf(!linux)('SIEM events from a live engine service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-evlive-'));
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an idle-time miner with a hostile name is opened, killed and closed; scan, allowlist and source changes follow, all as whole JSON lines', {
    timeout: 120_000,
  }, async () => {
    let idleBroken = false;
    const idle = new ScriptedIdleSource(() => {
      if (idleBroken) throw new Error('the idle source went away');
      return { idleSec: 900 };
    });
    const service = await EngineService.open({
      dataDir: join(dir, 'data'),
      idleSources: [idle],
      gpus: [],
      intervalMs: 500,
      settings: { idleThresholdSec: 60, samplingIntervalMs: 500 },
      scan: async () => emptyScanReport({ summary: { high: 1, medium: 0, low: 2, allowlisted: 0 } }),
    });
    const file = join(dir, 'events.jsonl');
    const sink = await openEventSink(parseEventsSpec(file));
    const stream = streamEvents(service, sink, { version: '9.9.9' });
    const seen: IdlewatchEvent[] = [];
    stream.feed.on((e) => seen.push(e));
    await service.start();

    // The miner: a copy of sh in a hidden cache folder, its file name with a newline and a
    // terminal escape in it, busy from the start while the user is away.
    const hidden = join(dir, 'home', '.cache', '.x');
    mkdirSync(hidden, { recursive: true });
    const name = 'nv\nFAKE\u001b[2Jx';
    const exe = join(hidden, name);
    copyFileSync('/bin/sh', exe);
    const miner = spawn(exe, ['-c', MINER_SCRIPT, 'xmrig', '--url', 'stratum+tcp://pool.example:3333'], {
      stdio: 'ignore',
    });
    children.push(miner);
    const pid = miner.pid as number;
    const of = (action: string) => seen.filter((e) => e.event.action === action && e.process?.pid === pid);

    await waitFor(() => of('incident-opened').length > 0, 60_000, 'the miner opened as an incident');
    const opened = of('incident-opened')[0] as IdlewatchEvent;
    expect(opened.event.kind).toBe('alert');
    expect(opened.process?.name).toBe(name);
    expect(opened.process?.executable).toBe(exe);
    expect(opened.process?.command_line).toContain('stratum+tcp://pool.example:3333');
    expect(opened.process?.hash?.sha256).toBe(createHash('sha256').update(readFileSync('/bin/sh')).digest('hex'));
    expect(opened.observer.version).toBe('9.9.9');
    expect(opened.idlewatch.incident?.rules).toContain('miner-signature');

    const proc = service.current.latest?.procs.find((p) => p.pid === pid);
    expect(proc).toBeDefined();
    const killed = await service.invoke('process:kill', [{ pid, startTimeMs: proc?.startTimeMs as number }]);
    expect(killed).toMatchObject({ ok: true });
    await waitFor(() => of('process-kill').length > 0, 10_000, 'the kill event');
    expect(of('process-kill')[0]).toMatchObject({
      event: { outcome: 'success', action: 'process-kill' },
      process: { name, executable: exe },
      idlewatch: { action: { name: 'kill' } },
    });
    await waitFor(() => of('incident-closed').length > 0, 30_000, 'the incident closed once its process ended');
    expect(of('incident-closed')[0]?.idlewatch.incident?.close_reason).toBe('process-exited');

    // A file name that is not UTF-8 at all (byte 0xff): whatever character the collector makes of
    // it, the event carries it as a \u escape on a line of printable ASCII.
    const bad = spawn(
      '/bin/sh',
      [
        '-c',
        'f="$1/$(printf "nv\\377x")"; cp /bin/sh "$f" && exec "$f" -c "while :; do :; done" x -o stratum+tcp://p:1',
        'sh',
        hidden,
      ],
      { stdio: 'ignore' },
    );
    children.push(bad);
    const badOpened = () => seen.find((e) => e.event.action === 'incident-opened' && e.process?.pid === bad.pid);
    await waitFor(() => badOpened() !== undefined, 60_000, 'the non-UTF-8 program opened');
    expect(badOpened()?.process?.name).toMatch(/^nv[^ -~]x$/);
    expect(badOpened()?.process?.name?.charCodeAt(2)).toBeGreaterThan(0x7f);
    expect(eventLine(badOpened())).toMatch(/^[\x20-\x7e]+$/);
    expect(eventLine(badOpened())).toMatch(/"name":"nv\\u[0-9a-f]{4}x"/);
    await killAndWait(bad);

    // Kill and quarantine: a second copy, acted on as soon as the engine lists it.
    // In a folder anyone may write to: where a quarantine is offered even to root's programs.
    const open = join(dir, 'shared');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const exe2 = join(open, 'second');
    copyFileSync('/bin/sh', exe2);
    const second = spawn(exe2, ['-c', MINER_SCRIPT], { stdio: 'ignore' });
    children.push(second);
    const pid2 = second.pid as number;
    await waitFor(() => !!service.current.latest?.procs.some((p) => p.pid === pid2), 20_000, 'the second copy listed');
    const p2 = service.current.latest?.procs.find((p) => p.pid === pid2);
    const quarantined = await service.invoke('process:killQuarantine', [
      { pid: pid2, startTimeMs: p2?.startTimeMs as number },
    ]);
    expect(quarantined).toMatchObject({ ok: true });
    await waitFor(() => seen.some((e) => e.event.action === 'process-quarantine'), 10_000, 'the quarantine event');
    expect(seen.find((e) => e.event.action === 'process-quarantine')).toMatchObject({
      event: { outcome: 'success', category: ['process'] },
      process: { pid: pid2, name: 'second', executable: exe2 },
      idlewatch: { action: { name: 'quarantine', detail: expect.stringContaining('quarantine') } },
    });

    await service.invoke('allowlist:add', [{ exe: '/usr/bin/true', reason: 'test' }]);
    expect(await service.invoke('scan:start', [])).toBe(true);
    await waitFor(() => seen.some((e) => e.event.action === 'scan-finished'), 30_000, 'the scan-finished event');
    expect(seen.find((e) => e.event.action === 'scan-finished')).toMatchObject({
      event: { outcome: 'success', severity: 73 },
      idlewatch: { scan: { result: 'completed', findings: { high: 1, low: 2 } } },
    });
    const added = seen.find((e) => e.event.action === 'allowlist-entry-added');
    expect(added?.idlewatch.allowlist?.entry?.executable).toBe('/usr/bin/true');

    idleBroken = true;
    await waitFor(() => seen.some((e) => e.event.action === 'source-down'), 30_000, 'the idle source down');
    idleBroken = false;
    await waitFor(() => seen.some((e) => e.event.action === 'source-up'), 60_000, 'the idle source up again');
    expect(seen.find((e) => e.event.action === 'source-down')?.idlewatch.source?.id).toBe(idle.id);

    await service.stop();
    await stream.stop();
    // The file holds exactly what the feed sent, in order, each a whole line that parses back.
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as IdlewatchEvent)).toEqual(seen);
    expect(seen.map((e) => e.event.sequence)).toEqual(seen.map((_, i) => i + 1));
    expect(sink.stats()).toEqual({ written: seen.length, dropped: 0, lastError: null });
  });
});
