/**
 * The browser support table (data/browser-support.json): for each browser and channel, the oldest
 * branch still getting security fixes when the table was written, and when older branches stopped
 * getting them. The scan has no network, so the table is only as current as its date: past
 * MAX_TABLE_AGE_DAYS the verdicts stop and the versions found are reported as they are.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanInstalledBrowser } from '../../../../shared/scan.js';
import { compareVersions } from './versions.js';

export const SUPPORT_TABLE_FILE = 'browser-support.json';
export const SUPPORT_TABLE_FORMAT = 'idlewatch-browser-support';
/** Browsers ship a new branch every 4 weeks: a table older than this says nothing reliable. */
export const MAX_TABLE_AGE_DAYS = 90;
const DAY_MS = 86_400_000;

export interface SupportEntry {
  browser: string;
  label: string;
  channel: string;
  /** How many leading parts of a version name its branch: 1 for `138.0.7204.49` (138), 2 for Brave's `1.80.113` (1.80). */
  branchParts: number;
  oldestSupported: string;
  source: string;
  /** branch -> the date it stopped getting security fixes. */
  ended: Record<string, string>;
  /** branch -> why it gets fixes only in some places (Firefox ESR 115). */
  limited: Record<string, string>;
}

export interface SupportTable {
  file: string;
  /** YYYY-MM-DD. */
  written: string;
  writtenMs: number;
  entries: SupportEntry[];
  /** browser -> why the table has no entry for it. */
  notListed: Record<string, string>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const BRANCH = /^\d+(\.\d+)*$/;

function isRecordOf(v: unknown, ok: (k: string, x: unknown) => boolean): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([k, x]) => ok(k, x));
}

/** Checks a parsed table; throws an Error naming the file and what is wrong. */
export function parseSupportTable(text: string, file: string): SupportTable {
  const bad = (what: string): Error => new Error(`${file}: ${what}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw bad('not a JSON object');
  const t = raw as Record<string, unknown>;
  if (t.format !== SUPPORT_TABLE_FORMAT) throw bad(`format is not "${SUPPORT_TABLE_FORMAT}"`);
  if (t.version !== 1) throw bad(`version ${JSON.stringify(t.version)} is not supported (1 is)`);
  const written = t.written;
  if (typeof written !== 'string' || !DATE.test(written) || !Number.isFinite(Date.parse(written))) {
    throw bad('"written" is not a date (YYYY-MM-DD)');
  }
  if (!Array.isArray(t.browsers)) throw bad('"browsers" is not a list');
  const entries: SupportEntry[] = t.browsers.map((b: unknown, i: number) => {
    const where = `browsers[${i}]`;
    if (typeof b !== 'object' || b === null) throw bad(`${where} is not an object`);
    const e = b as Record<string, unknown>;
    for (const k of ['browser', 'label', 'channel', 'oldestSupported', 'source'] as const) {
      if (typeof e[k] !== 'string' || e[k] === '') throw bad(`${where}.${k} is not a non-empty string`);
    }
    const parts = e.branchParts;
    if (parts !== 1 && parts !== 2) throw bad(`${where}.branchParts is not 1 or 2`);
    if (!BRANCH.test(e.oldestSupported as string)) throw bad(`${where}.oldestSupported is not a version`);
    const ended = e.ended ?? {};
    if (!isRecordOf(ended, (k, x) => BRANCH.test(k) && typeof x === 'string' && DATE.test(x))) {
      throw bad(`${where}.ended must map branches to dates (YYYY-MM-DD)`);
    }
    const limited = e.limited ?? {};
    if (!isRecordOf(limited, (k, x) => BRANCH.test(k) && typeof x === 'string')) {
      throw bad(`${where}.limited must map branches to sentences`);
    }
    return {
      browser: e.browser as string,
      label: e.label as string,
      channel: e.channel as string,
      branchParts: parts,
      oldestSupported: e.oldestSupported as string,
      source: e.source as string,
      ended,
      limited,
    };
  });
  const notListed = t.notListed ?? {};
  if (!isRecordOf(notListed, (_k, x) => typeof x === 'string')) throw bad('"notListed" must map browsers to sentences');
  return { file, written, writtenMs: Date.parse(`${written}T00:00:00Z`), entries, notListed };
}

/** The shipped table, looked for upward from this module (sources and bundles, like the domain list). */
export function shippedSupportTablePath(start: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = start;
  for (let i = 0; i < 7; i++) {
    const candidate = join(dir, 'data', SUPPORT_TABLE_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

export function tableAgeDays(table: SupportTable, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - table.writtenMs) / DAY_MS));
}

/** The branch a version belongs to: its first `parts` numbers. */
export function branchOf(version: string, parts: number): string {
  return version.split('.').slice(0, parts).join('.');
}

export type Verdict = Pick<ScanInstalledBrowser, 'verdict' | 'verdictText'>;

/**
 * Whether a version is on a branch that still gets security fixes. Only a table younger than
 * MAX_TABLE_AGE_DAYS judges: an old one would call a branch supported that has since been
 * replaced, so then the verdict is unknown and says why.
 */
export function judgeVersion(
  table: SupportTable | null,
  browser: string,
  channel: string,
  version: string,
  nowMs: number,
): Verdict {
  if (!table) return { verdict: 'unknown', verdictText: 'no verdict: the support table could not be read' };
  const age = tableAgeDays(table, nowMs);
  if (age > MAX_TABLE_AGE_DAYS) {
    return {
      verdict: 'unknown',
      verdictText: `no verdict: the support table was written on ${table.written}, ${age} days ago (more than ${MAX_TABLE_AGE_DAYS}); check the vendor's release page or update Idlewatch`,
    };
  }
  const entry = table.entries.find((e) => e.browser === browser && e.channel === channel);
  if (!entry) {
    const why = table.notListed[browser];
    return {
      verdict: 'unknown',
      verdictText: `no verdict: ${why ?? `the support table has no entry for ${browser} (${channel})`}`,
    };
  }
  const branch = branchOf(version, entry.branchParts);
  const limited = entry.limited[branch];
  if (limited !== undefined) {
    return { verdict: 'unsupported', verdictText: `this branch (${branch}) ${limited}; update it` };
  }
  if (compareVersions(branch, entry.oldestSupported) >= 0) {
    return {
      verdict: 'supported',
      verdictText: `branch ${branch} was getting security fixes on ${table.written} (the oldest such: ${entry.oldestSupported})`,
    };
  }
  const ended = entry.ended[branch];
  return {
    verdict: 'unsupported',
    verdictText: ended
      ? `this branch stopped getting security fixes on ${ended}; update it`
      : `this branch is older than ${entry.oldestSupported}, the oldest one getting security fixes on ${table.written}; update it`,
  };
}
