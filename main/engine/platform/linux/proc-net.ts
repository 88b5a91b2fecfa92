/**
 * Network connections per process on Linux, from /proc alone: the socket tables in
 * /proc/PID/net/{tcp,tcp6,udp,udp6} joined to processes through their fd links
 * (`/proc/PID/fd/N -> socket:[INODE]`). Used by the deep scan and by the live monitor's
 * trace `conns` field. Never runs `ss` or `netstat`.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import type { TraceConn } from '../../../../shared/trace.js';

export type NetProto = 'tcp' | 'tcp6' | 'udp' | 'udp6';

export const NET_TABLES: readonly NetProto[] = ['tcp', 'tcp6', 'udp', 'udp6'];

/** One row of a /proc/net table. */
export interface NetSocket {
  proto: NetProto;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** ESTABLISHED, SYN_SENT, LISTEN, … for TCP; ESTABLISHED (connected) or UNCONN for UDP. */
  state: string;
  uid: number;
  /** The socket's inode: the number in the owners' `socket:[N]` fd links. 0 for sockets no fd holds (TIME_WAIT). */
  inode: number;
}

export interface ProcConnection extends NetSocket {
  pid: number;
}

/** include/net/tcp_states.h, as `ss` names them. */
const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW_SYN_RECV',
};

export function stateName(proto: NetProto, code: number): string {
  // A UDP socket is "established" once connect()ed to one peer; otherwise the kernel shows it as
  // TCP_CLOSE, which `ss` prints as UNCONN.
  if (proto === 'udp' || proto === 'udp6') return code === 1 ? 'ESTABLISHED' : code === 7 ? 'UNCONN' : `STATE_${code}`;
  return TCP_STATES[code] ?? `STATE_${code}`;
}

const HEX8 = /^[0-9A-Fa-f]{8}$/;
const HEX32 = /^[0-9A-Fa-f]{32}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/**
 * The kernel prints each 32-bit word of an address with %08X in host byte order, so on a
 * little-endian machine the bytes of every word come out reversed.
 */
function wordBytes(hex8: string, littleEndian: boolean): number[] {
  const b = [0, 2, 4, 6].map((i) => Number.parseInt(hex8.slice(i, i + 2), 16));
  return littleEndian ? b.reverse() : b;
}

export function decodeIpv4(hex: string, littleEndian = endianness() === 'LE'): string | null {
  if (!HEX8.test(hex)) return null;
  return wordBytes(hex, littleEndian).join('.');
}

