/**
 * The allowlist must not silence hostile evidence: a trusted path says nothing about a pool
 * connection or miner marks in the command line, which a miner dropped over (or launched through)
 * an allowlisted program shows.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../shared/detection.js';
import type { ScanFinding } from '../shared/scan.js';
import { Detector, type DetectorEvent } from '../main/engine/detect/detector.js';
import { buildStream, type Segment, type SimProc } from '../main/engine/detect/sample-builder.js';
import { openCounts, toView, type ViewContext } from '../main/engine/service/incident-views.js';
import { groupFindings, scanAllowlistedBut } from '../renderer/src/lib/scan.js';

const session: Segment[] = [
  { kind: 'active', sec: 60 },
  { kind: 'away', sec: 400 },
  { kind: 'active', sec: 60 },
];

function run(proc: SimProc, allowlisted: boolean): { inc: Incident | undefined; events: DetectorEvent[] } {
  const s = buildStream({ session, procs: [proc] });
  const d = new Detector(s.header, { allowlisted: () => allowlisted });
  const events = [...s.samples.flatMap((x) => d.push(x)), ...d.finish()];
  return { inc: d.incidents().find((i) => i.pid === proc.pid), events };
}

const notified = (events: DetectorEvent[]) => events.filter((e) => e.type === 'notify');

describe('the allowlist never silences hostile evidence', () => {
  const miner: SimProc = {
    pid: 600,
    name: 'xmrig',
    exe: '/opt/mining/xmrig',
    cmdline: '/opt/mining/xmrig -o stratum+tcp://pool.example.org:3333 --donate-level 1',
    load: (c) => ({ cpu: c.away ? 400 : 0 }),
  };

  it('an allowlisted process with a miner signature gets the severity the evidence earns, says "allowlisted, but", and notifies', () => {
    const plain = run(miner, false);
    const trusted = run(miner, true);
    expect(plain.inc?.severity).toBe('high');
    expect(trusted.inc?.severity).toBe(plain.inc?.severity);
    expect(trusted.inc?.allowlistedBut).toMatch(
      /^allowlisted, but named like a known miner \(xmrig\); command line has .*stratum/,
    );
    // Not silenced: the views, the tray and the banner treat `allowlisted` as "never alert".
    expect(trusted.inc?.allowlisted).toBe(false);
    expect(notified(trusted.events)).toHaveLength(1);
  });

  it('a pool connection alone is reported too, at what it earns', () => {
    const proc: SimProc = {
      pid: 601,
      name: 'render',
      exe: '/opt/render/render',
      cmdline: '/opt/render/render --scene a',
      load: (c) => ({ gpu: c.away ? 95 : 0 }),
      conns: [{ proto: 'tcp', remote: '198.51.100.7:3333', state: 'ESTABLISHED' }],
    };
    const plain = run(proc, false);
    const trusted = run(proc, true);
    expect(trusted.inc?.severity).toBe(plain.inc?.severity);
    expect(trusted.inc?.allowlistedBut).toBe(
      'allowlisted, but connected to 198.51.100.7:3333, a port mining pools use',
    );
  });

  it('without hostile evidence an allowlisted process is recorded at low and never alerted', () => {
    const proc: SimProc = {
      pid: 602,
      name: 'render',
      exe: '/opt/render/render',
      cmdline: '/opt/render/render --scene a',
      load: (c) => ({ gpu: c.away ? 95 : 0 }),
    };
    expect(run(proc, false).inc?.severity).not.toBe('low');
    const trusted = run(proc, true);
    expect(trusted.inc).toMatchObject({ allowlisted: true, severity: 'low' });
    expect(trusted.inc?.allowlistedBut).toBeUndefined();
    expect(notified(trusted.events)).toEqual([]);
  });

  it('the window keeps an "allowlisted, but" incident open, even when the entry was added after it was raised', () => {
    const inc = run(miner, false).inc!;
    const ctx: ViewContext = {
      reviewed: () => false,
      paused: () => false,
      allowlisted: () => true,
      running: () => true,
    };
    const view = toView(inc, true, ctx);
    expect(view.allowlisted).toBe(false);
    expect(view.allowlistedBut).toMatch(/^allowlisted, but /);
    expect(openCounts([view]).high).toBe(1);
    // An entry without hostile evidence still silences.
    const quiet = toView({ ...inc, severity: 'low', reasons: [{ rule: 'cpu-while-idle', detail: 'x' }] }, true, ctx);
    expect(quiet.allowlisted).toBe(true);
    expect(quiet.allowlistedBut).toBeUndefined();
  });
});

describe('the deep scan page does not file hostile findings under "Allowlisted"', () => {
  const base: ScanFinding = {
    id: 'f',
    rule: 'temp-folder-executable',
    severity: 'low',
    title: 'Runs from a temporary folder: /tmp/x',
    evidence: [],
    actions: [],
    allowlisted: true,
  };

  it('a pool connection or miner signature of an allowlisted program stays in its severity group, marked "allowlisted, but"', () => {
    const pool: ScanFinding = {
      ...base,
      id: 'p',
      rule: 'pool-port-connection',
      severity: 'medium',
      title: 'Connected to a mining-pool port: 198.51.100.7:3333',
    };
    const groups = groupFindings([base, pool]);
    expect(groups.map((g) => [g.id, g.findings.map((f) => f.id)])).toEqual([
      ['medium', ['p']],
      ['allowlisted', ['f']],
    ]);
    expect(scanAllowlistedBut(pool)).toBe('allowlisted, but connected to a mining-pool port: 198.51.100.7:3333');
    expect(scanAllowlistedBut(base)).toBeNull();
  });
});
