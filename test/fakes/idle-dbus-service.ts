/**
 * A private D-Bus daemon plus fake desktop services on it (GNOME Mutter's idle monitor, the
 * freedesktop screen saver, logind, GNOME's session manager), so the D-Bus idle sources are
 * tested against a real bus, both over the native client and through the real gdbus and busctl
 * programs. The services speak through the production connection and wire code
 * (main/engine/platform/linux/idle/dbus-connection.ts, dbus-wire.ts): python3-dbus and gi are not installed
 * here, and gdbus/busctl cannot serve.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbusConnection } from '../../main/engine/platform/linux/idle/dbus-connection.js';
import { splitSignature } from '../../main/engine/platform/linux/idle/dbus-types.js';
import type { Message, Variant } from '../../main/engine/platform/linux/idle/dbus-wire.js';

/** A D-Bus error a fake method answers with, e.g. org.freedesktop.DBus.Error.NotSupported. */
export class DbusErrorReply extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeMethod {
  /** Input signature ('' for none): also what Introspect advertises, which gdbus reads first. */
  in?: string;
  out: string;
  call: (...args: unknown[]) => unknown[] | Promise<unknown[]>;
}

export interface FakeProperty {
  sig: string;
  get: () => unknown;
}

export interface FakeInterface {
  methods?: Record<string, FakeMethod>;
  properties?: Record<string, FakeProperty>;
}

export interface PrivateBusOptions {
  /**
   * Also listen on 127.0.0.1 over TCP with ANONYMOUS auth: an address gdbus can use and the native
   * client cannot (it speaks unix sockets and EXTERNAL only), to exercise the fallback.
   */
  tcp?: boolean;
  /** Listen in Linux's abstract socket namespace instead of on a socket file; `address` is then that. */
  abstract?: boolean;
  /**
   * With `abstract`: listen on a socket file as well, which `socketPath` (what the test services
   * connect to) names, for runtimes that cannot reach abstract sockets.
   */
  alsoPath?: boolean;
}

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus' };

/** A dbus-daemon of our own, configured with no activatable services so "not on the bus" is deterministic. */
export class PrivateBus {
  private child: ChildProcess;
  /** The TCP address when started with `tcp: true` (its port changes on restart). */
  tcpAddress: string | null = null;

  private constructor(
    /** unix:path=… (or unix:abstract=…) of the socket; stays valid across restart(). */
    readonly address: string,
    readonly socketPath: string,
    private readonly config: string,
    private readonly dir: string,
    started: { child: ChildProcess; printed: string },
  ) {
    this.child = started.child;
    this.tcpAddress = tcpPart(started.printed);
  }

  static async start(opts: PrivateBusOptions = {}): Promise<PrivateBus> {
    const dir = mkdtempSync(join(tmpdir(), 'idlewatch-dbus-'));
    const config = join(dir, 'bus.conf');
    const file = join(dir, 'bus');
    const abstract = `${dir}/abstract-bus`;
    const address = opts.abstract ? `unix:abstract=${abstract}` : `unix:path=${file}`;
    // Node connects to `\0name` as the abstract socket "name".
    const socketPath = opts.abstract && !opts.alsoPath ? `\0${abstract}` : file;
    const listens = [address, ...(opts.abstract && opts.alsoPath ? [`unix:path=${file}`] : [])];
    const tcp = opts.tcp
      ? '  <listen>tcp:host=127.0.0.1,bind=127.0.0.1,port=0</listen>\n  <auth>ANONYMOUS</auth>\n  <allow_anonymous/>\n'
      : '';
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
${listens.map((l) => `  <listen>${l}</listen>\n`).join('')}
  <auth>EXTERNAL</auth>
${tcp}  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    return new PrivateBus(address, socketPath, config, dir, await runDaemon(config));
  }

  /**
   * Stops the daemon, every connection to it dropping, runs `whileDown`, and starts a fresh one on
   * the same socket.
   */
  async restart(whileDown?: () => Promise<void>): Promise<void> {
    await this.kill();
    await whileDown?.();
    const started = await runDaemon(this.config);
    this.child = started.child;
    this.tcpAddress = tcpPart(started.printed);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
  }
}

function tcpPart(printed: string): string | null {
  return printed.split(';').find((a) => a.startsWith('tcp:')) ?? null;
}

