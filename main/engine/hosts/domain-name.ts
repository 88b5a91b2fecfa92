/**
 * Strict domain names for the hosts block. The shipped list, the user's own additions and a
 * `--list FILE` are all input that ends up in a system file read by every program's resolver, so
 * a name is accepted only in the one spelling a hosts file means by it: lower-case ASCII letters,
 * digits and hyphens, internationalised names in their punycode (`xn--`) form, labels of 1 to 63
 * characters, 253 at most in all, at least two labels, and a top-level label that is not a number
 * (`1.2.3.4` is an address, not a name). Anything else (a space, a newline, a `#`, a Unicode name,
 * a wildcard) is refused with the file and line, never cleaned up into something else.
 */

export const MAX_DOMAIN_LENGTH = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Most names one list may hold: a hosts file of far more slows every lookup on some systems. */
export const MAX_LIST_DOMAINS = 20_000;
/** Biggest list file read. */
export const MAX_LIST_BYTES = 2 * 1024 * 1024;

/** Names a hosts file uses for the machine itself: blocking them would break it. */
const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'broadcasthost', 'ip6-localhost', 'ip6-loopback']);

/** Why `name` is not a strict domain name, or null when it is one. */
export function domainProblem(name: string): string | null {
  if (name.length === 0) return 'empty';
  if (name.length > MAX_DOMAIN_LENGTH) return `longer than ${MAX_DOMAIN_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  if (/\s/.test(name)) return 'contains a space';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (/[^\u0000-\u007f]/.test(name)) return 'not ASCII (write an internationalised name in its xn-- form)';
  if (name !== name.toLowerCase()) return 'has upper-case letters (write it in lower case)';
  if (name.endsWith('.')) return 'ends with a dot';
  if (LOCAL_NAMES.has(name)) return 'names this machine';
  const labels = name.split('.');
  if (labels.length < 2) return 'has no dot (a single-label name is not a domain)';
  for (const l of labels) {
    if (l.length === 0) return 'has an empty label (two dots in a row, or a leading dot)';
    if (l.length > 63) return 'has a label longer than 63 characters';
    if (!LABEL.test(l))
      return `has a label with characters other than a-z, 0-9 and inner hyphens ("${l.slice(0, 63)}")`;
    // RFC 5891: a hyphen in the 3rd and 4th places is reserved for the xn-- (punycode) prefix.
    if (l.length >= 4 && l[2] === '-' && l[3] === '-' && !l.startsWith('xn--')) return `has a reserved label "${l}"`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return 'ends in a number (an address, not a name)';
  return null;
}

export function isStrictDomain(name: string): boolean {
  return domainProblem(name) === null;
}

export interface StrictList {
  domains: string[];
  /** `FILE:LINE: "x y" is not a domain name (contains a space)`; empty when the list is usable. */
  errors: string[];
}

/** An address as the first field of a hosts-style line. */
const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)$/i;

/**
 * A domain list: one name a line, `#` comments, blank lines, and hosts-style lines
 * (`0.0.0.0 coinhive.com`) as the shipped list allows. Every name must be strict; each one that is
 * not is an error naming `source` and the line (at most 20 listed), and duplicates are dropped.
 */
export function parseStrictList(text: string, source: string): StrictList {
  const out = new Set<string>();
  const errors: string[] = [];
  const lines = text.split('\n');
  const err = (line: number, msg: string): void => {
    if (errors.length < 20) errors.push(`${source}:${line}: ${msg}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') continue;
    const fields = body.split(/[ \t]+/);
    const names = fields.length > 1 && ADDRESS.test(fields[0] ?? '') ? fields.slice(1) : fields;
    if (fields.length > 1 && names === fields) {
      err(i + 1, `${JSON.stringify(body.slice(0, 80))} is not a domain name (contains a space)`);
      continue;
    }
    for (const name of names) {
      const why = domainProblem(name);
      if (why) err(i + 1, `${JSON.stringify(name.slice(0, 80))} is not a domain name (${why})`);
      else out.add(name);
    }
    if (out.size > MAX_LIST_DOMAINS) {
      err(i + 1, `more than ${MAX_LIST_DOMAINS.toLocaleString('en-US')} names; split the list`);
      break;
    }
  }
  return { domains: [...out], errors };
}
