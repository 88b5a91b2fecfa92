/**
 * A minimal D-Bus client in plain Node: one long-lived connection per bus, opened on first use,
 * reopened (with backoff) after it drops. The idle monitor reads every second while the user is
 * away; over a held connection a read is a few hundred bytes on a socket, where a gdbus or busctl
 * run costs a fork, an exec and a program start-up each time.
 */
import { busAddress } from './dbus-address.js';
import { DbusConnection } from './dbus-connection.js';
import { DbusCallError, DbusConnectError, type DbusBus, type DbusObject, splitSignature } from './dbus-types.js';
import type { Variant } from './dbus-wire.js';
import type { GVariantValue } from './gvariant-text.js';
import { type BackoffOptions, ReconnectBackoff } from '../../../idle/reconnect-backoff.js';

export interface NativeDbusClientOptions {
  /** DBUS_SESSION_BUS_ADDRESS / DBUS_SYSTEM_BUS_ADDRESS / XDG_RUNTIME_DIR pick the buses. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-call limit (and connect limit); a desktop service slower than this is as good as absent. Default 2000. */
  timeoutMs?: number;
  /** Reconnect pacing after a failed connect. */
  backoff?: BackoffOptions;
  /** Reply size limit. Default 1 MiB. */
  maxMessageBytes?: number;
}

interface BusSlot {
  conn: DbusConnection | null;
  opening: Promise<DbusConnection> | null;
  backoff: ReconnectBackoff;
  /** The last connect failure, answered again while the backoff runs. */
  lastError: DbusConnectError | null;
}

export class NativeDbusClient {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Connections opened and calls made: lets tests see that reads reuse one connection. */
  readonly stats = { connects: 0, calls: 0 };
  private readonly slots: Record<DbusBus, BusSlot>;
  private readonly maxMessageBytes: number | undefined;
  /** Bumped by close(), so a connection still opening then is not kept. */
  private generation = 0;

  constructor(opts: NativeDbusClientOptions = {}) {
    this.env = opts.env ?? process.env;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxMessageBytes = opts.maxMessageBytes;
    const slot = (): BusSlot => ({
      conn: null,
      opening: null,
      backoff: new ReconnectBackoff(opts.backoff),
      lastError: null,
    });
    this.slots = { session: slot(), system: slot() };
  }

  /** Whether a connection to `bus` is open now. */
  connected(bus: DbusBus): boolean {
    return this.slots[bus].conn?.isOpen === true;
  }

  /**
   * Calls a method; resolves with its out-arguments in the shapes gdbus's output parses to
   * (numbers, strings, booleans, arrays, dictionaries as objects, variants unwrapped).
   * Rejects with DbusConnectError when the bus cannot be reached, DbusCallError otherwise.
   */
  async call(obj: DbusObject, method: string, signature = '', args: readonly unknown[] = []): Promise<GVariantValue[]> {
    const conn = await this.connection(obj.bus);
    this.stats.calls++;
    const reply = await conn.call(
      { destination: obj.dest, path: obj.path, iface: obj.iface, member: method, signature, body: [...args] },
      this.timeoutMs,
    );
    const types = splitSignature(reply.signature);
    return reply.body.map((v, i) => toGVariant(types[i] ?? '', v));
  }

  /** Reads properties of one interface: Get for one, GetAll (one round trip) for several. */
  async getProperties(obj: DbusObject, names: readonly string[]): Promise<Record<string, GVariantValue>> {
    const props: DbusObject = { ...obj, iface: 'org.freedesktop.DBus.Properties' };
    if (names.length === 1 && names[0] !== undefined) {
      const [value] = await this.call(props, 'Get', 'ss', [obj.iface, names[0]]);
      return { [names[0]]: value ?? null };
    }
    const [all] = await this.call(props, 'GetAll', 's', [obj.iface]);
    if (all === null || typeof all !== 'object' || Array.isArray(all)) {
      throw new DbusCallError('bad-reply', `GetAll on ${obj.path} did not return a dictionary`);
    }
    const out: Record<string, GVariantValue> = {};
    for (const n of names) {
      const v = all[n];
      if (v === undefined) throw new DbusCallError('no-object', `${obj.iface} on ${obj.path} has no property ${n}`);
      out[n] = v;
    }
    return out;
  }

