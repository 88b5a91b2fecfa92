import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ALLOWLIST_EXPORT_FORMAT,
  ALLOWLIST_EXPORT_VERSION,
  type AllowlistEntry,
  type AllowlistEntryInput,
  type AllowlistExport,
  type AllowlistVerdict,
  type ArgPattern,
} from '../../../shared/allowlist.js';
import type { StoreProblem } from '../../../shared/storage.js';
import type { AtomicWriteFs } from '../store/atomic-write.js';
import { isRecord, ValidationError } from '../store/validate.js';
import { loadVersionedJson, saveVersionedJson } from '../store/versioned-json.js';
import { entryProblem } from '../../../shared/interpreters.js';
import { argPatternMatches, describeArgPattern, validateArgPattern } from './arg-pattern.js';
import { MAX_NOTE_LENGTH, MAX_REASON_LENGTH, normaliseSha256, validateEntries } from './entry-validate.js';
import { exePathKey, isDeletedExe, normaliseExePath } from './exe-path.js';
import { HashCache } from './file-hash.js';

export const ALLOWLIST_FILE = 'allowlist.json';
export const ALLOWLIST_VERSION = 1;

/** What matching needs to know about a process. */
export interface AllowlistProc {
  exe: string | null;
  cmdline: string;
}

export type HashOf = (path: string) => Promise<string | null>;
export type HashOfSync = (path: string) => string | null;

export interface AllowlistOptions {
  /** Whose path rules apply (Windows: case-insensitive). Default: this machine's. */
  platform?: NodeJS.Platform;
  /** Shared with other users of file hashes; one is made when not given. */
  hashCache?: HashCache;
  now?: () => number;
  /** Replaceable to simulate failing disks. */
  fs?: AtomicWriteFs;
}

/** What an import did: entries added and skipped (already present), refused, and hashes pinned. */
export interface AllowlistImportReport {
  added: number;
  skipped: number;
  /** One line per entry refused (an interpreter without an argument pattern). */
  refused: string[];
  /** Entries pinned to the file on this machine. */
  pinned: number;
  /** "path: why" for each added entry left unpinned. */
  notPinned: string[];
}

/** Thrown by importJson when the file is not an Idlewatch allowlist export, naming every bad field. */
export class AllowlistImportError extends ValidationError {
  constructor(errors: string[]) {
    super('the allowlist file', errors);
    this.name = 'AllowlistImportError';
  }
}

/**
 * The user's allowlist, persisted in `allowlist.json` in the data folder. Entries pin a full
 * executable path, optionally its SHA-256 and an argument pattern; a bare name never matches.
 *
 * Hash pins are checked against the file at the process's path. On Linux a caller that wants the
 * running image itself checked (a binary replaced after it started) passes a `hashOf` that reads
 * `/proc/PID/exe`.
 */
