/**
 * How the D-Bus idle sources make calls: over the native client's held connection, and through
 * gdbus/busctl only when the native client cannot reach or authenticate to the bus in a way one
 * of those programs might (a tcp: address, a bus without EXTERNAL auth). A bus that is simply
 * not there is reported as such, without starting a program to learn the same thing.
 */
import { DbusToolClient, type DbusTool } from './dbus-call.js';
import { NativeDbusClient } from './dbus-client.js';
import { type DbusCallError, DbusConnectError, type DbusObject } from './dbus-types.js';
import type { GVariantValue } from './gvariant-text.js';

/** `auto`: native first, a program as the fallback. The others force one path (tests, diagnosis). */
export type DbusTransport = 'auto' | 'native' | DbusTool;

export interface DbusCallerOptions {
  /** Bus addresses (DBUS_*_BUS_ADDRESS, XDG_RUNTIME_DIR) and, for the fallback, PATH. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-call limit; a desktop service that takes longer is as good as absent for a 1 s tick. Default 2000. */
  timeoutMs?: number;
  /** Default 'auto'. */
  transport?: DbusTransport;
  /**
   * A native client to share, so the sources on one bus hold one connection between them.
   * Default: a client of this caller's own, built from `env` and `timeoutMs`.
   */
  native?: NativeDbusClient;
}

export class DbusCaller {
  readonly native: NativeDbusClient;
  readonly tool: DbusToolClient;
  /** Calls answered by each path. */
  readonly stats = { native: 0, tool: 0 };
  private readonly transport: DbusTransport;
  private lastPath: 'native' | DbusTool | null = null;
  /** Why the native client was passed over for the last call, when it was. */
  private nativeFailure: DbusConnectError | null = null;

  constructor(opts: DbusCallerOptions = {}) {
    const env = opts.env ?? process.env;
    const timeoutMs = opts.timeoutMs ?? 2000;
    this.transport = opts.transport ?? 'auto';
    this.native = opts.native ?? new NativeDbusClient({ env, timeoutMs });
    const forced = this.transport === 'gdbus' || this.transport === 'busctl' ? this.transport : undefined;
    this.tool = new DbusToolClient({ env, timeoutMs, ...(forced && { tool: forced }) });
  }

  /** Calls a method whose arguments are all strings; resolves with its out-arguments. */
  call(obj: DbusObject, method: string, args: readonly string[] = []): Promise<GVariantValue[]> {
    return this.route(
      () => this.native.call(obj, method, 's'.repeat(args.length), args),
      () => this.tool.call(obj, method, args),
    );
  }

  /** Reads several properties of one interface in one round trip (or one program run). */
  getProperties(obj: DbusObject, names: readonly string[]): Promise<Record<string, GVariantValue>> {
    return this.route(
      () => this.native.getProperties(obj, names),
      () => this.tool.getProperties(obj, names),
    );
  }

  /**
   * The path the last call took, as a phrase for availability details:
   * "over a native D-Bus connection" or "via gdbus (native D-Bus client: <why not>)".
   */
  via(): string {
    if (this.lastPath === null || this.lastPath === 'native') return 'over a native D-Bus connection';
    return this.nativeFailure
      ? `via ${this.lastPath} (native D-Bus client: ${this.nativeFailure.message})`
      : `via ${this.lastPath}`;
  }

  /** Drops held connections; the next call opens them again. */
  close(): void {
    this.native.close();
  }

  private async route<T>(native: () => Promise<T>, tool: () => Promise<T>): Promise<T> {
    if (this.transport === 'gdbus' || this.transport === 'busctl') return this.viaTool(tool);
    try {
      const r = await native();
      this.lastPath = 'native';
      this.nativeFailure = null;
      this.stats.native++;
      return r;
    } catch (e) {
      const fallback = this.transport === 'auto' && e instanceof DbusConnectError && e.toolMayWork;
      if (!fallback) throw e;
      this.nativeFailure = e;
      try {
        return await this.viaTool(tool);
      } catch (te) {
        // No program, or one that cannot reach the bus either: the native reason says more.
        const failure = (te as DbusCallError).failure;
        if (failure === 'no-tool' || failure === 'no-bus') throw e;
        throw te;
      }
    }
  }

  private async viaTool<T>(tool: () => Promise<T>): Promise<T> {
    this.lastPath = this.tool.tool() ?? this.lastPath;
    const r = await tool();
    this.stats.tool++;
    return r;
  }
}
