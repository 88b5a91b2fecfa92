import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';
import { EngineService } from '../main/engine/service/engine-service.js';
import type { EventContract, ProcessDetails } from '../shared/ipc.js';
import { ProcStreamDecoder, STREAM_TEXT_LIMITS } from '../shared/proc-stream.js';
import { killAndWait, waitFor } from './helpers/processes.js';

const linux = process.platform === 'linux';

/**
 * The real engine service, a real process holding a 240 KiB command line (what any local user can
 * start): the window gets its identity once, cut, then only what changed; the whole command line
 * only when it asks for the details. The full-snapshot stream this replaced sent all of it every tick.
 */
describe.skipIf(!linux)('the engine → window process stream', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-stream-'));
  const children: ChildProcess[] = [];
  let service: EngineService | null = null;

  afterAll(async () => {
    await service?.stop();
    await Promise.all(children.map(killAndWait));
    rmSync(root, { recursive: true, force: true });
  });

  it('sends identities once and cut, then deltas; the full command line on request; nothing while unsubscribed', async () => {
    // Two arguments of 120 KiB (one argument may hold at most 128 KiB on Linux).
    const huge = spawn(
      process.execPath,
      ['-e', 'setTimeout(()=>{}, 600000)', '--', 'A'.repeat(120 * 1024), 'B'.repeat(120 * 1024)],
      { stdio: 'ignore' },
    );
    children.push(huge);
    const pid = huge.pid as number;
    service = await EngineService.open({
      dataDir: join(root, 'data'),
      idleSources: [new ScriptedIdleSource(() => ({ idleSec: 0 }))],
      gpus: [],
      intervalMs: 500,
    });
    const events: EventContract['engine:sample'][] = [];
    service.onEvent((channel, payload) => {
      if (channel === 'engine:sample') events.push(payload as EventContract['engine:sample']);
    });
    await service.start();
    const s = service;
    await waitFor(() => !!s.current.latest?.procs.some((p) => p.pid === pid), 15_000, 'the process in a sample');

    // Not subscribed: samples carry no processes, and neither does the snapshot.
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.procs === null)).toBe(true);
    const snap = await s.invoke('engine:snapshot', []);
    expect(snap).toMatchObject({ latest: { procCount: expect.any(Number) } });
    expect(serialize(snap).length).toBeLessThan(1024 * 1024);

    const before = events.length;
    expect(await s.invoke('engine:procs', [true])).toBe(true);
    // The keyframe comes at once, not on the next tick.
    expect(events.length).toBe(before + 1);
    expect(events.at(-1)?.procs?.base).toBeNull();
    await waitFor(() => events.length >= before + 6, 15_000, 'five more samples');

    const decoder = new ProcStreamDecoder();
    let sent = 0;
    for (const e of events.slice(before)) {
      expect(e.procs).not.toBeNull();
      expect(decoder.apply(e.procs!)).toBe(true);
      // Bounded, whatever the processes hold: a 240 KiB command line never travels.
      expect(serialize(e).length).toBeLessThan(1024 * 1024);
      for (const i of e.procs!.ids) {
        if (i.pid !== pid) continue;
        sent++;
        expect(i.cmdline.length).toBeLessThanOrEqual(STREAM_TEXT_LIMITS.cmdline);
        expect(i.cmdline.startsWith(`${process.execPath} -e setTimeout`)).toBe(true);
        expect(i.cut).toBe(true);
      }
    }
    expect(sent).toBe(1);
    const held = decoder.procs().find((p) => p.pid === pid);
    expect(held).toMatchObject({ pid, cut: true });
    // Most processes are quiet: after the keyframe, a tick is far smaller than the list.
    const later = events.slice(before + 2).map((e) => e.procs!);
    expect(later.every((d) => d.ids.length + d.figs.length < d.count)).toBe(true);

    // The whole value, on request (the details drawer).
    const details = (await s.invoke('process:details', [
      { pid, startTimeMs: held!.startTimeMs },
      false,
    ])) as ProcessDetails | null;
    expect(details?.cmdline.length).toBeGreaterThan(240 * 1024);

    // Unsubscribed (the window hid or left the overview): processes stop at once.
    expect(await s.invoke('engine:procs', [false])).toBe(false);
    const off = events.length;
    await waitFor(() => events.length >= off + 2, 10_000, 'two more samples');
    expect(events.slice(off).every((e) => e.procs === null)).toBe(true);
    await expect(s.invoke('engine:procs', ['yes'])).rejects.toThrow(/engine:procs: invalid argument 0/);
  }, 60_000);
});
