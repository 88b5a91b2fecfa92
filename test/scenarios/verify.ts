/**
 * Checks a written trace against the spec and against its own scenario: read back with the
 * project's validating reader, then every promise the scenario makes (a miner that only loads
 * while idle, a game that was busy before the person left) is checked on the samples themselves,
 * independently of the generator's bookkeeping. Returns the problems found (empty: consistent).
 */
import type { TraceHeader, TraceSample } from '../../shared/trace.js';
import { readTrace } from '../../main/engine/trace/trace-reader.js';
import { LOAD_THRESHOLD } from './generator.js';
import type { Actor, GroundTruth, Scenario } from './model.js';

/** Load this high counts as "working" for the behaviour checks (rest loads stay below). */
const BUSY = 5;
const IDENTITY = ['ppid', 'name', 'exe', 'cmdline', 'user', 'startT'] as const;

interface ActorTrack {
  actor: Actor;
  pids: Set<number>;
  firstBusy: { t: number; state: string } | null;
  busyAfterReturn: boolean;
}

export async function verifyTrace(file: string, scenario: Scenario, truth: GroundTruth): Promise<string[]> {
  const problems: string[] = [];
  const fail = (msg: string): void => {
    if (problems.length < 20) problems.push(msg);
  };
  const { plan } = scenario;
  let header: TraceHeader | null = null;
  const tracks = new Map<string, ActorTrack>();
  for (const a of plan.actors)
    tracks.set(a.key, { actor: a, pids: new Set(), firstBusy: null, busyAfterReturn: false });
  const byPid = new Map<number, ActorTrack>();
  for (const p of [...truth.targets, ...truth.lookalikes]) {
    const track = tracks.get(p.key);
    if (!track) fail(`ground truth names actor ${p.key}, which the scenario does not have`);
    else {
      track.pids.add(p.pid);
      byPid.set(p.pid, track);
    }
  }
  const truthByPid = new Map([...truth.targets, ...truth.lookalikes].map((p) => [`${p.pid}@${p.startT}`, p]));
  const live = new Map<number, number>();
  let prevT: number | null = null;
  let lastLockedT = Number.NEGATIVE_INFINITY;
  let firstAwayEnd: number | null = null;
  let wasAway = false;
  let sawIdleLoad = false;
  let samples = 0;

  const onSample = (s: TraceSample): void => {
    samples++;
    const dt = prevT === null ? plan.sampling.intervalMs : s.t - prevT;
    if (prevT !== null && s.t <= prevT) fail(`t ${s.t} does not move forward from ${prevT}`);
    prevT = s.t;
    const { state, idleSec } = s.user;
    const cores = header?.host.cpuCores ?? 1;
    if (state === 'locked') lastLockedT = s.t;
    const away = state === 'idle' || state === 'locked';
    if (wasAway && !away && firstAwayEnd === null) firstAwayEnd = s.t;
    wasAway = away;
    if (!plan.timeline.unknown) {
      if (idleSec === null || idleSec < 0) fail(`t ${s.t}: idleSec ${idleSec}`);
      else if (state !== 'locked' && idleSec >= plan.timeline.thresholdSec !== (state === 'idle')) {
        fail(`t ${s.t}: state ${state} with idleSec ${idleSec} and threshold ${plan.timeline.thresholdSec}`);
      }
    } else if (state !== 'unknown' || idleSec !== null)
      fail(`t ${s.t}: a machine without idle source reports ${state}`);
    if (s.system.cpu === null || s.system.cpu < 0 || s.system.cpu > 100) fail(`t ${s.t}: system cpu ${s.system.cpu}`);
    for (const g of s.system.gpus)
      if (g.util !== null && (g.util < 0 || g.util > 100)) fail(`t ${s.t}: gpu ${g.id} util ${g.util}`);
    if (s.procs.length < 100 || s.procs.length > 1000) fail(`t ${s.t}: ${s.procs.length} processes (want 100–1000)`);

    const now = new Map<number, number>();
    for (const p of s.procs) {
      const known = live.get(p.pid);
      const isNew = known === undefined || (p.startT !== undefined && p.startT !== known);
      if (isNew) {
        const missing = IDENTITY.filter((k) => !(k in p));
        if (missing.length > 0) fail(`t ${s.t}: pid ${p.pid} appears without ${missing.join(', ')}`);
        const truthProc = truthByPid.get(`${p.pid}@${p.startT}`);
        // A process that exec'd first appears as what it was before.
        const t = truthProc?.was?.[0] ?? truthProc;
        if (t && (t.name !== p.name || t.exe !== p.exe))
          fail(`pid ${p.pid}: trace says ${p.name} ${p.exe}, ground truth ${t.name} ${t.exe}`);
      }
      if (now.has(p.pid)) fail(`t ${s.t}: pid ${p.pid} listed twice`);
      now.set(p.pid, p.startT ?? known ?? 0);
      const cpu = p.cpu ?? 0;
      const gpu = p.gpu ?? 0;
      if (cpu < 0 || cpu > 100 * cores + 1e-6) fail(`t ${s.t}: pid ${p.pid} cpu ${cpu} on ${cores} cores`);
      if (gpu < 0 || gpu > 100) fail(`t ${s.t}: pid ${p.pid} gpu ${gpu}`);

      const track = byPid.get(p.pid);
      if (!track) continue;
      const busy = cpu >= BUSY || gpu >= BUSY;
      if (track.actor.role === 'target' && away && (cpu >= LOAD_THRESHOLD || gpu >= LOAD_THRESHOLD)) {
        if (truth.firstIdleLoadT === s.t) sawIdleLoad = true;
        if (truth.firstIdleLoadT === null || s.t < truth.firstIdleLoadT)
          fail(`t ${s.t}: miner loads while away before firstIdleLoadT ${truth.firstIdleLoadT}`);
      }
      if (!busy) continue;
      track.firstBusy ??= { t: s.t, state };
      if (state === 'active' && firstAwayEnd !== null && s.t >= firstAwayEnd) track.busyAfterReturn = true;
      const e = track.actor.expect;
      if (!e) continue;
      const grace = (e.graceSec ?? 0) + dt / 1000;
      if (
        e.onlyWhenIdleSecAtLeast !== undefined &&
        idleSec !== null &&
        idleSec < e.onlyWhenIdleSecAtLeast &&
        idleSec > grace
      ) {
        fail(
          `t ${s.t}: ${track.actor.key} busy at idleSec ${idleSec} (promised only after ${e.onlyWhenIdleSecAtLeast} s)`,
        );
      }
      // The last locked sample can be one interval before the unlock itself.
      if (e.onlyWhileLocked && state !== 'locked' && s.t - lastLockedT > grace * 1000 + dt) {
        fail(`t ${s.t}: ${track.actor.key} busy while ${state}, ${(s.t - lastLockedT) / 1000} s after the lock`);
      }
      if (e.inhibitor !== undefined && state === 'idle' && !(s.user.inhibitors ?? []).includes(e.inhibitor)) {
        fail(`t ${s.t}: ${track.actor.key} plays while idle without its inhibitor ${e.inhibitor}`);
      }
    }
    live.clear();
    for (const [pid, startT] of now) live.set(pid, startT);
  };

  const r = await readTrace(file, {
    header: (h) => {
      header = h;
    },
    sample: onSample,
  });
  if (r.warnings.length > 0) fail(`reader warnings: ${r.warnings.map((w) => w.message).join('; ')}`);
  if (r.samples !== truth.samples || samples !== truth.samples)
    fail(`${r.samples} samples read, ground truth says ${truth.samples}`);
  const h = header as TraceHeader | null;
  if (!h) fail('no header');
  else {
    if (h.intervalMs !== plan.sampling.intervalMs) fail(`header intervalMs ${h.intervalMs}`);
    if (h.idleThresholdSec !== plan.timeline.thresholdSec) fail(`header idleThresholdSec ${h.idleThresholdSec}`);
    if (h.host.platform !== plan.host.platform || h.host.cpuCores !== plan.host.cpuCores)
      fail('header host differs from the plan');
  }

  // The scenario's label and its ground truth must agree.
  if (scenario.label === 'miner') {
    if (truth.targets.length === 0) fail('miner scenario without a target process in the trace');
    if (truth.firstIdleLoadT === null) fail('miner never loads while the user is away: nothing to detect');
    else if (!sawIdleLoad)
      fail(`firstIdleLoadT ${truth.firstIdleLoadT} is not a sample where a target loads while away`);
  } else if (truth.targets.length > 0 || truth.firstIdleLoadT !== null) {
    fail('benign scenario with a target');
  }
  if (truth.awaySpans.length === 0 && !plan.timeline.unknown) fail('the user is never away');
  for (const track of tracks.values()) {
    const e = track.actor.expect;
    if (track.pids.size === 0) fail(`actor ${track.actor.key} never appears in the trace`);
    if (!e) continue;
    if (e.loadsWhileActiveFirst && track.firstBusy?.state !== 'active') {
      fail(`${track.actor.key} should already be busy while active, first busy: ${JSON.stringify(track.firstBusy)}`);
    }
    if (e.loadsAfterReturn && !track.busyAfterReturn) fail(`${track.actor.key} should still be busy after the return`);
  }
  return problems;
}