export class Allowlist {
  readonly platform: NodeJS.Platform;
  readonly hashCache: HashCache;
  /** Problems met when the file was loaded (a corrupt file moved aside). */
  readonly problems: StoreProblem[];
  private entries: AllowlistEntry[];
  private byPath = new Map<string, AllowlistEntry[]>();
  private readonly now: () => number;
  private readonly fs: AtomicWriteFs | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    entries: AllowlistEntry[],
    problems: StoreProblem[],
    opts: AllowlistOptions,
  ) {
    this.platform = opts.platform ?? process.platform;
    this.hashCache = opts.hashCache ?? new HashCache();
    this.now = opts.now ?? Date.now;
    this.fs = opts.fs;
    this.problems = problems;
    this.entries = entries;
    this.reindex();
  }

  /** Reads `allowlist.json` from the data folder (a missing file is an empty allowlist). */
  static async load(dataDir: string, opts: AllowlistOptions = {}): Promise<Allowlist> {
    const platform = opts.platform ?? process.platform;
    const file = join(dataDir, ALLOWLIST_FILE);
    const loaded = await loadVersionedJson<AllowlistEntry[]>(
      file,
      {
        version: ALLOWLIST_VERSION,
        validate: (doc) => validateEntries(doc.entries, 'allowlist.entries', platform),
        defaults: () => [],
      },
      opts.now,
    );
    return new Allowlist(file, loaded.value, loaded.problems, opts);
  }

  list(): AllowlistEntry[] {
    return this.entries.map(copyEntry);
  }

  /**
   * Adds an entry and saves the file. An existing file's path is resolved through symlinks, since
   * the OS reports a process by its real path. Adding an entry equal to an existing one returns
   * that one. Throws a ValidationError for bad input and a StoreWriteError when the save fails
   * (the allowlist is then unchanged).
   */
  add(input: AllowlistEntryInput): Promise<AllowlistEntry> {
    return this.serial(async () => {
      const errors: string[] = [];
      const norm = typeof input.exe === 'string' ? normaliseExePath(input.exe, this.platform) : null;
      if (!norm) errors.push('exe must be text');
      else if (!norm.ok) errors.push(`exe ${norm.error}`);
      let args: ArgPattern | null = null;
      if (input.args !== undefined && input.args !== null) {
        const a = validateArgPattern(input.args, 'args');
        if (a.ok) args = a.value;
        else errors.push(...a.errors);
      }
      const reason = input.reason ?? '';
      const note = input.note ?? '';
      if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)
        errors.push(`reason must be text of at most ${MAX_REASON_LENGTH} characters`);
      if (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH)
        errors.push(`note must be text of at most ${MAX_NOTE_LENGTH} characters`);
      let sha256: string | null = null;
      if (input.sha256 !== undefined && input.sha256 !== null) {
        sha256 = normaliseSha256(input.sha256);
        if (sha256 === null) errors.push(`sha256 must be 64 hexadecimal digits, got ${JSON.stringify(input.sha256)}`);
      }
      if (errors.length > 0 || !norm?.ok) throw new ValidationError('the allowlist entry', errors);

      const exe = await this.realPath(norm.path);
      // The link and the file it resolves to: /usr/local/bin/myapp may be python3 under another name.
      const problem =
        entryProblem({ exe: norm.path, args }, this.platform) ?? entryProblem({ exe, args }, this.platform);
      if (problem !== null) throw new ValidationError('the allowlist entry', [problem]);
      if (sha256 === null && input.pinHash) {
        sha256 = await this.hashCache.hashOf(exe);
        if (sha256 === null)
          throw new ValidationError('the allowlist entry', [
            `exe ${exe} cannot be read, so its SHA-256 cannot be pinned`,
          ]);
      }
      const entry: AllowlistEntry = { id: randomUUID(), exe, sha256, args, reason, note, addedAt: this.now() };
      const same = this.entries.find((e) => this.sameRule(e, entry));
      if (same) return copyEntry(same);
      await this.commit([...this.entries, entry]);
      return copyEntry(entry);
    });
  }

  /** Removes an entry and saves the file; false when no entry has this id. */
  remove(id: string): Promise<boolean> {
    return this.serial(async () => {
      const rest = this.entries.filter((e) => e.id !== id);
      if (rest.length === this.entries.length) return false;
      await this.commit(rest);
      return true;
    });
  }

  /** The entry that covers the process, or null. */
  async matches(proc: AllowlistProc, hashOf?: HashOf): Promise<AllowlistEntry | null> {
    const v = await this.check(proc, hashOf);
    return v.covered ? v.entry : null;
  }

  /** Like matches(), using only hashes already known: a pinned entry whose file is not hashed yet does not match. */
  matchesSync(proc: AllowlistProc, hashOf?: HashOfSync): AllowlistEntry | null {
    const v = this.checkSync(proc, hashOf);
    return v.covered ? v.entry : null;
  }

  /** Whether the process is covered, and if not while an entry names its path, why not. */
  async check(proc: AllowlistProc, hashOf?: HashOf): Promise<AllowlistVerdict> {
    const found = this.candidates(proc);
    if ('covered' in found) return found;
    const { exe, entries } = found;
    const get = hashOf ?? ((p: string) => this.hashCache.hashOf(p));
    let hash: string | null | undefined;
    const why: string[] = [];
    for (const e of entries) {
      if (e.sha256 !== null && hash === undefined) hash = await get(exe);
      const miss = this.mismatch(e, exe, proc.cmdline, hash ?? null, 'unreadable');
      if (miss === null) return { covered: true, entry: copyEntry(e) };
      why.push(miss);
    }
    return { covered: false, why: why.join('; ') };
  }

  checkSync(proc: AllowlistProc, hashOf?: HashOfSync): AllowlistVerdict {
    const found = this.candidates(proc);
    if ('covered' in found) return found;
    const { exe, entries } = found;
    const get = hashOf ?? ((p: string) => this.hashCache.peek(p));
    let hash: string | null | undefined;
    const why: string[] = [];
    for (const e of entries) {
      if (e.sha256 !== null && hash === undefined) hash = get(exe);
      const miss = this.mismatch(e, exe, proc.cmdline, hash ?? null, 'not-hashed');
      if (miss === null) return { covered: true, entry: copyEntry(e) };
      why.push(miss);
    }
    return { covered: false, why: why.join('; ') };
  }

  /** The whole allowlist as a JSON document for another machine or a backup. */
  exportJson(): string {
    const doc: AllowlistExport = {
      format: ALLOWLIST_EXPORT_FORMAT,
      version: ALLOWLIST_EXPORT_VERSION,
      exportedAt: new Date(this.now()).toISOString(),
      entries: this.list(),
    };
    return `${JSON.stringify(doc, null, 2)}\n`;
  }

  /**
   * Imports an export. Everything is validated first and nothing changes unless all of it is
   * valid (AllowlistImportError names every bad field). `merge` adds entries not already present;
   * `replace` swaps the whole allowlist. An entry that may not be added (an interpreter without
   * an argument pattern) is refused alone and reported; the others are kept.
   *
   * Entries without a hash are pinned to the file as it is on this machine (`pinHashes`, default
   * on): a path from another machine vouches for whatever sits there now, a pin for what the user
   * has. Where the file cannot be read the entry is kept unpinned and the report says why.
   */
  importJson(
    text: string,
    mode: 'merge' | 'replace' = 'merge',
    opts: { pinHashes?: boolean } = {},
  ): Promise<AllowlistImportReport> {
    return this.serial(async () => {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        throw new AllowlistImportError([`it is not valid JSON (${(e as Error).message})`]);
      }
      if (!isRecord(doc) || doc.format !== ALLOWLIST_EXPORT_FORMAT) {
        throw new AllowlistImportError([
          `it is not an Idlewatch allowlist export (no "format": "${ALLOWLIST_EXPORT_FORMAT}")`,
        ]);
      }
      if (typeof doc.version !== 'number' || !Number.isInteger(doc.version) || doc.version < 1) {
        throw new AllowlistImportError(['it has no valid "version"']);
      }
      if (doc.version > ALLOWLIST_EXPORT_VERSION) {
        throw new AllowlistImportError([
          `it was exported by a newer Idlewatch (version ${doc.version}; this version reads up to ${ALLOWLIST_EXPORT_VERSION})`,
        ]);
      }
      const v = validateEntries(doc.entries, 'entries', this.platform);
      if (!v.ok) throw new AllowlistImportError(v.errors);
      const base = mode === 'replace' ? [] : [...this.entries];
      const report: AllowlistImportReport = { added: 0, skipped: 0, refused: [], pinned: 0, notPinned: [] };
      for (const e of v.value) {
        const problem = entryProblem(e, this.platform);
        if (problem !== null) {
          report.refused.push(problem);
          continue;
        }
        if (base.some((b) => this.sameRule(b, e))) {
          report.skipped++;
          continue;
        }
        let entry = base.some((b) => b.id === e.id) ? { ...e, id: randomUUID() } : e;
        if (entry.sha256 === null && opts.pinHashes !== false) {
          const pin = await this.pinNow(entry.exe);
          if ('sha256' in pin) {
            entry = { ...entry, sha256: pin.sha256 };
            report.pinned++;
          } else report.notPinned.push(`${entry.exe}: ${pin.why}`);
        }
        base.push(entry);
        report.added++;
      }
      await this.commit(base);
      return report;
    });
  }

  private candidates(proc: AllowlistProc): { exe: string; entries: AllowlistEntry[] } | AllowlistVerdict {
    if (!proc.exe) return { covered: false, why: 'its executable path is unknown, and entries match by path only' };
    if (isDeletedExe(proc.exe)) {
      return {
        covered: false,
        why: `its executable was deleted from disk (${proc.exe}); a deleted file cannot be verified, so no entry covers it`,
      };
    }
    const norm = normaliseExePath(proc.exe, this.platform);
    if (!norm.ok) return { covered: false, why: `its executable path ${norm.error}` };
    const entries = this.byPath.get(exePathKey(norm.path, this.platform));
    if (!entries) return { covered: false, why: `no allowlist entry for ${norm.path}` };
    return { exe: norm.path, entries };
  }

  /** Why an entry cannot apply as it stands (an interpreter without an argument pattern); null when it can. */
  problemOf(e: Pick<AllowlistEntry, 'exe' | 'args'>): string | null {
    return entryProblem(e, this.platform);
  }

  /** The SHA-256 of the file at `exe` on this machine now, or why it cannot be pinned. */
  private async pinNow(exe: string): Promise<{ sha256: string } | { why: string }> {
    if (this.platform !== process.platform)
      return { why: 'a path for another system, so its file cannot be hashed here' };
    const sha256 = await this.hashCache.hashOf(exe);
    return sha256 !== null ? { sha256 } : { why: 'not found on this machine or cannot be read' };
  }

  /** Null when the entry covers the process, else why not. */
  private mismatch(
    e: AllowlistEntry,
    exe: string,
    cmdline: string,
    hash: string | null,
    noHash: 'unreadable' | 'not-hashed',
  ): string | null {
    // Kept as the user saved it (their data), but an entry that breaks the rule covers nothing.
    const problem = entryProblem(e, this.platform);
    if (problem !== null) return `the entry for ${e.exe} no longer applies: ${problem}`;
    if (e.args && !argPatternMatches(e.args, cmdline))
      return `the entry for ${e.exe} requires ${describeArgPattern(e.args)}`;
    if (e.sha256 === null) return null;
    if (hash === null) {
      return noHash === 'unreadable'
        ? `the entry for ${e.exe} pins its SHA-256, and ${exe} could not be read to check it`
        : `the entry for ${e.exe} pins its SHA-256, and ${exe} has not been hashed yet`;
    }
    if (hash === e.sha256) return null;
    return `${exe} no longer has the SHA-256 pinned in its allowlist entry (pinned ${e.sha256.slice(0, 12)}…, now ${hash.slice(0, 12)}…): the file was replaced or updated, so it is not covered; add it again if the change is expected`;
  }

  private sameRule(a: AllowlistEntry, b: AllowlistEntry): boolean {
    return (
      exePathKey(a.exe, this.platform) === exePathKey(b.exe, this.platform) &&
      a.sha256 === b.sha256 &&
      a.args?.kind === b.args?.kind &&
      a.args?.pattern === b.args?.pattern
    );
  }

  /** Symlinks resolved (only for this machine's own files; a path for another OS is kept as given). */
  private async realPath(path: string): Promise<string> {
    if (this.platform !== process.platform) return path;
    try {
      if (!(await stat(path)).isFile()) return path;
      const real = await realpath(path);
      const n = normaliseExePath(real, this.platform);
      return n.ok ? n.path : path;
    } catch {
      return path;
    }
  }

  /** Saves first, then switches: a failed save leaves both the file and the allowlist unchanged. */
  private async commit(next: AllowlistEntry[]): Promise<void> {
    await saveVersionedJson(this.file, ALLOWLIST_VERSION, { entries: next }, this.fs);
    this.entries = next;
    this.reindex();
  }

  private reindex(): void {
    this.byPath = new Map();
    for (const e of this.entries) {
      const key = exePathKey(e.exe, this.platform);
      const list = this.byPath.get(key);
      if (list) list.push(e);
      else this.byPath.set(key, [e]);
    }
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {});
    return run;
  }
}

function copyEntry(e: AllowlistEntry): AllowlistEntry {
  return { ...e, args: e.args ? { ...e.args } : null };
}
