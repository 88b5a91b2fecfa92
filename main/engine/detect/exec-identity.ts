/**
 * A process that replaces its program (exec) keeps its pid and start time, so it stays the same
 * process, but says something new about itself. The commonest way a miner is launched is a script
 * that waits for the user to leave and then `exec`s the miner: the incident must name the miner,
 * and the script's harmless look must not excuse it. Pure functions; the detector keeps the state.
 */
import { identityChanged, type TraceIdentity } from '../../../shared/identity.js';
import type { PriorIdentity, RuleId } from '../../../shared/detection.js';
import type { TraceProc } from '../../../shared/trace.js';

/** Prior identities kept per process: the first (how it was launched) and the latest ones. */
export const MAX_PRIOR_IDENTITIES = 8;
/** A prior command line is context, not evidence: keep it short. */
const PRIOR_CMDLINE_MAX = 512;

/**
 * The identity a sample gives for a process already known, or null when it gives none or the same.
 * Only name, exe, cmdline and user can change on exec (pid and start time cannot; the parent can
 * change without an exec, by re-parenting, and is taken as it comes).
 */
export function execedIdentity(known: TraceIdentity, p: TraceProc): TraceIdentity | null {
  const name = typeof p.name === 'string' && p.name !== '' ? p.name : known.name;
  const exe = p.exe === undefined ? known.exe : typeof p.exe === 'string' && p.exe !== '' ? p.exe : null;
  const cmdline = typeof p.cmdline === 'string' ? p.cmdline : known.cmdline;
  if (!identityChanged(known, { name, exe, cmdline })) return null;
  const user = p.user === undefined ? known.user : typeof p.user === 'string' ? p.user : null;
  const ppid = typeof p.ppid === 'number' ? p.ppid : known.ppid;
  return { pid: known.pid, startT: known.startT, ppid, name, exe, cmdline, user };
}

export function priorIdentity(id: TraceIdentity, until: number): PriorIdentity {
  return {
    name: id.name,
    exe: id.exe,
    cmdline: id.cmdline.length > PRIOR_CMDLINE_MAX ? `${id.cmdline.slice(0, PRIOR_CMDLINE_MAX)}…` : id.cmdline,
    user: id.user,
    until,
  };
}

/**
 * Appends a prior identity, bounded: a process that execs in a loop to flood the list keeps its
 * first identity (how it was started) and the most recent ones. Returns how many entries were
 * dropped from the front of the kept tail, so indexes into the list can be moved along.
 */
export function pushPrior(list: PriorIdentity[], prior: PriorIdentity): number {
  list.push(prior);
  if (list.length <= MAX_PRIOR_IDENTITIES) return 0;
  list.splice(1, 1);
  return 1;
}

/** Rules that the identity alone sets (see Detector.identityEvidence). */
export const IDENTITY_RULES: readonly RuleId[] = [
  'miner-signature',
  'kernel-thread-impostor',
  'system-name-impostor',
  'temp-folder-executable',
  'deleted-executable',
  'benign-idle-work',
];

/**
 * What happens to evidence the old identity earned once the process is another program: an excuse
 * (benign work) belonged to the old program and goes; hostile evidence (it ran from a temp folder,
 * posed as a kernel thread) stays, said of the old name, because it tells how the process got here.
 */
export function carriedIdentityEvidence(rule: RuleId, detail: string, old: TraceIdentity): string | null {
  if (rule === 'benign-idle-work') return null;
  const prefix = `before it replaced its program (as ${old.name})`;
  return detail.startsWith('before it replaced its program') ? detail : `${prefix}: ${detail}`;
}
