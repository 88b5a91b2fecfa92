/**
 * One-shot D-Bus method calls and property reads through the `gdbus` or `busctl` programs: the
 * fallback for when the native client (dbus-client.ts) cannot reach or authenticate to a bus (a
 * tcp: address, a bus that only offers DBUS_COOKIE_SHA1). Each call starts a program, so this
 * path costs a fork and exec per reading. A desktop that has an idle monitor on its bus almost
 * always ships one of the two: gdbus with GLib (GNOME, KDE, XFCE, distributions without
 * systemd), busctl with systemd.
 */
import { findOnPath, runFile } from '../../../util/exec.js';
import { classifyDbusError, DbusCallError, type DbusBus, type DbusObject, splitSignature } from './dbus-types.js';
import { type GVariantValue, parseGVariantText } from './gvariant-text.js';

export type DbusTool = 'gdbus' | 'busctl';

export interface DbusToolClientOptions {
  /** Environment for the child: DBUS_SESSION_BUS_ADDRESS / DBUS_SYSTEM_BUS_ADDRESS pick the buses, PATH the tool. */
  env?: NodeJS.ProcessEnv;
  /** Per-call limit; a desktop service that takes longer is as good as absent for a 1 s tick. Default 2000. */
  timeoutMs?: number;
  /** Forces one program. Default: gdbus when installed (it prints exact D-Bus error names), else busctl. */
  tool?: DbusTool;
}

export const NO_DBUS_TOOL_REASON = 'neither gdbus nor busctl is installed (apt install libglib2.0-bin)';

export class DbusToolClient {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Programs started: what the native path exists to avoid, counted so tests can check it stays 0. */
  readonly stats = { runs: 0 };
  private readonly forcedTool: DbusTool | undefined;
  private resolved: { tool: DbusTool; path: string } | null = null;

  constructor(opts: DbusToolClientOptions = {}) {
    this.env = opts.env ?? process.env;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.forcedTool = opts.tool;
  }

  /** The program calls go through, or null when none is installed. Found once, then kept. */
  tool(): DbusTool | null {
    return this.resolve()?.tool ?? null;
  }

  /** Calls a method whose arguments are all strings; resolves with its out-arguments. */
  async call(obj: DbusObject, method: string, args: readonly string[] = []): Promise<GVariantValue[]> {
    const t = this.resolve();
    if (!t) throw new DbusCallError('no-tool', NO_DBUS_TOOL_REASON);
    const argv =
      t.tool === 'gdbus'
        ? [
            'call',
            `--${obj.bus}`,
            '--timeout',
            String(Math.max(1, Math.ceil(this.timeoutMs / 1000))),
            '--dest',
            obj.dest,
            '--object-path',
            obj.path,
            '--method',
            `${obj.iface}.${method}`,
            ...args.map(gvariantString),
          ]
        : [
            busctlBusFlag(obj.bus),
            '--json=short',
            `--timeout=${busctlTimeout(this.timeoutMs)}`,
            'call',
            obj.dest,
            obj.path,
            obj.iface,
            method,
            ...(args.length > 0 ? ['s'.repeat(args.length), ...args] : []),
          ];
    const stdout = await this.exec(t, argv);
    return t.tool === 'gdbus' ? parseGdbusReply(stdout) : parseBusctlCallJson(stdout);
  }

