/**
 * The mining-pool and browser-mining domain list (data/mining-domains.txt), loaded from a file the
 * user can update, and the host-name matching against it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POOL_DOMAINS } from './signatures.js';

export const DOMAIN_LIST_FILE = 'mining-domains.txt';

const HOST = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
/** An address in a hosts file: the domain is the second field. */
const HOSTS_ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]*)$/i;

export interface ParsedDomainList {
  domains: string[];
  /** "line 12: not a domain name (…)". */
  errors: string[];
}

/** Plain domain lines and hosts-file lines; `#` comments; duplicates dropped. */
export function parseDomainList(text: string): ParsedDomainList {
  const domains = new Set<string>();
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const hash = raw.indexOf('#');
    const fields = (hash >= 0 ? raw.slice(0, hash) : raw).trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const names = fields.length > 1 && HOSTS_ADDRESS.test(fields[0] ?? '') ? fields.slice(1) : fields;
    for (const n of names) {
      const name = n.toLowerCase().replace(/\.$/, '');
      // Hosts files name the local machine too; those are not mining domains.
      if (name === 'localhost' || name === 'localhost.localdomain' || name === 'broadcasthost') continue;
      if (HOST.test(name)) domains.add(name);
      else if (errors.length < 20) errors.push(`line ${i + 1}: not a domain name (${JSON.stringify(n.slice(0, 80))})`);
    }
  }
  return { domains: [...domains], errors };
}

/** A set of domains matched by suffix on label boundaries: `a.pool.example` matches `pool.example`. */
export class DomainList {
  private readonly set: ReadonlySet<string>;

  constructor(
    domains: Iterable<string>,
    /** Where the list came from, for the report: a file path or "built-in". */
    readonly source: string,
  ) {
    this.set = new Set([...domains].map((d) => d.toLowerCase()));
  }

  get size(): number {
    return this.set.size;
  }

  /** The listed domain that `host` is or is under, else null. */
  match(host: string): string | null {
    let h = host.toLowerCase().replace(/\.$/, '');
    for (;;) {
      if (this.set.has(h)) return h;
      const dot = h.indexOf('.');
      if (dot < 0) return null;
      h = h.slice(dot + 1);
    }
  }
}

/** Host-like words in free text (command lines, config files): `pool.example.com` in `stratum+tcp://pool.example.com:3333`. */
const HOST_WORD = /[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?)+/gi;

/** Every listed domain named in `text`, once each, with the host as written. */
export function findListedHosts(text: string, list: DomainList): { host: string; domain: string }[] {
  const out: { host: string; domain: string }[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(HOST_WORD)) {
    const host = m[0].toLowerCase();
    if (seen.has(host)) continue;
    seen.add(host);
    const domain = list.match(host);
    if (domain) out.push({ host, domain });
  }
  return out;
}

/**
 * The shipped data/mining-domains.txt: looked for upward from this module, since it runs both from
 * the sources (main/engine/net/) and from a bundle (out/cli/).
 */
export function shippedDomainListPath(start: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', DOMAIN_LIST_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

export interface LoadDomainsOptions {
  /** An explicit list (`--domains FILE`): it must be readable. */
  file?: string | null;
  /** The data folder: a `mining-domains.txt` there overrides the shipped list. */
  dataDir?: string | null;
  /** The shipped list; default data/mining-domains.txt found beside the program. */
  shippedFile?: string | null;
}

export interface LoadedDomains {
  list: DomainList;
  /** Why a list was passed over or lines were skipped. */
  problems: string[];
}

async function readList(path: string): Promise<ParsedDomainList> {
  return parseDomainList(await readFile(path, 'utf8'));
}

/**
 * Loads the list: an explicit file, else the user's copy in the data folder, else the shipped
 * file, else the detector's built-in pool list. An explicit file that cannot be read throws; the
 * others fall through with a problem noted.
 */
export async function loadMiningDomains(opts: LoadDomainsOptions = {}): Promise<LoadedDomains> {
  const problems: string[] = [];
  const note = (path: string, parsed: ParsedDomainList): void => {
    for (const e of parsed.errors) problems.push(`${path}: ${e}`);
  };
  if (opts.file) {
    const parsed = await readList(opts.file);
    note(opts.file, parsed);
    return { list: new DomainList(parsed.domains, opts.file), problems };
  }
  if (opts.dataDir) {
    const user = join(opts.dataDir, DOMAIN_LIST_FILE);
    try {
      const parsed = await readList(user);
      note(user, parsed);
      return { list: new DomainList(parsed.domains, user), problems };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        problems.push(`cannot read the user's domain list ${user} (${(e as Error).message}); using the shipped one`);
      }
    }
  }
  const shipped = opts.shippedFile === undefined ? shippedDomainListPath() : opts.shippedFile;
  if (shipped) {
    try {
      const parsed = await readList(shipped);
      note(shipped, parsed);
      return { list: new DomainList(parsed.domains, shipped), problems };
    } catch (e) {
      problems.push(`cannot read the shipped domain list ${shipped} (${(e as Error).message})`);
    }
  } else {
    problems.push(`the shipped ${DOMAIN_LIST_FILE} was not found beside the program`);
  }
  return { list: new DomainList(POOL_DOMAINS, 'built-in pool list'), problems };
}
