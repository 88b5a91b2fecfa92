/**
 * Window properties over an X11Connection: InternAtom and GetProperty, the two requests the EWMH
 * hints (_NET_ACTIVE_WINDOW, _NET_WM_STATE) are read with. Every read names how much it takes, so a
 * client that stores a huge property on its window cannot make us read it.
 */
import { pad4, type X11Connection } from './x11-connection.js';

/** Predefined atoms (X11 protocol, appendix B). */
export const XA = { ATOM: 4, CARDINAL: 6, STRING: 31, WINDOW: 33, WM_CLASS: 67 } as const;

/** The atom for `name`, or 0 when `onlyIfExists` and no client ever interned it. */
export async function internAtom(
  conn: X11Connection,
  name: string,
  onlyIfExists: boolean,
  timeoutMs: number,
): Promise<number> {
  const n = Buffer.from(name, 'latin1');
  const req = Buffer.alloc(8 + pad4(n.length));
  req.writeUInt8(16, 0); // InternAtom
  req.writeUInt8(onlyIfExists ? 1 : 0, 1);
  req.writeUInt16LE(req.length / 4, 2);
  req.writeUInt16LE(n.length, 4);
  n.copy(req, 8);
  const reply = await conn.request(req, `InternAtom ${name}`, timeoutMs);
  return reply.readUInt32LE(8);
}

export interface XProperty {
  type: number;
  /** 8, 16 or 32 bits per item. */
  format: number;
  data: Buffer;
}

/**
 * A window's property, at most `maxLongs` 32-bit units of it; null when the window has no such
 * property. Rejects with "X error BadWindow" when the window is gone.
 */
export async function getProperty(
  conn: X11Connection,
  window: number,
  property: number,
  type: number,
  maxLongs: number,
  timeoutMs: number,
): Promise<XProperty | null> {
  const req = Buffer.alloc(24);
  req.writeUInt8(20, 0); // GetProperty
  req.writeUInt8(0, 1); // delete: no
  req.writeUInt16LE(6, 2);
  req.writeUInt32LE(window, 4);
  req.writeUInt32LE(property, 8);
  req.writeUInt32LE(type, 12);
  req.writeUInt32LE(0, 16);
  req.writeUInt32LE(maxLongs, 20);
  const reply = await conn.request(req, 'GetProperty', timeoutMs);
  const format = reply.readUInt8(1);
  const actualType = reply.readUInt32LE(8);
  if (actualType === 0) return null;
  const items = reply.readUInt32LE(16);
  const bytes = Math.min(items * (format / 8), reply.length - 32);
  return { type: actualType, format, data: reply.subarray(32, 32 + Math.max(0, bytes)) };
}

/** The 32-bit items of a format-32 property. */
export function longs(p: XProperty | null): number[] {
  if (p?.format !== 32) return [];
  const out: number[] = [];
  for (let i = 0; i + 4 <= p.data.length; i += 4) out.push(p.data.readUInt32LE(i));
  return out;
}
