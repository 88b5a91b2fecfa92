/**
 * `idlewatch block-domains on|off|status` and the window's setting: the managed block of mining
 * domains in the hosts file. The file is prepared here, unprivileged, and put in place by
 * hosts-apply (in this process for a test root or when already root; else through the platform's
 * administrator prompt, which runs that one command). The first `on` keeps the file as it was;
 * `off` puts exactly that back when nothing else changed outside the block, and otherwise removes
 * only the block, keeps the other changes and says where the old copy is.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Platform } from '../../../shared/trace.js';
import { BlockListError, loadBlockList } from './block-list.js';
import {
  type BlockState,
  deleteHostsBackup,
  loadBlockState,
  readHostsBackup,
  saveBlockState,
  saveHostsBackup,
} from './block-state.js';
import { type Elevator, platformElevator } from './elevation.js';
import { applyPreparedHosts, HostsApplyError, readHostsFile, writeRefusal } from './hosts-apply.js';
import {
  blockDomains,
  type Eol,
  type HostsDoc,
  HostsBlockError,
  outsideBlock,
  parseHosts,
  sha256Hex,
  withBlock,
} from './hosts-block.js';
import { hostsFilePath } from './hosts-path.js';

export interface HostsBlockOptions {
  /** Where the state, the backup and the user's additions live. */
  dataDir: string;
  platform?: Platform;
  /** A fake root (tests): its hosts file is written directly, with no prompt. Default `/`. */
  root?: string;
  /** An extra list of names (`--list FILE`). */
  listFile?: string | null;
  shippedFile?: string | null;
  /**
   * How administrator rights are asked for. Default: not at all under a test root or when this
   * process is already root, else the platform's prompt. null: write directly.
   */
  elevator?: Elevator | null;
  now?: () => Date;
}

export type BlockStateName = 'off' | 'on' | 'altered' | 'removed' | 'broken';

export interface HostsBlockStatus {
  hostsPath: string;
  state: BlockStateName;
  /** Names the block in the file sends nowhere. */
  blocked: number;
  /** Names the lists would block now; null when they could not be read. */
  listed: number | null;
  /** The block names exactly what the lists name now. */
  upToDate: boolean;
  writtenAt: string | null;
  /** The copy of the hosts file from before the block. */
  backup: string | null;
  /** One sentence for the user. */
  message: string;
  problems: string[];
  /** How a change would be written here, and whether it can be: "asks for administrator rights through pkexec". */
  writer: { ok: boolean; how: string };
}

/** How this run would write the hosts file, said before anyone clicks. */
export function writerStatus(opts: HostsBlockOptions, platform: Platform): { ok: boolean; how: string } {
  const w = writerFor(opts, platform);
  if ('unavailable' in w) return { ok: false, how: w.unavailable };
  if (w.elevator === null) {
    return {
      ok: true,
      how: (opts.root ?? '/') !== '/' ? 'writes the test root directly' : 'writes directly (running as administrator)',
    };
  }
  if (w.elevator.unavailable)
    return { ok: false, how: `cannot ask for administrator rights: ${w.elevator.unavailable}` };
  return { ok: true, how: `asks for administrator rights through ${w.elevator.how}` };
}

export interface HostsBlockResult {
  ok: boolean;
  changed: boolean;
  /** Why nothing was done: the prompt was refused, no prompt is possible, bad input, a failure. */
  code?: 'refused' | 'unavailable' | 'invalid' | 'failed';
  message: string;
}

function platformOf(opts: HostsBlockOptions): Platform {
  if (opts.platform) return opts.platform;
  return process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
}

function fallbackEol(platform: Platform): Eol {
  return platform === 'win32' ? '\r\n' : '\n';
}

/**
 * What the block in the file is, against what Idlewatch last wrote: the scan's tamper check and
 * `status` share this.
 */
export function judgeBlock(doc: HostsDoc, state: BlockState | null): { state: BlockStateName; why: string } {
  if (!doc.block) {
    return state
      ? {
          state: 'removed',
          why: `Idlewatch's block was removed by something else (Idlewatch wrote it ${state.writtenAt})`,
        }
      : { state: 'off', why: 'no block' };
  }
  if (!state) return { state: 'altered', why: 'a block is in the file, but Idlewatch has no record of writing it' };
  if (sha256Hex(doc.block.text) !== state.blockSha256) {
    return {
      state: 'altered',
      why: `the block (lines ${doc.block.beginLine}-${doc.block.endLine}) is not what Idlewatch wrote ${state.writtenAt}`,
    };
  }
  return { state: 'on', why: 'the block is as Idlewatch wrote it' };
}

