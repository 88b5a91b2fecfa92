/**
 * The one privileged operation: put a prepared hosts file in place. This is what runs as root
 * (through pkexec, UAC or osascript), so it trusts nothing it is given. It writes only the hosts
 * file of this system (or of a test's root), only a prepared file whose SHA-256 is the one the
 * unprivileged side named, whose Idlewatch block (if any) is exactly what Idlewatch writes, and
 * whose every byte outside the block equals the current file's outside the block. So whatever
 * asked for the prompt can add, change or remove the block of mining domains, or put back the
 * file as it was before the block, and nothing else.
 */
import { createHash } from 'node:crypto';
import { lstat, readlink } from 'node:fs/promises';
import { isReadRefusal, safeReadFile } from '../scan/safe-read.js';
import { blockProblem, type Eol, HostsBlockError, MAX_HOSTS_BYTES, outsideBlock, parseHosts } from './hosts-block.js';
import { writeBytesAtomic } from './write-bytes.js';

export class HostsApplyError extends Error {
  override name = 'HostsApplyError';
}

export interface HostsApplyRequest {
  hostsPath: string;
  preparedPath: string;
  /** Lower-case hex SHA-256 of the prepared file, as the unprivileged side computed it. */
  expectedSha256: string;
  /** The line end of a new hosts file (Windows: CRLF). */
  fallbackEol?: Eol;
}

export interface HostsFileState {
  data: Buffer;
  mode: number;
  uid: number;
  gid: number;
  /** False where the file did not exist (some Windows installations have none). */
  exists: boolean;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The hosts file as it is now. A link is refused (a write would replace the link, or go where it
 * points, neither of which the user asked for: NixOS and some containers link it into read-only
 * stores), as is a file whose write bits are all off: someone made it read-only on purpose.
 */
export async function readHostsFile(hostsPath: string): Promise<HostsFileState> {
  const l = await lstat(hostsPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new HostsApplyError(`cannot read ${hostsPath}: ${e.message}`);
  });
  if (l === null) return { data: Buffer.alloc(0), mode: 0o644, uid: 0, gid: 0, exists: false };
  if (l.isSymbolicLink()) {
    const target = await readlink(hostsPath).catch(() => '?');
    throw new HostsApplyError(
      `${hostsPath} is a link to ${target}; Idlewatch does not write through links (edit the file it points to by hand)`,
    );
  }
  try {
    const f = await safeReadFile(hostsPath, { maxBytes: MAX_HOSTS_BYTES, noFollow: true });
    return { data: f.data, mode: f.mode & 0o7777, uid: f.uid, gid: f.gid, exists: true };
  } catch (e) {
    if (isReadRefusal(e)) throw new HostsApplyError(`${e.message}; nothing was changed`);
    throw new HostsApplyError(`cannot read ${hostsPath}: ${(e as Error).message}`);
  }
}

/** Why the current file must not be written, or null. */
export function writeRefusal(hostsPath: string, state: HostsFileState): string | null {
  if (state.exists && process.platform !== 'win32' && (state.mode & 0o222) === 0) {
    return `${hostsPath} is read-only (mode ${state.mode.toString(8).padStart(4, '0')}); Idlewatch leaves a file someone made read-only as it is. Nothing was changed`;
  }
  return null;
}

/** Checks the prepared file against the current one and puts it in place; true when it changed anything. */
export async function applyPreparedHosts(req: HostsApplyRequest): Promise<boolean> {
  if (!SHA256.test(req.expectedSha256))
    throw new HostsApplyError('the expected SHA-256 is not 64 lower-case hex digits');
  let prepared: Buffer;
  try {
    prepared = (await safeReadFile(req.preparedPath, { maxBytes: MAX_HOSTS_BYTES, noFollow: true })).data;
  } catch (e) {
    throw new HostsApplyError(`cannot read the prepared file ${req.preparedPath}: ${(e as Error).message}`);
  }
  const sha = createHash('sha256').update(prepared).digest('hex');
  if (sha !== req.expectedSha256) {
    throw new HostsApplyError(
      'the prepared file is not the one that was asked for (its SHA-256 differs); nothing was changed',
    );
  }
  const current = await readHostsFile(req.hostsPath);
  const refusal = writeRefusal(req.hostsPath, current);
  if (refusal) throw new HostsApplyError(refusal);
  let next: ReturnType<typeof parseHosts>;
  let now: ReturnType<typeof parseHosts>;
  try {
    next = parseHosts(prepared, req.fallbackEol);
    now = parseHosts(current.data, req.fallbackEol);
  } catch (e) {
    if (e instanceof HostsBlockError) throw new HostsApplyError(`${req.hostsPath}: ${e.message}`);
    throw e;
  }
  const bad = blockProblem(next);
  if (bad) throw new HostsApplyError(`the prepared file was refused: ${bad}; nothing was changed`);
  if (outsideBlock(next) !== outsideBlock(now)) {
    throw new HostsApplyError(
      `the prepared file differs from ${req.hostsPath} outside Idlewatch's block (the file changed meanwhile?); nothing was changed`,
    );
  }
  if (prepared.equals(current.data)) return false;
  await writeBytesAtomic(req.hostsPath, prepared, {
    mode: current.mode,
    owner: current.exists ? { uid: current.uid, gid: current.gid } : null,
    beforeRename: async () => {
      // The last moment to notice a change by someone else: it wins, and nothing is written.
      const again = await readHostsFile(req.hostsPath);
      if (!again.data.equals(current.data)) {
        throw new HostsApplyError(`${req.hostsPath} changed while it was being written; nothing was changed`);
      }
    },
  });
  return true;
}
