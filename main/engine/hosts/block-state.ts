/**
 * What Idlewatch last wrote to the hosts file, kept in the data folder (`hosts-block.json`): the
 * block's SHA-256 (the scan compares the block in the file with it: a block someone else removed
 * or edited is tampering), how many names, when, and the copy of the hosts file as it was before
 * the first block (`hosts-backup/`, readable by the user only), which `off` puts back.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { safeReadFile } from '../scan/safe-read.js';
import { loadVersionedJson, saveVersionedJson, type VersionedFileSpec } from '../store/versioned-json.js';
import { FieldReader, isRecord } from '../store/validate.js';
import { MAX_HOSTS_BYTES, sha256Hex } from './hosts-block.js';
import { writeBytesAtomic } from './write-bytes.js';

export const BLOCK_STATE_FILE = 'hosts-block.json';
export const BACKUP_DIR = 'hosts-backup';
const VERSION = 1;

export interface HostsBackupRef {
  /** The copy in the data folder. */
  path: string;
  sha256: string;
  size: number;
}

export interface BlockState {
  /** The hosts file the block was written to. */
  hostsPath: string;
  /** SHA-256 of the block's bytes, markers included. */
  blockSha256: string;
  domains: number;
  writtenAt: string;
  /** The hosts file before the first block; null when a block was already there (nothing older is known). */
  backup: HostsBackupRef | null;
}

const spec: VersionedFileSpec<BlockState | null> = {
  version: VERSION,
  defaults: () => null,
  validate(doc) {
    if (doc.state === null) return { ok: true, value: null };
    const r = new FieldReader(doc, '');
    const hostsPath = r.text('hostsPath', 4096);
    const blockSha256 = r.text('blockSha256', 64);
    const domains = r.int('domains', { min: 0, max: 1_000_000 });
    const writtenAt = r.text('writtenAt', 64);
    const b = doc.backup;
    let backup: HostsBackupRef | null = null;
    if (isRecord(b)) {
      const br = new FieldReader(b, 'backup');
      backup = {
        path: br.text('path', 4096),
        sha256: br.text('sha256', 64),
        size: br.int('size', { min: 0, max: Number.MAX_SAFE_INTEGER }),
      };
      r.errors.push(...br.errors);
    } else if (b !== null) r.errors.push('backup must be an object or null');
    return r.result({ hostsPath, blockSha256, domains, writtenAt, backup });
  },
};

export interface LoadedBlockState {
  state: BlockState | null;
  /** A corrupt state file, moved aside and reported. */
  problems: string[];
}

export async function loadBlockState(dataDir: string): Promise<LoadedBlockState> {
  const loaded = await loadVersionedJson(join(dataDir, BLOCK_STATE_FILE), spec);
  return { state: loaded.value, problems: loaded.problems.map((p) => `${p.file}: ${p.problem}`) };
}

export async function saveBlockState(dataDir: string, state: BlockState | null): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (state === null) await saveVersionedJson(join(dataDir, BLOCK_STATE_FILE), VERSION, { state: null });
  else await saveVersionedJson(join(dataDir, BLOCK_STATE_FILE), VERSION, { ...state });
}

/** Keeps the hosts file's bytes before the first block; the name says when. */
export async function saveHostsBackup(dataDir: string, data: Buffer, at: Date): Promise<HostsBackupRef> {
  const dir = join(dataDir, BACKUP_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `hosts-${at.toISOString().replace(/[-:.]/g, '')}`);
  await writeBytesAtomic(path, data, { mode: 0o600 });
  return { path, sha256: sha256Hex(data), size: data.length };
}

/** The backup's bytes, checked against the hash recorded when it was made; null when missing or altered. */
export async function readHostsBackup(ref: HostsBackupRef): Promise<Buffer | null> {
  try {
    const f = await safeReadFile(ref.path, { maxBytes: MAX_HOSTS_BYTES, noFollow: true });
    return sha256Hex(f.data) === ref.sha256 && f.size === ref.size ? f.data : null;
  } catch {
    return null;
  }
}

export async function deleteHostsBackup(ref: HostsBackupRef): Promise<void> {
  await unlink(ref.path).catch(() => {});
}
