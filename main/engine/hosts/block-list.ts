/**
 * The names the hosts block sends nowhere: the mining-domain list (the user's copy in the data
 * folder, else the shipped data/mining-domains.txt, as the scan uses), the user's own additions
 * (`blocked-domains.txt` in the data folder) and a `--list FILE`. Every name is checked strictly
 * (domain-name.ts); one bad line refuses the whole list, naming the file and line, because a list
 * that was half read would block something other than what its author meant.
 */
import { join } from 'node:path';
import { DOMAIN_LIST_FILE, shippedDomainListPath } from '../detect/mining-domains.js';
import { isReadRefusal, safeReadFile } from '../scan/safe-read.js';
import { MAX_LIST_BYTES, MAX_LIST_DOMAINS, parseStrictList } from './domain-name.js';

/** The user's own additions, in the data folder. */
export const USER_BLOCK_FILE = 'blocked-domains.txt';

export class BlockListError extends Error {
  override name = 'BlockListError';
}

export interface BlockListOptions {
  dataDir: string;
  /** An extra list (`--list FILE`): must exist. */
  listFile?: string | null;
  /** The shipped list; default data/mining-domains.txt beside the program. */
  shippedFile?: string | null;
}

export interface BlockList {
  domains: string[];
  /** The files the names came from, in order. */
  sources: string[];
}

async function readList(path: string, required: boolean): Promise<string[] | null> {
  let text: string;
  try {
    text = (await safeReadFile(path, { maxBytes: MAX_LIST_BYTES })).data.toString('utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const why = isReadRefusal(e) ? e.what : `cannot be read (${(e as Error).message})`;
    throw new BlockListError(isReadRefusal(e) ? `${path} ${why}` : `the domain list ${path} ${why}`);
  }
  const parsed = parseStrictList(text, path);
  if (parsed.errors.length > 0) {
    const more = parsed.errors.length > 3 ? ` (and ${parsed.errors.length - 3} more)` : '';
    throw new BlockListError(`${parsed.errors.slice(0, 3).join('; ')}${more}; nothing was changed`);
  }
  return parsed.domains;
}

export async function loadBlockList(opts: BlockListOptions): Promise<BlockList> {
  const sources: string[] = [];
  const all = new Set<string>();
  const add = (path: string, names: string[] | null): void => {
    if (names === null) return;
    sources.push(path);
    for (const n of names) all.add(n);
  };
  const userCopy = join(opts.dataDir, DOMAIN_LIST_FILE);
  const base = await readList(userCopy, false);
  if (base !== null) add(userCopy, base);
  else {
    const shipped = opts.shippedFile === undefined ? shippedDomainListPath() : opts.shippedFile;
    if (!shipped) throw new BlockListError(`the shipped ${DOMAIN_LIST_FILE} was not found beside the program`);
    add(shipped, await readList(shipped, true));
  }
  const additions = join(opts.dataDir, USER_BLOCK_FILE);
  add(additions, await readList(additions, false));
  if (opts.listFile) add(opts.listFile, await readList(opts.listFile, true));
  if (all.size === 0)
    throw new BlockListError(`the lists (${sources.join(', ')}) name no domains; nothing was changed`);
  if (all.size > MAX_LIST_DOMAINS) {
    throw new BlockListError(`the lists name ${all.size} domains, more than ${MAX_LIST_DOMAINS}; nothing was changed`);
  }
  return { domains: [...all].sort(), sources };
}
