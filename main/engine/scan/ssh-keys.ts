/**
 * SSH keys that let someone log in (authorized_keys of every user and root, and the files
 * sshd_config's AuthorizedKeysFile names). Mining kits add their own key to come back after a
 * clean-up. Which key was added recently cannot be known from the file, so the scan reports what
 * is evidence: a forced command or an option that runs something suspicious, an environment that
 * preloads a library, and the keys of a file that changed lately, for the user to recognise. Keys
 * with nothing about them are listed in the report, never findings.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Severity } from '../../../shared/detection.js';
import type { PersistenceEntry, ScanAction, ScanPersistenceRef } from '../../../shared/scan.js';
import type { DomainList } from '../detect/mining-domains.js';
import { checkCommand, maxSeverity } from './command-rules.js';
import { type ConfigFile, ago, confDirFiles, readConfigFile, shellQuote } from './config-files.js';
import { type NewFinding, wholeFileRef } from './findings.js';
import type { ScanContext } from './scan-context.js';

const STEP = 'tamper' as const;

const KEY_TYPES = new Set([
  'ssh-rsa',
  'ssh-dss',
  'ssh-ed25519',
  'ssh-ed448',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
]);

export interface KeyOption {
  name: string;
  /** The value of `name="value"` with its quotes and escapes taken off; null for a flag (`no-pty`). */
  value: string | null;
}

export interface AuthorizedKey {
  options: KeyOption[];
  type: string;
  /** `SHA256:…` as ssh-keygen -l prints it. */
  fingerprint: string;
  comment: string;
}

/** Options before the key (`command="…",no-pty`): up to the first unquoted blank, commas between. */
function splitOptions(text: string): { options: KeyOption[]; rest: string } | null {
  const options: KeyOption[] = [];
  let i = 0;
  let name = '';
  let value: string | null = null;
  const push = (): void => {
    if (name !== '') options.push({ name: name.toLowerCase(), value });
    name = '';
    value = null;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') break;
    if (c === ',') {
      push();
      i++;
    } else if (c === '=' && value === null) {
      value = '';
      i++;
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && text[i + 1] === '"') i++;
          value += text[i];
          i++;
        }
        if (i >= text.length) return null; // unterminated quote: sshd rejects the line
        i++;
      }
    } else if (value !== null) {
      value += c;
      i++;
    } else {
      name += c;
      i++;
    }
  }
  push();
  return { options, rest: text.slice(i).replace(/^[ \t]+/, '') };
}

function keyPart(text: string): { type: string; fingerprint: string; comment: string } | null {
  const m = /^(\S+)[ \t]+([A-Za-z0-9+/=]+)(?:[ \t]+(.*))?$/.exec(text);
  if (!m || !KEY_TYPES.has(m[1] as string)) return null;
  const blob = Buffer.from(m[2] as string, 'base64');
  // The blob starts with its own type name: a key whose blob says otherwise is not accepted by sshd.
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (len < 1 || len > 64 || blob.length < 4 + len) return null;
  const inner = blob.subarray(4, 4 + len).toString('latin1');
  if (inner !== m[1]) return null;
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { type: m[1] as string, fingerprint, comment: (m[3] ?? '').trim() };
}

/**
 * One authorized_keys line as sshd reads it: optional options, the key type, its base64 blob, an
 * optional comment. Null for blank lines, comments and lines sshd would not accept.
 */
export function parseAuthorizedKey(line: string): AuthorizedKey | null {
  const t = line.replace(/^[ \t]+/, '');
  if (t === '' || t.startsWith('#')) return null;
  const plain = keyPart(t);
  if (plain) return { options: [], ...plain };
  const split = splitOptions(t);
  if (!split) return null;
  const key = keyPart(split.rest);
  return key ? { options: split.options, ...key } : null;
}

const PRELOAD_ENV =
  /^(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|BASH_ENV|ENV|PROMPT_COMMAND|PYTHONSTARTUP|PERL5OPT|NODE_OPTIONS)=/;

export interface KeyVerdict {
  severity: Severity;
  reasons: string[];
}

/**
 * What about a key's options is suspicious: a forced command the command rules flag (a miner, a
 * download run on the spot, a program in a temporary folder), or an environment that makes every
 * login load or run something. A plain forced command (backups, git hosting) is not.
 */
