/**
 * Miner configuration files: which files a process may be using (config.json next to the program,
 * `-c FILE` / `--config FILE` in its arguments) and whether a file is a miner's (pools with URLs,
 * donate-level, a mining algorithm, a wallet). Pure functions; the scan step does the reading.
 */
import { posix, win32 } from 'node:path';
import type { Platform } from '../../../shared/trace.js';
import { stripDeleted } from '../detect/provenance.js';
import { CMDLINE_MARKS, WALLET } from '../detect/signatures.js';

/** What XMRig, XMR-Stak and their forks read by default from the program's folder. */
export const DEFAULT_CONFIG_NAMES: readonly string[] = ['config.json', 'pools.txt'];

const CONFIG_FLAGS = new Set(['-c', '--config', '-config', '--cfg', '--config-file', '--configfile']);

/** Config files a command line names (`-c FILE`, `--config=FILE`), as written (maybe relative). */
export function configArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.indexOf('=');
    if (eq > 0 && CONFIG_FLAGS.has(a.slice(0, eq))) {
      const v = a.slice(eq + 1);
      if (v) out.push(v);
    } else if (CONFIG_FLAGS.has(a)) {
      const v = argv[i + 1];
      if (v && !v.startsWith('-')) out.push(v);
      i++;
    }
  }
  return out;
}

/**
 * Absolute paths of the config files to look at for one process: the named ones (relative to its
 * working folder) and the default names next to its program.
 */
export function configCandidates(
  exe: string | null,
  argv: readonly string[],
  cwd: string | null,
  platform: Platform,
): string[] {
  const path = platform === 'win32' ? win32 : posix;
  const out: string[] = [];
  for (const a of configArgs(argv)) {
    if (path.isAbsolute(a)) out.push(path.normalize(a));
    else if (cwd) out.push(path.join(cwd, a));
  }
  if (exe && !exe.startsWith('/memfd:')) {
    const dir = path.dirname(stripDeleted(exe));
    for (const n of DEFAULT_CONFIG_NAMES) out.push(path.join(dir, n));
  }
  return [...new Set(out)];
}

export interface MinerConfigVerdict {
  /** "pools with URLs (pool.example:3333)", "donate-level", "a mining algorithm (rx/0)". */
  marks: string[];
  /** Pool host names found in it, for the domain check. */
  hosts: string[];
}

const URL_HOST =
  /(?:stratum\d?\+(?:tcp|ssl|tls|ws|wss)|stratum|tcp|ssl|wss?|https?):\/\/(?:[^@\s/"']+@)?([a-z0-9.-]+\.[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?/gi;
const HOST_PORT = /^([a-z0-9.-]+\.[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/i;
const ALGO =
  /^(?:rx\/|cn(?:-\w+)?\/|randomx|cryptonight|argon2\/|ghostrider|gr$|kawpow|ethash|etchash|autolykos|kheavyhash|octopus|beamhash|equihash|cuckatoo|cuckaroo|firopow|progpow|verushash|yespower|x16r|lyra2|blake3|karlsenhash|pyrinhash|astrobwt|panthera)/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Looks at a JSON miner config (XMRig's layout and its forks'). */
function jsonMarks(doc: unknown, marks: Set<string>, hosts: Set<string>): void {
  if (!isRecord(doc)) return;
  const pools = doc.pools ?? doc.pool_list ?? doc.pool;
  for (const p of Array.isArray(pools) ? pools : isRecord(pools) ? [pools] : []) {
    if (!isRecord(p)) continue;
    const url = p.url ?? p.pool_address ?? p.host;
    if (typeof url !== 'string' || url === '') continue;
    marks.add(`a pool list with addresses (${url.slice(0, 80)})`);
    const hp = HOST_PORT.exec(url.replace(/^[a-z0-9+]+:\/\//i, '').replace(/\/.*$/, ''));
    if (hp?.[1]) hosts.add(hp[1].toLowerCase());
    const user = p.user ?? p.wallet_address;
    if (typeof user === 'string' && WALLET.test(` ${user} `)) marks.add('a wallet address as the pool user');
  }
  for (const key of ['donate-level', 'donate-over-proxy', 'donate_level']) {
    if (key in doc) marks.add(`a "${key}" setting`);
  }
  const algos: unknown[] = [doc.algo, doc.algorithm, doc.coin];
  for (const p of Array.isArray(pools) ? pools : []) if (isRecord(p)) algos.push(p.algo, p.coin);
  for (const a of algos) {
    if (typeof a === 'string' && ALGO.test(a)) {
      marks.add(`a mining algorithm (${a.slice(0, 40)})`);
      break;
    }
  }
  if (isRecord(doc.randomx) || (isRecord(doc.cpu) && 'max-threads-hint' in doc.cpu))
    marks.add('RandomX / CPU mining settings');
}

/**
 * Whether a file is a miner's configuration. JSON is read structurally; anything else (XMR-Stak's
 * pools.txt, a broken JSON) by the command-line marks and pool URLs in its text.
 */
export function analyseMinerConfig(text: string): MinerConfigVerdict {
  const marks = new Set<string>();
  const hosts = new Set<string>();
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      jsonMarks(JSON.parse(trimmed), marks, hosts);
    } catch {
      // Not valid JSON (XMR-Stak's files are JSON fragments): the text checks below still apply.
    }
  }
  for (const m of text.matchAll(URL_HOST)) {
    const host = (m[1] ?? '').toLowerCase();
    hosts.add(host);
    if (/^stratum/i.test(m[0])) marks.add(`a mining pool address (${m[0].slice(0, 80)})`);
  }
  if (/"donate[-_]level"\s*:/i.test(text)) marks.add('a "donate-level" setting');
  if (/"pool_address"\s*:/i.test(text)) marks.add('a pool address setting (XMR-Stak)');
  if (WALLET.test(text)) marks.add('a cryptocurrency wallet address');
  for (const mark of CMDLINE_MARKS) {
    if (mark.strength === 'strong' && mark.id !== 'stratum' && mark.id !== 'stratum-bare' && mark.re.test(text)) {
      marks.add(mark.text);
    }
  }
  return { marks: [...marks], hosts: [...hosts] };
}

/** A config counts as a miner's with a pool address, or with two other marks (a lone "algo" is too common). */
export function isMinerConfig(v: MinerConfigVerdict): boolean {
  return v.marks.some((m) => m.includes('pool')) || v.marks.length >= 2;
}