  /** Reads several properties of one interface in one program run. */
  async getProperties(obj: DbusObject, names: readonly string[]): Promise<Record<string, GVariantValue>> {
    const t = this.resolve();
    if (!t) throw new DbusCallError('no-tool', NO_DBUS_TOOL_REASON);
    if (t.tool === 'busctl') {
      const stdout = await this.exec(t, [
        busctlBusFlag(obj.bus),
        '--json=short',
        `--timeout=${busctlTimeout(this.timeoutMs)}`,
        'get-property',
        obj.dest,
        obj.path,
        obj.iface,
        ...names,
      ]);
      const values = parseBusctlPropertiesJson(stdout);
      if (values.length !== names.length) {
        throw new DbusCallError('bad-reply', `busctl printed ${values.length} values for ${names.length} properties`);
      }
      return Object.fromEntries(names.map((n, i) => [n, values[i] ?? null]));
    }
    // gdbus has no property verb: GetAll costs one run whatever the count, Get is smaller for one.
    const props: DbusObject = { ...obj, iface: 'org.freedesktop.DBus.Properties' };
    if (names.length === 1 && names[0] !== undefined) {
      const [value] = await this.call(props, 'Get', [obj.iface, names[0]]);
      return { [names[0]]: value ?? null };
    }
    const [all] = await this.call(props, 'GetAll', [obj.iface]);
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

  private resolve(): { tool: DbusTool; path: string } | null {
    // A miss is looked up again on the next call: a tool installed after start is picked up by the re-probe.
    if (this.resolved) return this.resolved;
    const order: DbusTool[] = this.forcedTool ? [this.forcedTool] : ['gdbus', 'busctl'];
    for (const tool of order) {
      const path = findOnPath(tool, this.env.PATH ?? '');
      if (path) {
        this.resolved = { tool, path };
        break;
      }
    }
    return this.resolved;
  }

  private async exec(t: { tool: DbusTool; path: string }, argv: string[]): Promise<string> {
    // The tool's own timeout answers first with a clear message; ours only catches a hung tool.
    this.stats.runs++;
    const r = await runFile(t.path, argv, { timeoutMs: this.timeoutMs + 1000, env: this.env, maxBuffer: 1024 * 1024 });
    if (r.ok) return r.stdout;
    if (r.timedOut) throw new DbusCallError('timeout', `${t.tool} did not answer within ${this.timeoutMs} ms`);
    if (r.code === null) throw new DbusCallError('failed', r.error ?? `${t.tool} could not run`);
    throw describeToolError(t.tool, r.stderr || r.stdout);
  }
}

/** GVariant text for a string argument: gdbus parses each argument as GVariant text. */
function gvariantString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function busctlBusFlag(bus: DbusBus): string {
  return bus === 'session' ? '--user' : '--system';
}

function busctlTimeout(ms: number): string {
  return `${Math.max(0.1, ms / 1000)}s`;
}

/** Turns a gdbus/busctl error print-out into a classified error. Exported for tests. */
export function describeToolError(tool: DbusTool, stderr: string): DbusCallError {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? `${tool} failed without a message`;
  // gdbus: "Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name … was not provided …"
  const named = /GDBus\.Error:([A-Za-z0-9_.]+):\s*(.*)$/.exec(line);
  const dbusName = named?.[1];
  const message = named?.[2] ?? line.replace(/^(Error connecting|Error|Call failed):\s*/, '');
  return new DbusCallError(classifyDbusError(dbusName ?? '', line), message, dbusName);
}

/** `(uint64 12345,)` → [12345]. Exported for tests with real gdbus output. */
export function parseGdbusReply(stdout: string): GVariantValue[] {
  const text = stdout.trim();
  let value: GVariantValue;
  try {
    value = parseGVariantText(text);
  } catch (e) {
    throw new DbusCallError('bad-reply', (e as Error).message);
  }
  if (!Array.isArray(value)) throw new DbusCallError('bad-reply', `gdbus printed "${text.slice(0, 60)}", not a tuple`);
  return value;
}

interface BusctlJson {
  type: string;
  data: unknown;
}

/** busctl --json=short call output: `{"type":"t","data":[12345]}` → [12345]. */
export function parseBusctlCallJson(stdout: string): GVariantValue[] {
  const first = stdout.split('\n').find((l) => l.trim() !== '');
  // A method with no out-arguments prints nothing at all.
  if (first === undefined) return [];
  const j = parseJsonLine(first);
  const types = busctlTypes(j.type);
  const data = Array.isArray(j.data) ? j.data : [];
  return types.map((t, i) => fromBusctl(t, data[i]));
}

/** busctl --json=short get-property output: one `{"type":"b","data":true}` line per property. */
export function parseBusctlPropertiesJson(stdout: string): GVariantValue[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const j = parseJsonLine(l);
      return fromBusctl(j.type, j.data);
    });
}

function parseJsonLine(line: string): BusctlJson {
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch {
    throw new DbusCallError('bad-reply', `busctl printed "${line.slice(0, 60)}", not JSON`);
  }
  if (j === null || typeof j !== 'object' || typeof (j as BusctlJson).type !== 'string') {
    throw new DbusCallError('bad-reply', `busctl printed "${line.slice(0, 60)}", not a typed value`);
  }
  return j as BusctlJson;
}

/** Unwraps busctl's nested `{type, data}` variants so both tools yield the same shapes. */
function fromBusctl(sig: string, data: unknown): GVariantValue {
  if (sig === 'v') {
    const inner = data as BusctlJson | undefined;
    return inner && typeof inner.type === 'string' ? fromBusctl(inner.type, inner.data) : null;
  }
  if (sig.startsWith('a{')) {
    const valueSig = busctlTypes(sig.slice(2, -1))[1] ?? 'v';
    const out: Record<string, GVariantValue> = {};
    for (const [k, v] of Object.entries((data ?? {}) as Record<string, unknown>)) out[k] = fromBusctl(valueSig, v);
    return out;
  }
  if (sig.startsWith('a')) return Array.isArray(data) ? data.map((d) => fromBusctl(sig.slice(1), d)) : [];
  if (sig.startsWith('(')) {
    const fields = busctlTypes(sig.slice(1, -1));
    const items = Array.isArray(data) ? data : [];
    return fields.map((f, i) => fromBusctl(f, items[i]));
  }
  if (typeof data === 'number' || typeof data === 'boolean' || typeof data === 'string') return data;
  return null;
}

function busctlTypes(sig: string): string[] {
  try {
    return splitSignature(sig);
  } catch (e) {
    throw new DbusCallError('bad-reply', `busctl printed a bad type: ${(e as Error).message}`);
  }
}
