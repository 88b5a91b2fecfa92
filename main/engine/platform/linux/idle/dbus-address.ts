/**
 * D-Bus server addresses (`unix:path=/run/user/1000/bus`, `unix:abstract=/tmp/dbus-x,guid=…`,
 * several separated by `;`, tried in order) and where each bus is found.
 * Spec: https://dbus.freedesktop.org/doc/dbus-specification.html#addresses
 */
import { ABSTRACT_SOCKET_REASON, abstractSocketsWork } from './abstract-socket.js';
import type { DbusBus } from './dbus-types.js';

/** One address entry, as written. */
export interface DbusAddressEntry {
  transport: string;
  params: Record<string, string>;
  /** The entry's text without its guid, for messages. */
  text: string;
}

/** Where the native client can connect: a unix socket path, `\0`-prefixed for the abstract namespace. */
export type DbusEndpoint = { ok: true; socketPath: string; text: string } | { ok: false; text: string; why: string };

export const SYSTEM_BUS_DEFAULT = 'unix:path=/run/dbus/system_bus_socket';

/** Splits an address list into entries; throws with the offending text when one is malformed. */
export function parseDbusAddresses(list: string): DbusAddressEntry[] {
  const out: DbusAddressEntry[] = [];
  for (const raw of list.split(';')) {
    const text = raw.trim();
    if (text === '') continue;
    const colon = text.indexOf(':');
    if (colon <= 0) throw new Error(`"${text}" is not a D-Bus address (no transport before ":")`);
    const params: Record<string, string> = {};
    const rest = text.slice(colon + 1);
    for (const pair of rest === '' ? [] : rest.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`"${text}" has a malformed key=value pair "${pair}"`);
      params[pair.slice(0, eq)] = unescapeValue(pair.slice(eq + 1), text);
    }
    // The guid only identifies the server instance; it makes messages long and tells a user nothing.
    out.push({ transport: text.slice(0, colon), params, text: text.replace(/,?guid=[0-9a-fA-F]+/, '') });
  }
  return out;
}

/** Values are percent-encoded bytes (UTF-8 when decoded). */
function unescapeValue(v: string, text: string): string {
  if (!v.includes('%')) return v;
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x25) {
      const hex = v.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`"${text}" has a bad %-escape`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(v[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** What the native client can do with an entry: only unix sockets, which is what local buses use. */
export function endpointOf(entry: DbusAddressEntry, abstractOk = abstractSocketsWork()): DbusEndpoint {
  const { transport, params, text } = entry;
  if (transport !== 'unix') {
    return { ok: false, text, why: `the ${transport}: transport is not supported by the native client` };
  }
  if (params.path !== undefined) return { ok: true, socketPath: params.path, text };
  // Linux only; Node passes a leading NUL through to connect(2) as the abstract namespace.
  if (params.abstract !== undefined) {
    if (!abstractOk) return { ok: false, text, why: ABSTRACT_SOCKET_REASON };
    return { ok: true, socketPath: `\0${params.abstract}`, text };
  }
  return { ok: false, text, why: 'a unix: address without path= or abstract= is only for listening' };
}

/** The endpoints to try for a bus, in order. */
export interface BusAddress {
  endpoints: DbusEndpoint[];
  /** Set when the address was not configured but guessed, to say so in failures. */
  note?: string;
}

/**
 * Session bus: DBUS_SESSION_BUS_ADDRESS, else systemd's per-user bus at $XDG_RUNTIME_DIR/bus (what
 * gdbus and busctl fall back to as well). System bus: DBUS_SYSTEM_BUS_ADDRESS, else the standard socket.
 * Returns a string reason when no address can be found or parsed.
 */
export function busAddress(bus: DbusBus, env: NodeJS.ProcessEnv): BusAddress | string {
  const name = bus === 'session' ? 'DBUS_SESSION_BUS_ADDRESS' : 'DBUS_SYSTEM_BUS_ADDRESS';
  const set = env[name]?.trim();
  let list: string;
  let note: string | undefined;
  if (set) list = set;
  else if (bus === 'system') list = SYSTEM_BUS_DEFAULT;
  else if (env.XDG_RUNTIME_DIR) {
    list = `unix:path=${env.XDG_RUNTIME_DIR}/bus`;
    note = 'DBUS_SESSION_BUS_ADDRESS is not set and $XDG_RUNTIME_DIR/bus does not answer';
  } else return 'DBUS_SESSION_BUS_ADDRESS is not set';
  let entries: DbusAddressEntry[];
  try {
    entries = parseDbusAddresses(list);
  } catch (e) {
    return `${name}: ${(e as Error).message}`;
  }
  if (entries.length === 0) return `${name} holds no address`;
  const endpoints = entries.map((e) => endpointOf(e));
  return note === undefined ? { endpoints } : { endpoints, note };
}
