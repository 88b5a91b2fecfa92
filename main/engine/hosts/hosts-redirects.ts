/**
 * Hosts lines that send a security or update site somewhere it does not live: to nowhere
 * (0.0.0.0, a loopback address: updates and signature downloads fail) or elsewhere (another
 * address: a look-alike server answers). Pure: the scan step reads the file and reports these.
 */
import type { HostsDoc } from './hosts-block.js';
import { protectedSite } from './protected-sites.js';

export interface HostsRedirect {
  /** 1-based line in the file. */
  line: number;
  /** The line as it is (UTF-8, without its line end). */
  text: string;
  address: string;
  /** The names on the line that are protected sites, with what each is. */
  names: { name: string; domain: string; what: string }[];
  /** Other names on the same line: removing the line removes them too. */
  others: string[];
  where: 'nowhere' | 'private' | 'elsewhere';
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** What an address in a hosts line means for a name sent to it. */
export function addressKind(address: string): HostsRedirect['where'] | null {
  const a = address.toLowerCase().replace(/%.*$/, '');
  const v4 = IPV4.exec(a);
  if (v4) {
    const [b0, b1] = [Number(v4[1]), Number(v4[2])];
    if (b0 === 0 || b0 === 127) return 'nowhere';
    if (b0 === 10 || (b0 === 172 && b1 >= 16 && b1 <= 31) || (b0 === 192 && b1 === 168) || (b0 === 169 && b1 === 254))
      return 'private';
    return 'elsewhere';
  }
  if (!a.includes(':') || !/^[0-9a-f:.]+$/.test(a)) return null;
  if (
    a === '::' ||
    a === '::1' ||
    /^(0{0,4}:){1,7}0{0,3}1?$/.test(a) ||
    a.startsWith('::ffff:127.') ||
    a.startsWith('::ffff:0.')
  )
    return 'nowhere';
  if (/^f[cd]/.test(a) || /^fe[89ab]/.test(a)) return 'private';
  return 'elsewhere';
}

/**
 * Every line that maps a protected site, inside Idlewatch's block too: the block only ever names
 * mining domains, so a protected site there was put there by someone else.
 */
export function findRedirects(doc: HostsDoc): HostsRedirect[] {
  const out: HostsRedirect[] = [];
  const lines = doc.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    const hash = raw.indexOf('#');
    const fields = (hash >= 0 ? raw.slice(0, hash) : raw).trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2) continue;
    const [address, ...names] = fields as [string, ...string[]];
    const where = addressKind(address);
    if (!where) continue;
    const hits: HostsRedirect['names'] = [];
    const others: string[] = [];
    for (const n of names) {
      const site = protectedSite(n);
      if (site) hits.push({ name: n.toLowerCase(), ...site });
      else others.push(n);
    }
    if (hits.length === 0) continue;
    out.push({
      line: lineNo,
      text: Buffer.from(raw, 'latin1').toString('utf8'),
      address,
      names: hits,
      others,
      where,
    });
    if (out.length >= 200) break;
  }
  return out;
}
