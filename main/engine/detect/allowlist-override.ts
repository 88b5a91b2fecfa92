/**
 * What an allowlist entry cannot excuse. An entry vouches for a program file (and its arguments);
 * a pool connection or miner marks in the command line are what the process does now, and a miner
 * dropped over a trusted path, or launched through a trusted interpreter, shows exactly these.
 * So they are always reported at the severity they earn, and the incident says "allowlisted, but".
 */
import type { Reason, RuleId } from '../../../shared/detection.js';

/**
 * Pool connection; stratum URL, miner options, pool hosts, wallets and miner names (all read as
 * `miner-signature`). Load, timing and provenance stay excusable: that is what an entry is for.
 */
export const HOSTILE_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['miner-signature', 'pool-connection']);

/** "allowlisted, but <evidence>" when hostile evidence is among the reasons; null when there is none. */
export function allowlistedBut(reasons: Iterable<Pick<Reason, 'rule' | 'detail'>>): string | null {
  const hostile: string[] = [];
  for (const r of reasons) if (HOSTILE_RULES.has(r.rule)) hostile.push(r.detail);
  return hostile.length > 0 ? `allowlisted, but ${hostile.join('; ')}` : null;
}
