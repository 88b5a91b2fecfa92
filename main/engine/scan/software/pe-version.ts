/**
 * The version resource (VS_VERSIONINFO) of a Windows executable, read from its bytes: the PE
 * headers, the section table, the resource tree down to RT_VERSION, then the `ProductVersion`
 * string (or VS_FIXEDFILEINFO's product version when there is no string). Nothing is run. The file
 * is attacker-controlled, so every offset is checked against the buffer and every walk is bounded.
 *
 * Layouts: Microsoft Learn, "PE Format" (headers, section table, .rsrc section) and "VS_VERSIONINFO
 * structure" / "VS_FIXEDFILEINFO structure".
 */

const RT_VERSION = 16;
const FIXED_SIGNATURE = 0xfeef04bd;
const MAX_ENTRIES = 256;

class Reader {
  constructor(readonly b: Buffer) {}
  ok(off: number, len: number): boolean {
    return Number.isInteger(off) && off >= 0 && len >= 0 && off + len <= this.b.length;
  }
  u16(off: number): number | null {
    return this.ok(off, 2) ? this.b.readUInt16LE(off) : null;
  }
  u32(off: number): number | null {
    return this.ok(off, 4) ? this.b.readUInt32LE(off) : null;
  }
}

interface Section {
  va: number;
  size: number;
  raw: number;
  rawSize: number;
}

/** The file offset of a relative virtual address, through the section that holds it. */
function rvaToOffset(sections: readonly Section[], rva: number): number | null {
  for (const s of sections) {
    const span = Math.max(s.size, s.rawSize);
    if (rva >= s.va && rva < s.va + span) {
      const off = s.raw + (rva - s.va);
      return off < s.raw + s.rawSize ? off : null;
    }
  }
  return null;
}

/** The version resource's bytes, or null with the reason. */
export function versionResource(buf: Buffer): { data: Buffer } | { error: string } {
  const r = new Reader(buf);
  if (r.u16(0) !== 0x5a4d) return { error: 'not a Windows executable (no MZ header)' };
  const pe = r.u32(0x3c);
  if (pe === null || r.u32(pe) !== 0x00004550) return { error: 'not a PE file (no PE signature)' };
  const coff = pe + 4;
  const nSections = r.u16(coff + 2);
  const optSize = r.u16(coff + 16);
  if (nSections === null || optSize === null || nSections > 96) return { error: 'malformed PE header' };
  const opt = coff + 20;
  const magic = r.u16(opt);
  const dirBase = magic === 0x10b ? opt + 96 : magic === 0x20b ? opt + 112 : null;
  if (dirBase === null) return { error: 'unknown PE optional header' };
  const rsrcRva = r.u32(dirBase + 2 * 8);
  if (!rsrcRva) return { error: 'no resources' };
  const sections: Section[] = [];
  const table = opt + optSize;
  for (let i = 0; i < nSections; i++) {
    const s = table + i * 40;
    const size = r.u32(s + 8);
    const va = r.u32(s + 12);
    const rawSize = r.u32(s + 16);
    const raw = r.u32(s + 20);
    if (size === null || va === null || rawSize === null || raw === null) return { error: 'truncated section table' };
    sections.push({ va, size, raw, rawSize });
  }
  const base = rvaToOffset(sections, rsrcRva);
  if (base === null) return { error: 'resource directory outside the file' };

  /** The entries of a resource directory at `off` (relative to the resource section). */
  const entries = (rel: number): { id: number | null; target: number; dir: boolean }[] | null => {
    const at = base + rel;
    const named = r.u16(at + 12);
    const ids = r.u16(at + 14);
    if (named === null || ids === null) return null;
    const out: { id: number | null; target: number; dir: boolean }[] = [];
    for (let i = 0; i < Math.min(named + ids, MAX_ENTRIES); i++) {
      const e = at + 16 + i * 8;
      const name = r.u32(e);
      const data = r.u32(e + 4);
      if (name === null || data === null) return null;
      out.push({
        id: name & 0x80000000 ? null : name,
        target: data & 0x7fffffff,
        dir: (data & 0x80000000) !== 0,
      });
    }
    return out;
  };
  const types = entries(0);
  const version = types?.find((e) => e.id === RT_VERSION && e.dir);
  if (!version) return { error: 'no version resource' };
  // Type -> name (VS_VERSION_INFO is id 1) -> language: the first of each is the one Windows shows.
  const names = entries(version.target);
  const name = names?.find((e) => e.dir);
  const langs = name ? entries(name.target) : null;
  const leaf = langs?.find((e) => !e.dir);
  if (!leaf) return { error: 'malformed version resource' };
  const dataRva = r.u32(base + leaf.target);
  const dataSize = r.u32(base + leaf.target + 4);
  if (dataRva === null || dataSize === null) return { error: 'malformed version resource' };
  const dataOff = rvaToOffset(sections, dataRva);
  if (dataOff === null || dataSize > 1024 * 1024 || !r.ok(dataOff, dataSize)) {
    return { error: 'version resource outside the file' };
  }
  return { data: buf.subarray(dataOff, dataOff + dataSize) };
}

const utf16 = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf16le');

/** A `key` string's value in a StringFileInfo table: the UTF-16 text after its key, 32-bit aligned. */
function stringValue(res: Buffer, key: string): string | null {
  const at = res.indexOf(utf16(key));
  if (at < 6) return null;
  let v = at + utf16(key).length;
  v = (v + 3) & ~3;
  const end = Math.min(res.length, v + 256);
  let text = '';
  for (let i = v; i + 1 < end; i += 2) {
    const c = res.readUInt16LE(i);
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

export interface PeVersion {
  /** The `ProductVersion` string, as the vendor wrote it (`140.0.2`, `138.0.7204.50`). */
  productVersion: string | null;
  /** VS_FIXEDFILEINFO's product version, four numbers. */
  fixedVersion: string | null;
  productName: string | null;
}

/** The versions in an executable's version resource, or the reason there are none. */
export function readPeVersion(buf: Buffer): PeVersion | { error: string } {
  const res = versionResource(buf);
  if ('error' in res) return res;
  const data = res.data;
  let fixedVersion: string | null = null;
  const sig = Buffer.alloc(4);
  sig.writeUInt32LE(FIXED_SIGNATURE);
  const at = data.indexOf(sig);
  if (at >= 0 && at + 52 <= data.length) {
    const ms = data.readUInt32LE(at + 16);
    const ls = data.readUInt32LE(at + 20);
    fixedVersion = `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
  }
  const productVersion = stringValue(data, 'ProductVersion');
  const productName = stringValue(data, 'ProductName');
  if (!productVersion && !fixedVersion) return { error: 'the version resource holds no version' };
  return { productVersion, fixedVersion, productName };
}
