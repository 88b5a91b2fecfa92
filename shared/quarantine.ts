/**
 * The quarantine: everything Idlewatch removes (a persistence line, a whole file, a killed
 * program's executable, a hosts-file line) is kept here first, so it can always be put back. These
 * are the types the engine produces and the CLI and the window show. Paths and line text come from
 * the machine: attacker-controlled, escape them for HTML and strip control characters for a terminal.
 */
import type { ActionResult } from './actions.js';
import type { StoreProblem } from './storage.js';

/**
 * - `line`: one line of a file was removed; the file stays. Restore puts the whole file back as it
 *   was, only while the file is still exactly what Idlewatch left.
 * - `file`: a whole file was moved out; restore re-creates it, only where nothing is in its place.
 * - `executable`: a program's file, moved out after its process was ended; restored like `file`.
 */
export type QuarantineKind = 'line' | 'file' | 'executable';

/** Who asked for the removal: the user's name and through which part of Idlewatch. */
export interface QuarantineActor {
  user: string;
  via: 'app' | 'cli';
}

export interface QuarantineItem {
  /** `YYYYMMDDTHHMMSSZ-xxxxxxxx`: sortable by time, unique. */
  id: string;
  kind: QuarantineKind;
  /**
   * What the item was, in the words of the part that removed it: a persistence kind (`crontab`,
   * `systemd`, `shell-rc`…), `executable`, `hosts`, `authorized-keys`. Lower-case words and dashes.
   */
  category: string;
  /** The file that was changed or removed, links resolved (what restore writes). */
  path: string;
  /** The path as the report named it (a dotfile link, a `--root` path); often the same as `path`. */
  shownPath: string;
  /** The file's permission bits (`0o644`), owner and group ids, and times as they were before. */
  mode: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  /** SHA-256 (lower-case hex) and size of the bytes kept: the whole file as it was before. */
  sha256: string;
  size: number;
  /** For `line`: the 1-based line number and its text (UTF-8, without the line end). */
  line: { number: number; text: string } | null;
  /** For `line`: the file as Idlewatch left it; restore refuses a file that is no longer this. */
  after: { sha256: string; size: number } | null;
  /** Why it was removed: "persistence finding: runs a miner from /tmp". */
  reason: string;
  /** When, ISO 8601 UTC. */
  at: string;
  by: QuarantineActor;
  /** The scan finding it was removed for, when it was one, and that report's start time. */
  findingId: string | null;
  reportStartedAt: string | null;
  /** An older Idlewatch's `.NAME.idlewatch-backup-STAMP` this item was imported from. */
  importedFrom: string | null;
}

export interface QuarantineListing {
  /** Newest first. */
  items: QuarantineItem[];
  /** Records that could not be read (kept aside), stored copies without a record. */
  problems: StoreProblem[];
  /** The quarantine folder (in the data folder). */
  folder: string;
}

export type QuarantineFailureCode =
  /** The target is not what the report saw (hash, size, line text), or changed during the removal. */
  | 'changed'
  /** Not something the quarantine takes: a link to a device, a folder, too large. */
  | 'refused'
  /** A file system error (permission, disk full); nothing was removed. */
  | 'failed'
  | 'unknown-item';

export type QuarantineResult =
  | { ok: true; item: QuarantineItem; detail: string }
  | { ok: false; code: QuarantineFailureCode; reason: string };

export type RestoreResult =
  | {
      ok: true;
      id: string;
      path: string;
      detail: string;
      /** What could not be put back exactly (an owner without the rights to set it). */
      notes: string[];
    }
  | {
      ok: false;
      id: string;
      /** `conflict`: the file changed since the removal, or something else is in its place. */
      code: 'conflict' | 'failed' | 'unknown-item';
      reason: string;
    };

export type DeleteResult =
  | { ok: true; id: string }
  | { ok: false; id: string; code: 'unknown-item' | 'failed'; reason: string };

/** What importing an older Idlewatch's backup files did. */
export interface LegacyImportResult {
  imported: QuarantineItem[];
  /** "path: why" for backups left where they are. */
  skipped: string[];
}

/** Quarantine ids as the contract accepts them (the window's and the CLI's requests are checked). */
export const QUARANTINE_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/** What "Kill and quarantine the program" did. */
export type KillQuarantineResult =
  | { ok: true; kill: ActionResult; item: QuarantineItem; detail: string }
  | {
      ok: false;
      /** `refused`: not offered for this program; `kill`: the process was not ended; `quarantine`: it was, the file was not moved. */
      stage: 'refused' | 'kill' | 'quarantine';
      reason: string;
      kill: ActionResult | null;
    };