async function runDaemon(config: string): Promise<{ child: ChildProcess; printed: string }> {
  const child = spawn('dbus-daemon', [`--config-file=${config}`, '--print-address', '--nofork'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const printed = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`dbus-daemon did not start: ${err}`)), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited with ${code}: ${err}`));
    });
  });
  return { child, printed };
}

/** One client connection to a bus that owns well-known names and answers calls on exported objects. */
export class FakeDbusService {
  private readonly objects = new Map<string, Map<string, FakeInterface>>();
  /** Calls received, newest last: lets tests check what a source asked for. */
  readonly calls: { path: string; iface: string; member: string }[] = [];

  private constructor(private readonly conn: DbusConnection) {}

  static async connect(socketPath: string): Promise<FakeDbusService> {
    let svc: FakeDbusService | undefined;
    // No name is owned until requestName(), so no call can arrive before `svc` is set.
    const conn = await DbusConnection.open(socketPath, {
      timeoutMs: 5000,
      onMethodCall: (msg) => void svc?.answer(msg),
    });
    svc = new FakeDbusService(conn);
    return svc;
  }

  async requestName(name: string): Promise<void> {
    // Flag 4: DO_NOT_QUEUE, so a clash fails loudly instead of waiting.
    const reply = await this.conn.call({ ...BUS, member: 'RequestName', signature: 'su', body: [name, 4] }, 5000);
    if (reply.body[0] !== 1) throw new Error(`could not own ${name} (reply ${String(reply.body[0])})`);
  }

  async releaseName(name: string): Promise<void> {
    await this.conn.call({ ...BUS, member: 'ReleaseName', signature: 's', body: [name] }, 5000);
  }

  export(path: string, iface: string, impl: FakeInterface): void {
    let ifaces = this.objects.get(path);
    if (!ifaces) {
      ifaces = new Map();
      this.objects.set(path, ifaces);
    }
    ifaces.set(iface, impl);
  }

  unexport(path: string): void {
    this.objects.delete(path);
  }

  close(): void {
    this.conn.close();
  }

  private async answer(msg: Message): Promise<void> {
    const path = msg.path ?? '';
    const iface = msg.iface ?? '';
    const member = msg.member ?? '';
    this.calls.push({ path, iface, member });
    let result: [string, unknown[]] | DbusErrorReply;
    try {
      result = await this.invoke(path, iface, member, msg.body);
    } catch (e) {
      result =
        e instanceof DbusErrorReply ? e : new DbusErrorReply('org.freedesktop.DBus.Error.Failed', (e as Error).message);
    }
    // A test may close the service (or restart the bus) while a call is being answered.
    if (!this.conn.isOpen) return;
    if (result instanceof DbusErrorReply) this.conn.replyError(msg, result.errorName, result.message);
    else this.conn.reply(msg, result[0], result[1]);
  }

  private async invoke(path: string, iface: string, member: string, args: unknown[]): Promise<[string, unknown[]]> {
    const ifaces = this.objects.get(path);
    if (iface === 'org.freedesktop.DBus.Introspectable' && member === 'Introspect') {
      return ['s', [introspect(path, ifaces, this.children(path))]];
    }
    if (iface === 'org.freedesktop.DBus.Peer' && member === 'Ping') return ['', []];
    if (!ifaces) throw new DbusErrorReply('org.freedesktop.DBus.Error.UnknownObject', `No such object path '${path}'`);
    if (iface === 'org.freedesktop.DBus.Properties') {
      const target = ifaces.get(String(args[0]));
      if (!target)
        throw new DbusErrorReply(
          'org.freedesktop.DBus.Error.UnknownInterface',
          `No such interface '${String(args[0])}'`,
        );
      const props = target.properties ?? {};
      if (member === 'Get') {
        const p = props[String(args[1])];
        if (!p)
          throw new DbusErrorReply(
            'org.freedesktop.DBus.Error.UnknownProperty',
            `No such property '${String(args[1])}'`,
          );
        return ['v', [{ sig: p.sig, value: p.get() } satisfies Variant]];
      }
      if (member === 'GetAll') {
        return [
          'a{sv}',
          [Object.entries(props).map(([k, p]) => [k, { sig: p.sig, value: p.get() } satisfies Variant])],
        ];
      }
    }
    const candidates = iface ? [ifaces.get(iface)] : [...ifaces.values()];
    for (const impl of candidates) {
      const m = impl?.methods?.[member];
      if (m) return [m.out, await m.call(...args)];
    }
    throw new DbusErrorReply(
      'org.freedesktop.DBus.Error.UnknownMethod',
      `No such method '${member}' in interface '${iface}' at object path '${path}'`,
    );
  }

  private children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    const names = new Set<string>();
    for (const p of this.objects.keys()) {
      if (p.startsWith(prefix)) {
        const first = p.slice(prefix.length).split('/')[0];
        if (first) names.add(first);
      }
    }
    return [...names];
  }
}

function introspect(path: string, ifaces: Map<string, FakeInterface> | undefined, children: string[]): string {
  const parts = [`<node name="${path}">`];
  for (const [name, impl] of ifaces ?? []) {
    parts.push(`  <interface name="${name}">`);
    for (const [m, def] of Object.entries(impl.methods ?? {})) {
      parts.push(`    <method name="${m}">`);
      for (const t of splitSignature(def.in ?? '')) parts.push(`      <arg type="${t}" direction="in"/>`);
      for (const t of splitSignature(def.out)) parts.push(`      <arg type="${t}" direction="out"/>`);
      parts.push('    </method>');
    }
    for (const [p, def] of Object.entries(impl.properties ?? {})) {
      parts.push(`    <property name="${p}" type="${def.sig}" access="read"/>`);
    }
    parts.push('  </interface>');
  }
  for (const c of children) parts.push(`  <node name="${c}"/>`);
  parts.push('</node>');
  return parts.join('\n');
}
