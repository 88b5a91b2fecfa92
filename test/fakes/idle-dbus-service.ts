/**
 * A private D-Bus daemon plus fake desktop services on it (GNOME Mutter's idle monitor, the
 * freedesktop screen saver, logind, GNOME's session manager), so the D-Bus idle sources are
 * tested through the real gdbus and busctl programs against a real bus.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  MessageType,
  messageLength,
  splitSignature,
  type Variant,
} from './idle-dbus-wire.js';

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

/** A dbus-daemon of our own, configured with no activatable services so "not on the bus" is deterministic. */
export class PrivateBus {
  private constructor(
    readonly address: string,
    readonly socketPath: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateBus> {
    const dir = mkdtempSync(join(tmpdir(), 'idlewatch-dbus-'));
    const socketPath = join(dir, 'bus');
    const config = join(dir, 'bus.conf');
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    const child = spawn('dbus-daemon', [`--config-file=${config}`, '--print-address', '--nofork'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const address = await new Promise<string>((resolve, reject) => {
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
    return new PrivateBus(address, socketPath, child, dir);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One client connection to a bus that owns well-known names and answers calls on exported objects. */
export class FakeDbusService {
  private serial = 0;
  private buffered = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly objects = new Map<string, Map<string, FakeInterface>>();
  /** Calls received, newest last: lets tests check what a source asked for. */
  readonly calls: { path: string; iface: string; member: string }[] = [];

  private constructor(private readonly socket: Socket) {}

  static async connect(socketPath: string): Promise<FakeDbusService> {
    const socket = connect({ path: socketPath });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    await authenticate(socket);
    const svc = new FakeDbusService(socket);
    socket.on('data', (d: Buffer) => svc.onData(d));
    await svc.callBus('Hello', '', []);
    return svc;
  }

  async requestName(name: string): Promise<void> {
    // Flag 4: DO_NOT_QUEUE, so a clash fails loudly instead of waiting.
    const reply = await this.callBus('RequestName', 'su', [name, 4]);
    if (reply.body[0] !== 1) throw new Error(`could not own ${name} (reply ${String(reply.body[0])})`);
  }

  async releaseName(name: string): Promise<void> {
    await this.callBus('ReleaseName', 's', [name]);
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
    this.socket.destroy();
  }

  private callBus(member: string, signature: string, body: unknown[]): Promise<Message> {
    const serial = ++this.serial;
    const reply = new Promise<Message>((resolve, reject) => this.pending.set(serial, { resolve, reject }));
    this.socket.write(
      encodeMessage({
        type: MessageType.MethodCall,
        flags: 0,
        serial,
        path: '/org/freedesktop/DBus',
        iface: 'org.freedesktop.DBus',
        member,
        destination: 'org.freedesktop.DBus',
        signature,
        body,
      }),
    );
    return reply;
  }

  private onData(d: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, d]);
    for (;;) {
      const len = messageLength(this.buffered);
      if (len === null || this.buffered.length < len) return;
      const msg = decodeMessage(this.buffered.subarray(0, len));
      this.buffered = this.buffered.subarray(len);
      this.dispatch(msg);
    }
  }

  private dispatch(msg: Message): void {
    if (msg.type === MessageType.MethodReturn || msg.type === MessageType.Error) {
      const waiter = msg.replySerial === undefined ? undefined : this.pending.get(msg.replySerial);
      if (!waiter || msg.replySerial === undefined) return;
      this.pending.delete(msg.replySerial);
      if (msg.type === MessageType.Error) waiter.reject(new Error(`${msg.errorName}: ${String(msg.body[0])}`));
      else waiter.resolve(msg);
      return;
    }
    if (msg.type !== MessageType.MethodCall) return;
    void this.answer(msg);
  }

  private async answer(msg: Message): Promise<void> {
    const path = msg.path ?? '';
    const iface = msg.iface ?? '';
    const member = msg.member ?? '';
    this.calls.push({ path, iface, member });
    try {
      const [signature, body] = await this.invoke(path, iface, member, msg.body);
      this.send({
        type: MessageType.MethodReturn,
        flags: 1,
        serial: ++this.serial,
        replySerial: msg.serial,
        ...(msg.sender !== undefined && { destination: msg.sender }),
        signature,
        body,
      });
    } catch (e) {
      const err =
        e instanceof DbusErrorReply ? e : new DbusErrorReply('org.freedesktop.DBus.Error.Failed', (e as Error).message);
      this.send({
        type: MessageType.Error,
        flags: 1,
        serial: ++this.serial,
        replySerial: msg.serial,
        errorName: err.errorName,
        ...(msg.sender !== undefined && { destination: msg.sender }),
        signature: 's',
        body: [err.message],
      });
    }
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

  private send(m: Message): void {
    this.socket.write(encodeMessage(m));
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

/** SASL EXTERNAL with our uid, the only mechanism a local unix-socket bus needs. */
function authenticate(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const uid = String(process.getuid?.() ?? 0);
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (!text.includes('\r\n')) return;
      socket.off('data', onData);
      if (text.startsWith('OK ')) {
        socket.write('BEGIN\r\n');
        resolve();
      } else {
        reject(new Error(`D-Bus authentication refused: ${text.trim()}`));
      }
    };
    socket.on('data', onData);
    socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid, 'latin1').toString('hex')}\r\n`);
  });
}
