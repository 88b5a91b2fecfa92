/**
 * Allowlist entries: processes the user trusts. An entry pins an executable by its full path
 * (never a bare name, which any miner can copy), optionally its SHA-256 and an argument pattern.
 */

/**
 * Matched against the whole command line (arguments joined by single spaces).
 * `substring`: the text appears anywhere. `glob`: the whole command line matches, where `*` is any
 * run of characters and `?` exactly one; there are no other special characters.
 */
export interface ArgPattern {
  kind: 'substring' | 'glob';
  pattern: string;
}

export interface AllowlistEntry {
  id: string;
  /** Absolute, normalised executable path; compared case-insensitively on Windows. */
  exe: string;
  /** Lower-case hex SHA-256 of the executable when it was pinned; null when not pinned. */
  sha256: string | null;
  args: ArgPattern | null;
  /** Why the user trusts it ("my render farm job"). */
  reason: string;
  /** Free-form note. */
  note: string;
  /** Epoch ms. */
  addedAt: number;
}

/** What the UI sends to add an entry. */
export interface AllowlistEntryInput {
  exe: string;
  /** Pin an explicit hash (64 hex digits). */
  sha256?: string | null;
  /** Pin the hash of the file as it is now (read when the entry is added). Ignored when sha256 is given. */
  pinHash?: boolean;
  args?: ArgPattern | null;
  reason?: string;
  note?: string;
}

/** Whether a process is covered, and why not when an entry for its path exists but does not apply. */
export type AllowlistVerdict = { covered: true; entry: AllowlistEntry } | { covered: false; why: string };

export const ALLOWLIST_EXPORT_FORMAT = 'idlewatch-allowlist';
export const ALLOWLIST_EXPORT_VERSION = 1;

export interface AllowlistExport {
  format: typeof ALLOWLIST_EXPORT_FORMAT;
  version: typeof ALLOWLIST_EXPORT_VERSION;
  exportedAt: string;
  entries: AllowlistEntry[];
}