export function judgeKeyOptions(key: AuthorizedKey, domains: DomainList, home: string | null): KeyVerdict | null {
  let severity: Severity | null = null;
  const reasons: string[] = [];
  for (const o of key.options) {
    if (o.name === 'command' && o.value !== null) {
      const v = checkCommand(o.value, { platform: 'linux', domains, home, shellRc: false });
      if (v) {
        severity = maxSeverity(severity, v.severity);
        reasons.push(`logging in with this key runs ${JSON.stringify(o.value.slice(0, 300))}: ${v.reasons.join('; ')}`);
      }
    } else if (o.name === 'environment' && o.value !== null && PRELOAD_ENV.test(o.value)) {
      severity = maxSeverity(severity, 'high');
      reasons.push(
        `sets ${o.value.split('=')[0]} for every login with this key (environment="${o.value.slice(0, 200)}"): code runs in the login before anything the user chose`,
      );
    }
  }
  return severity === null ? null : { severity, reasons };
}

/** A file's keys changed within this long are shown for review. */
export const RECENT_MS = 7 * 24 * 3600_000;
/** A recently changed file with more keys than this gets one finding for the file, not one per key. */
const MAX_KEY_FINDINGS_PER_FILE = 10;
/** Keys listed in the report at most (all suspicious ones are findings anyway). */
const MAX_LISTED_KEYS = 500;

export interface KeyFile {
  user: string;
  home: string;
  /** System path. */
  path: string;
}

interface Home {
  user: string;
  home: string;
}