export async function hostsBlockStatus(opts: HostsBlockOptions): Promise<HostsBlockStatus> {
  const platform = platformOf(opts);
  const hostsPath = hostsFilePath(platform, opts.root);
  const { state, problems } = await loadBlockState(opts.dataDir);
  let listed: number | null = null;
  let listNames: string[] = [];
  try {
    listNames = (await loadBlockList(opts)).domains;
    listed = listNames.length;
  } catch (e) {
    if (!(e instanceof BlockListError)) throw e;
    problems.push(e.message);
  }
  const base = {
    hostsPath,
    listed,
    writtenAt: state?.writtenAt ?? null,
    backup: state?.backup?.path ?? null,
    problems,
    writer: writerStatus(opts, platform),
  };
  let doc: HostsDoc;
  try {
    doc = parseHosts((await readHostsFile(hostsPath)).data, fallbackEol(platform));
  } catch (e) {
    if (!(e instanceof HostsBlockError || e instanceof HostsApplyError)) throw e;
    return { ...base, state: 'broken', blocked: 0, upToDate: false, message: `${hostsPath}: ${e.message}` };
  }
  const judged = judgeBlock(doc, state);
  const names = doc.block ? blockDomains(doc.block) : [];
  const upToDate = listed !== null && names.length === listed && names.every((n, i) => n === listNames[i]);
  const message =
    judged.state === 'on'
      ? `on: ${names.length} names blocked in ${hostsPath}${upToDate ? '' : ' (the list has changed since; run `block-domains on` to update)'}`
      : judged.state === 'off'
        ? `off: ${hostsPath} has no Idlewatch block`
        : `${judged.state}: ${judged.why}`;
  return { ...base, state: judged.state, blocked: names.length, upToDate, message };
}

/** The way this run writes: directly, or through a prompt; null + reason when neither is possible. */
function writerFor(
  opts: HostsBlockOptions,
  platform: Platform,
): { elevator: Elevator | null } | { unavailable: string } {
  if (opts.elevator !== undefined) return { elevator: opts.elevator };
  const root = opts.root ?? '/';
  if (root !== '/' || process.getuid?.() === 0) return { elevator: null };
  const e = platformElevator(platform);
  return e
    ? { elevator: e }
    : { unavailable: 'the idlewatch command could not be found to run with administrator rights' };
}