export function decodeIpv6(hex: string, littleEndian = endianness() === 'LE'): string | null {
  if (!HEX32.test(hex)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
  return formatIpv6(bytes);
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`, IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12, 16).join('.')}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** `127.0.0.1:3333`, `[::1]:443`. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function decodeEndpoint(
  text: string | undefined,
  v6: boolean,
  littleEndian: boolean,
): { address: string; port: number } | null {
  if (!text) return null;
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  const addrHex = text.slice(0, colon);
  const portHex = text.slice(colon + 1);
  if (!HEX4.test(portHex)) return null;
  const address = v6 ? decodeIpv6(addrHex, littleEndian) : decodeIpv4(addrHex, littleEndian);
  if (address === null) return null;
  return { address, port: Number.parseInt(portHex, 16) };
}

const DECIMAL = /^\d+$/;

/**
 * Parses one /proc/net/{tcp,tcp6,udp,udp6} table. The header line and any malformed line are
 * skipped (a table read while sockets come and go is still well-formed per line; a cut last line
 * is not).
 */
export function parseProcNetTable(
  text: string,
  proto: NetProto,
  littleEndian: boolean = endianness() === 'LE',
): NetSocket[] {
  const v6 = proto.endsWith('6');
  const out: NetSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
    if (f.length < 10 || !/^\d+:$/.test(f[0] ?? '')) continue;
    const local = decodeEndpoint(f[1], v6, littleEndian);
    const remote = decodeEndpoint(f[2], v6, littleEndian);
    const st = f[3] ?? '';
    const uid = f[7] ?? '';
    const inode = f[9] ?? '';
    if (!local || !remote || !/^[0-9A-Fa-f]{2}$/.test(st) || !DECIMAL.test(uid) || !DECIMAL.test(inode)) continue;
    out.push({
      proto,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: stateName(proto, Number.parseInt(st, 16)),
      uid: Number(uid),
      inode: Number(inode),
    });
  }
  return out;
}

/** The inode of a socket fd link (`socket:[12345]`), else null. */
export function socketInode(link: string): number | null {
  if (!link.startsWith('socket:[') || !link.endsWith(']')) return null;
  const n = link.slice(8, -1);
  return DECIMAL.test(n) ? Number(n) : null;
}

/** The calls this module makes; replaceable so tests can run against a fake /proc. */
export interface ProcNetFs {
  readFile(path: string): string;
  readdir(path: string): string[];
  readlink(path: string): string;
}

export const nodeProcNetFs: ProcNetFs = {
  readFile: (p) => readFileSync(p, 'latin1'),
  readdir: (p) => readdirSync(p),
  readlink: (p) => readlinkSync(p),
};

/** Every fd link of a process (`socket:[N]`, `/dev/dri/card0`, …), or null when its fd table cannot be read. */
export function readFdLinks(procRoot: string, pid: number, fs: ProcNetFs = nodeProcNetFs): string[] | null {
  const dir = `${procRoot}/${pid}/fd`;
  let fds: string[];
  try {
    fds = fs.readdir(dir);
  } catch {
    return null;
  }
  const links: string[] = [];
  for (const fd of fds) {
    try {
      links.push(fs.readlink(`${dir}/${fd}`));
    } catch {
      // closed between the listing and the readlink
    }
  }
  return links;
}

/** Socket inodes a process holds, or null when its fd table cannot be read (another user's, without privilege). */
export function readSocketInodes(procRoot: string, pid: number, fs: ProcNetFs = nodeProcNetFs): number[] | null {
  const links = readFdLinks(procRoot, pid, fs);
  if (links === null) return null;
  const out: number[] = [];
  for (const l of links) {
    const inode = socketInode(l);
    if (inode !== null) out.push(inode);
  }
  return out;
}

/** Reads the four tables of one network namespace's net folder into inode → socket. Missing tables (no IPv6) are skipped. */
export function readNetTables(
  netDir: string,
  fs: ProcNetFs = nodeProcNetFs,
  errors?: string[],
): Map<number, NetSocket> {
  const byInode = new Map<number, NetSocket>();
  for (const proto of NET_TABLES) {
    let text: string;
    try {
      text = fs.readFile(`${netDir}/${proto}`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') errors?.push(`cannot read ${netDir}/${proto}: ${(e as Error).message}`);
      continue;
    }
    for (const s of parseProcNetTable(text, proto)) if (s.inode !== 0) byInode.set(s.inode, s);
  }
  return byInode;
}

/**
 * Inodes of the Unix and netlink sockets in one namespace's net folder (/proc/net/unix: inode is
 * the 7th field; /proc/net/netlink: the 10th). Reading these is cheap (no walk of the TCP hash),
 * so a caller can tell a process's new Unix socket from a new connection without the TCP tables.
 */
export function readLocalSocketInodes(netDir: string, fs: ProcNetFs = nodeProcNetFs): Set<number> {
  const out = new Set<number>();
  for (const [table, field] of [
    ['unix', 6],
    ['netlink', 9],
  ] as const) {
    let text: string;
    try {
      text = fs.readFile(`${netDir}/${table}`);
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      const inode = f[field];
      if (inode !== undefined && DECIMAL.test(inode)) out.add(Number(inode));
    }
  }
  return out;
}

export interface ConnectionsOptions {
  procRoot?: string;
  /** Which processes; default every pid listed in procRoot. */
  pids?: Iterable<number>;
  fs?: ProcNetFs;
  /** Socket inodes per pid already read by a caller that walks fd tables anyway (skips the walk). */
  socketInodes?: ReadonlyMap<number, readonly number[]>;
  /** Include listening TCP and unconnected UDP sockets. Default true. */
  listening?: boolean;
}

export interface ConnectionsResult {
  byPid: Map<number, ProcConnection[]>;
  /** Pids whose fd table could not be read. */
  unreadable: number[];
  /** Tables that exist but could not be read. */
  errors: string[];
}

function listPids(procRoot: string, fs: ProcNetFs): number[] {
  const out: number[] = [];
  for (const name of fs.readdir(procRoot)) if (DECIMAL.test(name)) out.push(Number(name));
  return out;
}

/**
 * Connections of each process. Processes in other network namespaces (containers) see other
 * tables, so the tables are read once per namespace, through a member process's /proc/PID/net.
 * A socket shared by several processes (inherited across fork) is listed under each.
 */
export function connectionsByPid(opts: ConnectionsOptions = {}): ConnectionsResult {
  const procRoot = opts.procRoot ?? '/proc';
  const fs = opts.fs ?? nodeProcNetFs;
  const listening = opts.listening ?? true;
  const pids = opts.pids ? [...opts.pids] : listPids(procRoot, fs);
  const errors: string[] = [];
  const unreadable: number[] = [];
  const tablesByNs = new Map<string, Map<number, NetSocket>>();
  const byPid = new Map<number, ProcConnection[]>();
  for (const pid of pids) {
    const inodes = opts.socketInodes?.get(pid) ?? (opts.socketInodes ? [] : readSocketInodes(procRoot, pid, fs));
    if (inodes === null) {
      unreadable.push(pid);
      continue;
    }
    if (inodes.length === 0) continue;
    let ns: string | null = null;
    try {
      ns = fs.readlink(`${procRoot}/${pid}/ns/net`);
    } catch {
      // No namespace link (an old kernel, a fake /proc): the reader's own tables.
    }
    const key = ns ?? 'self';
    let tables = tablesByNs.get(key);
    if (!tables) {
      tables = readNetTables(ns ? `${procRoot}/${pid}/net` : `${procRoot}/net`, fs, errors);
      tablesByNs.set(key, tables);
    }
    const conns: ProcConnection[] = [];
    for (const inode of inodes) {
      const s = tables.get(inode);
      if (!s) continue; // a Unix or netlink socket, or one closed since
      if (!listening && (s.state === 'LISTEN' || s.state === 'UNCONN')) continue;
      conns.push({ ...s, pid });
    }
    if (conns.length > 0) byPid.set(pid, conns);
  }
  return { byPid, unreadable, errors };
}

/** A connection as the trace's `conns` field records it. */
export function toTraceConn(c: NetSocket): TraceConn {
  return { proto: c.proto, remote: formatEndpoint(c.remoteAddress, c.remotePort), state: c.state };
}