/** sshd_config's AuthorizedKeysFile patterns (all of them, Match blocks included); the default when none. */
export function authorizedKeysPatterns(configs: readonly string[]): string[] {
  const out: string[] = [];
  for (const text of configs) {
    for (const raw of text.split('\n')) {
      const m = /^\s*AuthorizedKeysFile(?:\s*=\s*|\s+)(.*)$/i.exec(raw);
      if (!m) continue;
      for (const w of (m[1] ?? '').replace(/\s+#.*$/, '').split(/\s+/)) {
        const p = w.replace(/^"|"$/g, '');
        if (p !== '' && p.toLowerCase() !== 'none' && !out.includes(p)) out.push(p);
      }
    }
  }
  for (const d of ['.ssh/authorized_keys', '.ssh/authorized_keys2']) if (!out.includes(d)) out.push(d);
  return out;
}

/** A pattern (`%h/.ssh/authorized_keys`, `/etc/ssh/keys/%u`, relative to the home) for one user. */
export function expandKeysPattern(pattern: string, h: Home): string | null {
  const p = pattern.replace(/%(.)/g, (_, c: string) =>
    c === 'h' ? h.home : c === 'u' ? h.user : c === '%' ? '%' : '\u0000',
  );
  if (p.includes('\u0000')) return null;
  return p.startsWith('/') ? posix.normalize(p) : posix.join(h.home, p);
}

export async function keyFiles(ctx: ScanContext, homes: readonly Home[]): Promise<KeyFile[]> {
  const configs: string[] = [];
  for (const path of [
    '/etc/ssh/sshd_config',
    ...(await confDirFiles(ctx, STEP, ['/etc/ssh/sshd_config.d'], '.conf')),
  ]) {
    const f = await readConfigFile(ctx, STEP, path);
    if (f) configs.push(f.lines.join('\n'));
  }
  const patterns = authorizedKeysPatterns(configs);
  const seen = new Set<string>();
  const out: KeyFile[] = [];
  for (const h of homes) {
    for (const pattern of patterns) {
      const path = expandKeysPattern(pattern, h);
      if (path === null || seen.has(path)) continue;
      seen.add(path);
      out.push({ user: h.user, home: h.home, path });
    }
  }
  return out;
}

export interface KeyScan {
  findings: NewFinding[];
  entries: PersistenceEntry[];
  /** Files read (for the immutable-flag check), as they lie on disk. */
  files: string[];
  keys: number;
}

function ref(f: ConfigFile, line: number, command: string, user: string): ScanPersistenceRef {
  return {
    kind: 'ssh-key',
    file: f.file,
    line,
    text: f.lines[line - 1] ?? '',
    command,
    location: null,
    runAs: user,
    fileState: f.fileState,
  };
}

function keyLabel(k: AuthorizedKey): string {
  const opts = k.options.length > 0 ? ` with options ${k.options.map((o) => o.name).join(',')}` : '';
  return `${k.type} ${k.fingerprint}${k.comment ? ` "${k.comment.slice(0, 120)}"` : ' (no comment)'}${opts}`;
}

function keyActions(f: ConfigFile, line: number): ScanAction[] {
  return [
    { kind: 'remove-persistence', file: f.file, line },
    {
      kind: 'manual',
      text: `If you do not recognise this key, remove line ${line} of ${f.file}, then look for how it got there (a process or job that adds it back, the account's password). Compare fingerprints with ssh-keygen -lf ${shellQuote(f.file)}`,
    },
  ];
}

/**
 * When a key file last changed, as evidence. The modification time can be set back (`touch -r`
 * hides an appended key); the inode's change time cannot, so the later of the two counts, and a
 * change time far after the modification time is said (it also follows a chmod, chown or chattr).
 */
export function keyFileChange(
  file: string,
  mtimeMs: number,
  ctimeMs: number,
  now: number,
): { age: number; recent: boolean; facts: string[] } {
  const changedMs = Math.max(mtimeMs, ctimeMs);
  const age = now - changedMs;
  const recent = age >= -60_000 && age < RECENT_MS;
  const facts = [`${file} changed ${ago(age)} ago (${new Date(changedMs).toISOString()})`];
  if (ctimeMs - mtimeMs > 3600_000) {
    facts.push(
      `its modification time says ${new Date(mtimeMs).toISOString()}, but the file itself changed ${ago(now - ctimeMs)} ago: the time was set back (touch), or its owner, mode or flags changed since`,
    );
  }
  return { age, recent, facts };
}

/** Reads every key file and judges its keys. */
export async function scanAuthorizedKeys(
  ctx: ScanContext,
  homes: readonly Home[],
  domains: DomainList,
  now: number,
): Promise<KeyScan> {
  const result: KeyScan = { findings: [], entries: [], files: [], keys: 0 };
  const parsed: { kf: KeyFile; f: ConfigFile; keys: { line: number; key: AuthorizedKey }[] }[] = [];
  const holders = new Map<string, string[]>();
  for (const kf of await keyFiles(ctx, homes)) {
    ctx.checkAbort();
    const f = await readConfigFile(ctx, STEP, kf.path, 'ssh-key');
    if (!f) continue;
    result.files.push(f.file);
    const keys: { line: number; key: AuthorizedKey }[] = [];
    f.lines.forEach((text, i) => {
      const key = parseAuthorizedKey(text);
      if (!key) return;
      keys.push({ line: i + 1, key });
      const list = holders.get(key.fingerprint) ?? [];
      if (!list.includes(kf.user)) list.push(kf.user);
      holders.set(key.fingerprint, list);
    });
    parsed.push({ kf, f, keys });
  }
  for (const { kf, f, keys } of parsed) {
    result.keys += keys.length;
    const { age, recent, facts } = keyFileChange(f.file, f.fileState.mtimeMs, f.ctimeMs, now);
    const whose = kf.user === 'root' ? "root's" : `${kf.user}'s`;
    const perKey = recent && keys.length <= MAX_KEY_FINDINGS_PER_FILE;
    for (const { line, key } of keys) {
      const command = key.options.find((o) => o.name === 'command')?.value ?? '';
      if (result.entries.length < MAX_LISTED_KEYS) {
        result.entries.push({
          kind: 'ssh-key',
          file: f.file,
          line,
          text: f.lines[line - 1] ?? '',
          command,
          location: keyLabel(key),
          runAs: kf.user,
        });
      }
      const v = judgeKeyOptions(key, domains, kf.home);
      if (!v && !perKey) continue;
      const others = (holders.get(key.fingerprint) ?? []).filter((u) => u !== kf.user);
      const evidence = [
        ...(v?.reasons ?? []),
        `${f.file}:${line}: ${keyLabel(key)}`,
        ...(recent
          ? [...facts, `the file holds ${keys.length} key(s); which of them is new cannot be told from the file`]
          : []),
        ...(others.length > 0 ? [`the same key can also log in as ${others.slice(0, 10).join(', ')}`] : []),
      ];
      result.findings.push({
        key: `${f.file}:${line}`,
        rule: 'ssh-authorized-key',
        severity: v?.severity ?? 'low',
        title: v
          ? `SSH key in ${whose} authorized_keys: ${v.reasons[0] ?? 'suspicious options'}`
          : `SSH key in ${whose} authorized_keys, which changed ${ago(age)} ago: ${key.type} ${key.fingerprint}${key.comment ? ` "${key.comment.slice(0, 60)}"` : ''}`,
        evidence,
        persistence: ref(f, line, command, kf.user),
        actions: keyActions(f, line),
      });
    }
    if (recent && !perKey) {
      result.findings.push({
        key: f.file,
        rule: 'ssh-authorized-key',
        severity: 'low',
        title: `${whose} authorized_keys changed ${ago(age)} ago: ${keys.length} keys to review`,
        evidence: [
          ...facts,
          ...keys.slice(0, 50).map(({ line, key }) => `line ${line}: ${keyLabel(key)}`),
          ...(keys.length > 50 ? [`… and ${keys.length - 50} more`] : []),
        ],
        persistence: wholeFileRef('ssh-key', f.file, kf.user),
        actions: [
          {
            kind: 'manual',
            text: `Review ${f.file} (ssh-keygen -lf ${shellQuote(f.file)} lists the fingerprints) and remove the lines of keys you do not recognise`,
          },
        ],
      });
    }
  }
  return result;
}
