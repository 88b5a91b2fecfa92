/**
 * What a process's identity alone says (name, executable, command line, user), evaluated once
 * when the process first appears: miner signatures, suspicious locations, impostor names, whether
 * it is a browser, and which benign idle-time work it credibly is.
 */
import type { Platform } from '../../../shared/trace.js';
import type { TraceIdentity } from '../../../shared/identity.js';
import { type BenignMatch, matchBenign } from './benign.js';
import {
  baseName,
  kernelThreadImpostor,
  type PathFinding,
  plainName,
  suspiciousLocation,
  systemNameImpostor,
} from './provenance.js';
import { deletedFinding } from './provenance-evidence.js';
import { BROWSER_NAMES, CMDLINE_MARKS, MINER_NAMES, POOL_ARG, POOL_DOMAINS, POOL_PORTS, WALLET } from './signatures.js';

export type { TraceIdentity } from '../../../shared/identity.js';

export interface SignatureFinding {
  /** `strong`: mining-specific marks; `name`: only the name of a miner; `weak`: marks that need company. */
  strength: 'strong' | 'name' | 'weak';
  /** Both a miner name and strong command-line marks. */
  both: boolean;
  detail: string;
}

export interface IdentityFindings {
  signature: SignatureFinding | null;
  locations: PathFinding[];
  /** Deleted executable; `packaged` when it lived in a system or install folder (an update replaced it). */
  deleted: { packaged: boolean; memfd: boolean } | null;
  kernelImpostor: { posedAs: string; evidence: string } | null;
  systemImpostor: { posedAs: string; expected: string; typo: boolean } | null;
  /** "renderer (a tab)", "GPU process", "browser" when it is a browser process; null otherwise. */
  browserRole: string | null;
  benign: BenignMatch | null;
}

const MINER_NAME_SET = new Set(MINER_NAMES);
/** A miner name with a version glued on: xmrig-6.21.0, lolMiner_1.88, t-rex-0.26.8. */
const VERSIONED = /^(.+?)[-_ .]?v?\d+(?:[._-]\d+)*(?:[-_][a-z0-9]+)?$/;

function minerName(candidate: string): string | null {
  const n = plainName(candidate);
  if (n === '') return null;
  if (MINER_NAME_SET.has(n)) return n;
  const m = VERSIONED.exec(n);
  if (m?.[1] && m[1].length >= 4 && MINER_NAME_SET.has(m[1])) return m[1];
  return null;
}

function clip(s: string, max = 72): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The program a command line starts (quoted Windows paths keep their spaces). */
export function firstArg(cmdline: string): string {
  const c = cmdline.trim();
  if (c.startsWith('"')) {
    const end = c.indexOf('"', 1);
    return end > 0 ? c.slice(1, end) : c.slice(1);
  }
  return c.split(/\s+/)[0] ?? '';
}

/** Miner marks in the name, file name, first argument and command line. */
export function minerSignature(id: TraceIdentity, platform: Platform): SignatureFinding | null {
  const argv0 = firstArg(id.cmdline);
  const name =
    minerName(id.name) ??
    (id.exe ? minerName(baseName(id.exe, platform)) : null) ??
    (argv0 ? minerName(baseName(argv0, platform === 'win32' ? 'win32' : 'linux')) : null);
  const strong: string[] = [];
  const weak: string[] = [];
  const cmd = id.cmdline;
  for (const mark of CMDLINE_MARKS) {
    const m = mark.re.exec(cmd);
    if (!m) continue;
    (mark.strength === 'strong' ? strong : weak).push(`${mark.text}: "${clip(m[0].trim(), 48)}"`);
  }
  const lower = cmd.toLowerCase();
  const domain = POOL_DOMAINS.find((d) => lower.includes(d));
  const pool = POOL_ARG.exec(cmd);
  if (domain) strong.push(`a mining pool host (${domain})`);
  if (pool) {
    const port = Number(pool[2]);
    const withUser = /(?:^|\s)(?:-u|--user|--wallet|-w)[\s=]+\S{20,}/.test(cmd);
    if (!domain && (POOL_PORTS.has(port) || withUser || weak.length > 0))
      strong.push(`a mining pool address (${pool[1]}:${pool[2]})`);
    else if (!domain) weak.push(`a server address (${pool[1]}:${pool[2]})`);
  }
  if (WALLET.test(cmd)) strong.push('a cryptocurrency wallet address');
  const parts: string[] = [];
  if (name) parts.push(`named like a known miner (${name})`);
  if (strong.length > 0) parts.push(`command line has ${strong.slice(0, 2).join('; ')}`);
  if (name || strong.length > 0) {
    return {
      strength: strong.length > 0 ? 'strong' : 'name',
      both: name !== null && strong.length > 0,
      detail: parts.join('; '),
    };
  }
  // Weak marks count only together (--cuda and --coin and a server address: a GPU miner's flags).
  if (weak.length >= 2)
    return { strength: 'weak', both: false, detail: `command line has ${weak.slice(0, 3).join('; ')}` };
  return null;
}

const BROWSER_SET = new Set(BROWSER_NAMES);

/** A browser process and its role; renderers and content processes are where web pages run. */
export function browserRole(id: Pick<TraceIdentity, 'name' | 'exe' | 'cmdline'>, platform: Platform): string | null {
  const names = [plainName(id.name)];
  if (id.exe) names.push(plainName(baseName(id.exe, platform)));
  if (!names.some((n) => BROWSER_SET.has(n))) return null;
  const cmd = id.cmdline;
  const n = names[0] ?? '';
  if (/--type=renderer\b/.test(cmd) || n.includes('(renderer)')) return 'renderer (a tab)';
  if (/--type=gpu-process\b/.test(cmd) || n.includes('(gpu)') || n === 'gpu process' || n === 'com.apple.webkit.gpu')
    return 'GPU process';
  if (
    /-contentproc\b/.test(cmd) ||
    n === 'web content' ||
    n.startsWith('isolated web co') ||
    n === 'com.apple.webkit.webcontent' ||
    n === 'webkitwebprocess'
  ) {
    return 'content process (a tab)';
  }
  if (/--type=utility\b/.test(cmd) || n === 'utility process' || n === 'rdd process') return 'utility process';
  return 'browser';
}

export function identityFindings(id: TraceIdentity, platform: Platform): IdentityFindings {
  // memfd_create: a program run from memory with no file on disk ("fileless").
  const deleted = deletedFinding(id.exe, platform);
  return {
    signature: minerSignature(id, platform),
    locations: suspiciousLocation(id.exe, platform),
    deleted,
    kernelImpostor: kernelThreadImpostor(id, platform),
    systemImpostor: systemNameImpostor(id, platform),
    browserRole: browserRole(id, platform),
    benign: matchBenign(id, platform),
  };
}

/** Evidence that rules out a benign reading of the process (a miner dressed as a backup tool). */
export function hostileIdentity(f: IdentityFindings): boolean {
  return (
    f.signature !== null ||
    f.locations.length > 0 ||
    (f.deleted !== null && !f.deleted.packaged) ||
    f.kernelImpostor !== null ||
    f.systemImpostor !== null
  );
}