/** Prepares `text` as the new hosts file and has it put in place; the result says what happened. */
async function putInPlace(
  opts: HostsBlockOptions,
  platform: Platform,
  hostsPath: string,
  text: string,
): Promise<HostsBlockResult | null> {
  const writer = writerFor(opts, platform);
  if ('unavailable' in writer)
    return { ok: false, changed: false, code: 'unavailable', message: `${writer.unavailable}; nothing was changed` };
  const data = Buffer.from(text, 'latin1');
  const sha = sha256Hex(data);
  const dir = join(opts.dataDir, 'hosts-prepared');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const prepared = join(dir, `hosts-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fh = await open(prepared, 'wx', 0o600);
  try {
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
  try {
    if (writer.elevator === null) {
      await applyPreparedHosts({
        hostsPath,
        preparedPath: prepared,
        expectedSha256: sha,
        fallbackEol: fallbackEol(platform),
      });
      return null;
    }
    const root = opts.root ?? '/';
    const outcome = await writer.elevator.run([
      'hosts-apply',
      prepared,
      sha,
      ...(root !== '/' ? ['--root', root] : []),
    ]);
    if (outcome.kind === 'done') return null;
    const what =
      outcome.kind === 'refused'
        ? 'administrator rights were refused'
        : outcome.kind === 'unavailable'
          ? 'administrator rights cannot be asked for here'
          : 'the privileged step failed';
    return {
      ok: false,
      changed: false,
      code: outcome.kind,
      message: `${what}: ${outcome.message}; nothing was changed`,
    };
  } catch (e) {
    if (e instanceof HostsApplyError) return { ok: false, changed: false, code: 'failed', message: e.message };
    throw e;
  } finally {
    await unlink(prepared).catch(() => {});
  }
}

interface Current {
  platform: Platform;
  hostsPath: string;
  data: Buffer;
  doc: HostsDoc;
}

async function readCurrent(opts: HostsBlockOptions): Promise<Current | HostsBlockResult> {
  const platform = platformOf(opts);
  const hostsPath = hostsFilePath(platform, opts.root);
  try {
    const file = await readHostsFile(hostsPath);
    const refusal = writeRefusal(hostsPath, file);
    if (refusal) return { ok: false, changed: false, code: 'failed', message: refusal };
    return { platform, hostsPath, data: file.data, doc: parseHosts(file.data, fallbackEol(platform)) };
  } catch (e) {
    if (e instanceof HostsApplyError) return { ok: false, changed: false, code: 'failed', message: e.message };
    if (e instanceof HostsBlockError)
      return { ok: false, changed: false, code: 'invalid', message: `${hostsPath}: ${e.message}` };
    throw e;
  }
}

/** After a write: the file must now be exactly what was prepared. */
async function verify(hostsPath: string, text: string): Promise<HostsBlockResult | null> {
  const now = await readHostsFile(hostsPath).catch(() => null);
  if (now?.data.equals(Buffer.from(text, 'latin1'))) return null;
  return {
    ok: false,
    changed: false,
    code: 'failed',
    message: `${hostsPath} is not what was prepared after the privileged step ran (it did not write it); nothing was changed`,
  };
}

export async function blockDomainsOn(opts: HostsBlockOptions): Promise<HostsBlockResult> {
  let domains: string[];
  try {
    domains = (await loadBlockList(opts)).domains;
  } catch (e) {
    if (e instanceof BlockListError) return { ok: false, changed: false, code: 'invalid', message: e.message };
    throw e;
  }
  const cur = await readCurrent(opts);
  if ('ok' in cur) return cur;
  const { hostsPath, doc } = cur;
  const next = withBlock(doc, domains);
  const { state } = await loadBlockState(opts.dataDir);
  const blockSha = (text: string): string => {
    const b = parseHosts(text, doc.eol).block;
    return b ? sha256Hex(b.text) : '';
  };
  const at = (opts.now ?? (() => new Date()))();
  if (next === doc.text) {
    // Nothing to write; a block written before (and its record lost) becomes Idlewatch's again.
    if (!state || state.blockSha256 !== blockSha(next) || state.hostsPath !== hostsPath) {
      await saveBlockState(opts.dataDir, {
        hostsPath,
        blockSha256: blockSha(next),
        domains: domains.length,
        writtenAt: state?.writtenAt ?? at.toISOString(),
        backup: state?.backup ?? null,
      });
    }
    return {
      ok: true,
      changed: false,
      message: `already on: ${domains.length} names blocked in ${hostsPath}; nothing changed`,
    };
  }
  // The file before the first block is what `off` puts back; a list update keeps that first copy.
  const fresh = doc.block === null;
  const backup = fresh ? await saveHostsBackup(opts.dataDir, cur.data, at) : (state?.backup ?? null);
  const failed = (await putInPlace(opts, cur.platform, hostsPath, next)) ?? (await verify(hostsPath, next));
  if (failed) {
    if (fresh && backup) await deleteHostsBackup(backup);
    return failed;
  }
  await saveBlockState(opts.dataDir, {
    hostsPath,
    blockSha256: blockSha(next),
    domains: domains.length,
    writtenAt: at.toISOString(),
    backup,
  });
  return {
    ok: true,
    changed: true,
    message: fresh
      ? `on: ${domains.length} names blocked in ${hostsPath}; the file as it was is kept at ${backup?.path}`
      : `updated: ${domains.length} names blocked in ${hostsPath} (the old block was replaced)`,
  };
}

export async function blockDomainsOff(opts: HostsBlockOptions): Promise<HostsBlockResult> {
  const cur = await readCurrent(opts);
  if ('ok' in cur) return cur;
  const { hostsPath, doc } = cur;
  const { state } = await loadBlockState(opts.dataDir);
  if (!doc.block) {
    if (state) await saveBlockState(opts.dataDir, null);
    const note = state ? ` (Idlewatch wrote a block ${state.writtenAt}; something else removed it)` : '';
    return {
      ok: true,
      changed: false,
      message: `already off: ${hostsPath} has no Idlewatch block${note}; nothing changed`,
    };
  }
  const outside = outsideBlock(doc);
  const backupData = state?.backup ? await readHostsBackup(state.backup) : null;
  const exact = backupData?.equals(Buffer.from(outside, 'latin1')) === true;
  const failed = (await putInPlace(opts, cur.platform, hostsPath, outside)) ?? (await verify(hostsPath, outside));
  if (failed) return failed;
  await saveBlockState(opts.dataDir, null);
  if (exact && state?.backup) {
    await deleteHostsBackup(state.backup);
    return { ok: true, changed: true, message: `off: ${hostsPath} is back exactly as it was before blocking` };
  }
  const kept = state?.backup
    ? backupData
      ? `; the file changed outside the block since Idlewatch wrote it, so only the block was removed and those changes are kept (the copy from before blocking is at ${state.backup.path})`
      : `; the copy from before blocking (${state.backup.path}) is missing or altered, so only the block was removed`
    : '; Idlewatch had no copy from before the block, so only the block was removed';
  return { ok: true, changed: true, message: `off: the block was removed from ${hostsPath}${kept}` };
}
