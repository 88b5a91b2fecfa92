/**
 * The Xauthority file (what `xauth` writes and libXau reads): a list of records, each five
 * big-endian u16-length-prefixed fields: family, address, display number, auth name, auth data.
 * Only MIT-MAGIC-COOKIE-1 is used; XDM-AUTHORIZATION-1 and the like need DES and are rare.
 */
import { readFile } from 'node:fs/promises';
import { hostname, homedir } from 'node:os';
import { join } from 'node:path';

/** Address families as libXau numbers them. */
export const XauFamily = { Internet: 0, Internet6: 6, Local: 256, Wild: 65535 } as const;

export const MIT_MAGIC_COOKIE = 'MIT-MAGIC-COOKIE-1';

export interface XauthRecord {
  family: number;
  /** Raw address: a host name for Local, 4 or 16 address bytes for Internet(6). */
  address: Buffer;
  /** Display number as text; empty matches every display. */
  number: string;
  name: string;
  data: Buffer;
}

/** Parses every complete record; a truncated tail (a file being rewritten) is ignored. */
export function parseXauthority(buf: Buffer): XauthRecord[] {
  const out: XauthRecord[] = [];
  let pos = 0;
  const field = (): Buffer | null => {
    if (pos + 2 > buf.length) return null;
    const len = buf.readUInt16BE(pos);
    if (pos + 2 + len > buf.length) return null;
    const b = buf.subarray(pos + 2, pos + 2 + len);
    pos += 2 + len;
    return b;
  };
  while (pos + 2 <= buf.length) {
    const family = buf.readUInt16BE(pos);
    pos += 2;
    const address = field();
    const number = field();
    const name = field();
    const data = field();
    if (!address || !number || !name || !data) break;
    out.push({ family, address, number: number.toString('latin1'), name: name.toString('latin1'), data });
  }
  return out;
}

/** Which record names the display, in libXau's terms: a family and its address. */
export interface XauthTarget {
  family: number;
  address: Buffer;
  displayNumber: number;
}

/** The first MIT-MAGIC-COOKIE-1 record for the target, as XauGetBestAuthByAddr picks it, or null. */
export function findCookie(records: readonly XauthRecord[], target: XauthTarget): Buffer | null {
  const number = String(target.displayNumber);
  for (const r of records) {
    if (r.name !== MIT_MAGIC_COOKIE) continue;
    if (r.number !== '' && r.number !== number) continue;
    if (r.family === XauFamily.Wild || (r.family === target.family && r.address.equals(target.address))) {
      return r.data;
    }
  }
  return null;
}

/** $XAUTHORITY, else ~/.Xauthority. */
export function xauthorityPath(env: NodeJS.ProcessEnv): string {
  if (env.XAUTHORITY) return env.XAUTHORITY;
  return join(env.HOME || homedir(), '.Xauthority');
}

/** The local target: a unix socket (or a loopback TCP one) is named by this machine's host name. */
export function localTarget(displayNumber: number): XauthTarget {
  return { family: XauFamily.Local, address: Buffer.from(hostname(), 'latin1'), displayNumber };
}

/**
 * Reads the cookie for a target; null when there is no file or no matching record (an X server
 * started without -auth accepts a connection without one).
 */
export async function readCookie(env: NodeJS.ProcessEnv, target: XauthTarget): Promise<Buffer | null> {
  let buf: Buffer;
  try {
    buf = await readFile(xauthorityPath(env));
  } catch {
    return null;
  }
  return findCookie(parseXauthority(buf), target);
}
