import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';
import { type MonitorEvent, Monitor } from '../main/engine/monitor.js';
import { killAndWait, sleep, waitFor } from './helpers/processes.js';

// A real "miner simulator": a copy of /bin/sh hidden in a cache folder that burns CPU only while
// the control file says idle and stops within a fraction of a second when it says active.
const MINER_SCRIPT = `
while :; do
  read s < "$1"
  if [ "$s" = idle ]; then i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done
  else sleep 0.2; fi
done`;

const linux = process.platform === 'linux';

describe.skipIf(!linux)('live monitor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-live-'));
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises an idle-time miner with the right reasons, and the kill action really ends it', {
    timeout: 120_000,
  }, async () => {
    const hidden = join(dir, 'home', '.cache', '.nv');
    mkdirSync(hidden, { recursive: true });
    const exe = join(hidden, 'nvhelper');
    copyFileSync('/bin/sh', exe);
    const control = join(dir, 'control');
    writeFileSync(control, 'active\n');

    // The user: at the machine, then away from idleAt until returnAt.
    const user = { idleAt: Number.POSITIVE_INFINITY, returnAt: Number.POSITIVE_INFINITY };
    const idle = new ScriptedIdleSource(() => {
      const now = Date.now();
      if (now >= user.idleAt && now < user.returnAt) return { idleSec: 10 + (now - user.idleAt) / 1000 };
      return { idleSec: 0 };
    });
    const monitor = await Monitor.open({
      dataDir: join(dir, 'data'),
      idleSources: [idle],
      gpus: [],
      settings: { idleThresholdSec: 10, samplingIntervalMs: 1000 },
    });
    const events: MonitorEvent[] = [];
    monitor.on((e) => {
      if (e.type !== 'sample') events.push(e);
    });
    await monitor.start();

    const miner = spawn(exe, ['-c', MINER_SCRIPT, 'nvhelper', control], { stdio: 'ignore' });
    children.push(miner);
    await sleep(3000);
    user.idleAt = Date.now(); // the user walks away…
    await sleep(12_000);
    writeFileSync(control, 'idle\n'); // …and the miner wakes up a while later
    const wokeAt = Date.now();
    const incidentFor = () => monitor.incidents().find((i) => i.pid === miner.pid);
    await waitFor(
      () => (incidentFor()?.severity ?? 'low') !== 'low',
      60_000,
      'the miner to be raised at medium or higher',
    );
    const raised = incidentFor()!;
    expect(raised.exe).toBe(exe);
    const rules = () => incidentFor()!.reasons.map((r) => r.rule);
    // Provenance can raise it before the load rules have their 20 s of evidence; they follow.
    await waitFor(
      () => rules().includes('cpu-while-idle') && rules().includes('onset-after-idle'),
      40_000,
      'the load rules',
    );
    expect(rules()).toContain('temp-folder-executable');
    expect(raised.firstAt).toBeGreaterThan(user.idleAt);

    // The user comes back after the miner has run a minute; it stops at once: the stealth mark
    // is added late (a stop only counts after at least 60 s of load while away).
    await sleep(Math.max(0, wokeAt + 65_000 - Date.now()));
    user.returnAt = Date.now();
    writeFileSync(control, 'active\n');
    await waitFor(() => rules().includes('stops-on-activity'), 40_000, 'stops-on-activity');
    expect(incidentFor()!.severity).toBe('high');
    expect(events.some((e) => e.type === 'incident' && e.incident.pid === miner.pid)).toBe(true);
    expect(events.some((e) => e.type === 'notify')).toBe(true);

    // Kill it through the monitor: re-checked identity, then really gone.
    const inc = incidentFor()!;
    const sample = monitor.engine.sampler.latest!;
    const proc = sample.procs.find((p) => p.pid === miner.pid)!;
    const wrong = await monitor.kill({ pid: proc.pid, startTimeMs: proc.startTimeMs + 5000 });
    expect(wrong.ok).toBe(false);
    expect(existsSync(`/proc/${miner.pid}`)).toBe(true);
    const result = await monitor.kill({ pid: proc.pid, startTimeMs: proc.startTimeMs, exe: inc.exe });
    expect(result).toMatchObject({ ok: true, action: 'kill', pid: miner.pid });
    await waitFor(() => miner.exitCode !== null || miner.signalCode !== null, 5000, 'the miner to exit');
    await monitor.stop();

    // The incident is in the history file for the window to show later.
    const history = await monitor.history.read();
    expect(history.records.some((r) => r.incident.pid === miner.pid && r.incident.severity === 'high')).toBe(true);
  });
});
