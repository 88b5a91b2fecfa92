import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  applyPreparedHosts,
  BlockListError,
  blockDomainsOff,
  blockDomainsOn,
  browserPoliciesOff,
  browserPoliciesOn,
  browserPolicyStatus,
  defaultDataDir,
  HostsApplyError,
  type HostsBlockOptions,
  hostsBlockStatus,
  hostsFilePath,
  loadBlockList,
} from '../engine/index.js';
import { parseArgs, UsageError } from './args.js';
import { safeText } from './format.js';

export const BLOCK_DOMAINS_USAGE = `Usage: idlewatch block-domains on|off|status [--browsers] [--root DIR] [--list FILE] [--data-dir DIR] [--json]

Keeps one managed block in the system hosts file that sends every mining-pool and in-browser
mining domain to 0.0.0.0 and ::, so programs and browsers that use the hosts file cannot reach
them. Lines outside the block are never changed; on twice changes nothing; off puts the file back
exactly as it was before the first on (when nothing else changed it meanwhile). Writing the hosts
file asks for administrator rights (pkexec, UAC or the macOS password prompt) for that one write.

  on               add the block, or bring it up to date with the lists
  off              remove it
  status           say whether it is on, and whether someone else removed or changed it
  --browsers       the browsers' own block lists instead (Linux: Chrome, Chromium, Edge and Brave
                   URLBlocklist, Firefox policies.json WebsiteFilter), for the browsers installed;
                   they apply even with DNS over HTTPS on. Needs root (sudo)
  --list FILE      more names to block (one a line); the data folder's blocked-domains.txt is
                   always added, and its mining-domains.txt replaces the shipped list
  --root DIR       the hosts file under DIR (tests; no administrator prompt)
  --data-dir DIR   where the record of the block and the copy of the old file are kept
  --json           the status or result as JSON on stdout
`;

export const HOSTS_APPLY_USAGE = `Usage: idlewatch hosts-apply PREPARED SHA256 [--root DIR]

The one step block-domains runs with administrator rights: puts PREPARED in place of the hosts
file after checking that its SHA-256 is SHA256, that its Idlewatch block is exactly what Idlewatch
writes, and that everything outside the block equals the current file. Not meant to be run by hand.
`;

export interface BlockDomainsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Overrides the options (tests: an elevator with a fake pkexec). */
  options?: Partial<HostsBlockOptions>;
}

async function folderFlag(value: unknown, flag: string): Promise<string | undefined> {
  if (typeof value !== 'string') return undefined;
  const dir = resolve(value);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new UsageError(`${flag} ${safeText(value, 300)} is not a folder`, { pointToHelp: false });
  }
  return dir;
}

/** `idlewatch block-domains`: 0 done (or nothing to do), 1 refused or failed, 2 bad input. */
export async function runBlockDomains(argv: string[], io: BlockDomainsIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: 'string',
    list: 'string',
    'data-dir': 'string',
    json: 'boolean',
    browsers: 'boolean',
  });
  const [action, ...extra] = positionals;
  if (action !== 'on' && action !== 'off' && action !== 'status') {
    throw new UsageError(
      action === undefined ? 'say on, off or status' : `"${safeText(action, 40)}" is not on, off or status`,
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${safeText(extra[0] ?? '', 80)}"`);
  const root = await folderFlag(flags.root, '--root');
  const dataDir = (await folderFlag(flags['data-dir'], '--data-dir')) ?? defaultDataDir();
  const listFile = typeof flags.list === 'string' ? resolve(flags.list) : null;
  if (listFile && !(await stat(listFile).catch(() => null))?.isFile()) {
    throw new UsageError(`--list ${safeText(flags.list as string, 300)} is not a readable file`, {
      pointToHelp: false,
    });
  }
  const opts: HostsBlockOptions = { dataDir, ...(root ? { root } : {}), listFile, ...io.options };
  const json = flags.json === true;
  if (flags.browsers === true) return runBrowserPolicies(action, opts, json, io);
  if (action === 'status') {
    const s = await hostsBlockStatus(opts);
    if (json) io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    else {
      io.stdout.write(`${safeText(s.message, 400)}\n`);
      if (s.listed !== null) io.stdout.write(`the lists name ${s.listed} domains\n`);
      io.stdout.write(`to change it, Idlewatch ${safeText(s.writer.how, 300)}\n`);
      if (s.backup) io.stdout.write(`copy of the hosts file from before the block: ${safeText(s.backup, 300)}\n`);
      for (const p of s.problems) io.stderr.write(`idlewatch block-domains: ${safeText(p, 400)}\n`);
    }
    return s.state === 'broken' ? 1 : 0;
  }
  const r = action === 'on' ? await blockDomainsOn(opts) : await blockDomainsOff(opts);
  if (json) io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else if (r.ok) io.stdout.write(`${safeText(r.message, 600)}\n`);
  else io.stderr.write(`idlewatch block-domains: ${safeText(r.message, 600)}\n`);
  if (r.ok) return 0;
  return r.code === 'invalid' ? 2 : 1;
}

async function runBrowserPolicies(
  action: 'on' | 'off' | 'status',
  opts: HostsBlockOptions,
  json: boolean,
  io: BlockDomainsIo,
): Promise<number> {
  const platform = process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
  const popts = { dataDir: opts.dataDir, platform: opts.platform ?? platform, root: opts.root };
  if (action === 'status') {
    const list = await browserPolicyStatus(popts);
    if (json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else
      for (const b of list) {
        const where = b.installed ? safeText(b.file, 300) : 'not installed';
        io.stdout.write(`${b.label.padEnd(15)} ${b.state.padEnd(8)} ${where}\n`);
      }
    return 0;
  }
  let domains: string[] = [];
  if (action === 'on') {
    try {
      domains = (await loadBlockList(opts)).domains;
    } catch (e) {
      if (!(e instanceof BlockListError)) throw e;
      io.stderr.write(`idlewatch block-domains: ${safeText(e.message, 600)}\n`);
      return 2;
    }
  }
  const r = action === 'on' ? await browserPoliciesOn(popts, domains) : await browserPoliciesOff(popts);
  if (json) io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else if (r.ok) io.stdout.write(`${safeText(r.message, 600)}\n`);
  else io.stderr.write(`idlewatch block-domains: ${safeText(r.message, 600)}\n`);
  return r.ok ? 0 : 1;
}

/** `idlewatch hosts-apply`, the privileged step: 0 written or already so, 1 refused. */
export async function runHostsApply(
  argv: string[],
  io: BlockDomainsIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { root: 'string' });
  const [prepared, sha, ...extra] = positionals;
  if (prepared === undefined || sha === undefined) throw new UsageError('needs PREPARED and SHA256');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${safeText(extra[0] ?? '', 80)}"`);
  // A test root is for tests: under a real administrator prompt only the system's hosts file is written.
  if (typeof flags.root === 'string' && env.PKEXEC_UID !== undefined) {
    throw new UsageError('--root is refused when run through pkexec', { pointToHelp: false });
  }
  const root = await folderFlag(flags.root, '--root');
  const platform = process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
  const hostsPath = hostsFilePath(platform, root ?? '/');
  try {
    const changed = await applyPreparedHosts({
      hostsPath,
      preparedPath: resolve(prepared),
      expectedSha256: sha,
      fallbackEol: platform === 'win32' ? '\r\n' : '\n',
    });
    io.stdout.write(`${changed ? 'written' : 'unchanged'}: ${hostsPath}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof HostsApplyError)) throw e;
    io.stderr.write(`idlewatch hosts-apply: ${safeText(e.message, 600)}\n`);
    return 1;
  }
}