  /** Drops the connections; a later call opens them again. */
  close(): void {
    this.generation++;
    for (const slot of Object.values(this.slots)) {
      slot.conn?.close();
      slot.conn = null;
      slot.opening = null;
      slot.backoff.succeeded();
      slot.lastError = null;
    }
  }

  private connection(bus: DbusBus): Promise<DbusConnection> {
    const slot = this.slots[bus];
    if (slot.conn?.isOpen) return Promise.resolve(slot.conn);
    slot.conn = null;
    if (slot.opening) return slot.opening;
    if (slot.lastError && !slot.backoff.ready()) return Promise.reject(slot.lastError);
    const generation = this.generation;
    const opening: Promise<DbusConnection> = this.open(bus)
      .then(
        (conn) => {
          if (generation !== this.generation) {
            conn.close();
            throw new DbusCallError('failed', 'the D-Bus client was closed while connecting');
          }
          slot.conn = conn;
          slot.lastError = null;
          slot.backoff.succeeded();
          this.stats.connects++;
          return conn;
        },
        (e: unknown) => {
          if (generation !== this.generation) throw e;
          const err = e instanceof DbusConnectError ? e : new DbusConnectError(String(e), false);
          slot.lastError = err;
          slot.backoff.failed();
          throw err;
        },
      )
      .finally(() => {
        if (slot.opening === opening) slot.opening = null;
      });
    slot.opening = opening;
    return opening;
  }

  /** Tries each address of the bus in order, as the reference implementation does. */
  private async open(bus: DbusBus): Promise<DbusConnection> {
    const addr = busAddress(bus, this.env);
    if (typeof addr === 'string') throw new DbusConnectError(addr, false);
    const failures: DbusConnectError[] = [];
    for (const ep of addr.endpoints) {
      if (!ep.ok) {
        failures.push(new DbusConnectError(`${ep.text}: ${ep.why}`, true));
        continue;
      }
      try {
        return await DbusConnection.open(ep.socketPath, {
          timeoutMs: this.timeoutMs,
          ...(this.maxMessageBytes !== undefined && { maxMessageBytes: this.maxMessageBytes }),
        });
      } catch (e) {
        failures.push(e instanceof DbusConnectError ? e : new DbusConnectError(String(e), false));
      }
    }
    const why = failures.map((f) => f.message).join('; ');
    throw new DbusConnectError(
      addr.note ? `${addr.note}: ${why}` : why,
      failures.some((f) => f.toolMayWork),
    );
  }
}

/**
 * Wire values to the shapes the sources already handle from gdbus: 64-bit integers become
 * numbers (idle times in ms or µs stay far below 2^53), dictionaries become objects, variants
 * are unwrapped.
 */
function toGVariant(sig: string, v: unknown): GVariantValue {
  const c = sig[0];
  if (c === 'v') {
    const variant = v as Variant;
    return toGVariant(variant.sig, variant.value);
  }
  if (c === 'a' && sig[1] === '{') {
    const valueSig = splitSignature(sig.slice(2, -1))[1] ?? '';
    const out: Record<string, GVariantValue> = {};
    for (const entry of v as unknown[][]) out[String(entry[0])] = toGVariant(valueSig, entry[1]);
    return out;
  }
  if (c === 'a') return (v as unknown[]).map((item) => toGVariant(sig.slice(1), item));
  if (c === '(') {
    const fields = splitSignature(sig.slice(1, -1));
    return (v as unknown[]).map((item, i) => toGVariant(fields[i] ?? '', item));
  }
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return null;
}
