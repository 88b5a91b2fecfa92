/**
 * Plays the window manager for the fullscreen tests: creates windows on a real X server (Xvfb)
 * and sets the EWMH hints a window manager would (_NET_ACTIVE_WINDOW on the root, _NET_WM_STATE,
 * _NET_WM_PID and WM_CLASS on the window). No window manager is needed: the reader only looks at
 * properties. Every change ends with a round trip, so the server has applied it before the test's
 * reader (on its own connection) looks.
 */
import { X11Link } from '../../main/engine/platform/linux/idle/x11-native.js';
import { pad4, type X11Connection } from '../../main/engine/platform/linux/idle/x11-connection.js';
import { internAtom, XA } from '../../main/engine/platform/linux/idle/x11-props.js';

const T = 5000;

export class FakeWindowManager {
  private nextId = 1;
  private constructor(
    private readonly link: X11Link,
    private readonly conn: X11Connection,
  ) {}

  static async open(display: string): Promise<FakeWindowManager> {
    const link = new X11Link({ display, env: { XAUTHORITY: '/nonexistent' }, timeoutMs: T });
    return new FakeWindowManager(link, await link.connection());
  }

  /** A new 640×480 window; the fake lives as long as this connection. */
  async createWindow(): Promise<number> {
    const id = this.conn.resourceIdBase | this.nextId++;
    const req = Buffer.alloc(32);
    req.writeUInt8(1, 0); // CreateWindow
    req.writeUInt8(0, 1); // depth: CopyFromParent
    req.writeUInt16LE(8, 2);
    req.writeUInt32LE(id, 4);
    req.writeUInt32LE(this.conn.rootWindow, 8);
    req.writeUInt16LE(640, 16);
    req.writeUInt16LE(480, 18);
    req.writeUInt16LE(1, 22); // InputOutput
    this.conn.send(req);
    await this.sync();
    return id;
  }

  async destroyWindow(id: number): Promise<void> {
    const req = Buffer.alloc(8);
    req.writeUInt8(4, 0); // DestroyWindow
    req.writeUInt16LE(2, 2);
    req.writeUInt32LE(id, 4);
    this.conn.send(req);
    await this.sync();
  }

  async setActive(window: number): Promise<void> {
    await this.set(this.conn.rootWindow, '_NET_ACTIVE_WINDOW', XA.WINDOW, u32s([window]));
  }

  async setState(window: number, states: string[]): Promise<void> {
    const atoms = await Promise.all(states.map((s) => internAtom(this.conn, s, false, T)));
    await this.set(window, '_NET_WM_STATE', XA.ATOM, u32s(atoms));
  }

  async setPid(window: number, pid: number): Promise<void> {
    await this.set(window, '_NET_WM_PID', XA.CARDINAL, u32s([pid]));
  }

  async setClass(window: number, instance: string, cls: string): Promise<void> {
    await this.setProp(window, XA.WM_CLASS, XA.STRING, 8, Buffer.from(`${instance}\0${cls}\0`, 'latin1'));
  }

  close(): void {
    this.link.close();
  }

  private async set(window: number, name: string, type: number, data: Buffer): Promise<void> {
    await this.setProp(window, await internAtom(this.conn, name, false, T), type, 32, data);
  }

  private async setProp(window: number, property: number, type: number, format: 8 | 32, data: Buffer): Promise<void> {
    const req = Buffer.alloc(24 + pad4(data.length));
    req.writeUInt8(18, 0); // ChangeProperty
    req.writeUInt8(0, 1); // Replace
    req.writeUInt16LE(req.length / 4, 2);
    req.writeUInt32LE(window, 4);
    req.writeUInt32LE(property, 8);
    req.writeUInt32LE(type, 12);
    req.writeUInt8(format, 16);
    req.writeUInt32LE(data.length / (format / 8), 20);
    data.copy(req, 24);
    this.conn.send(req);
    await this.sync();
  }

  /** A request with a reply: when it comes, every request before it has been applied. */
  private async sync(): Promise<void> {
    await internAtom(this.conn, 'PRIMARY', true, T);
  }
}

function u32s(values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  for (const [i, v] of values.entries()) b.writeUInt32LE(v >>> 0, i * 4);
  return b;
}
