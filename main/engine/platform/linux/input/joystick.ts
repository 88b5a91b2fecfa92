/**
 * Gamepad input on Linux, from the joystick devices (/dev/input/js*) this user may read: a game
 * played with a controller moves no keyboard or mouse, so the idle time alone says "away".
 *
 * Each device is opened once, non-blocking, and drained on each read: the kernel queues the
 * events (8 bytes each) per open file, so a read once a tick sees every press since the last one
 * and never waits. A thread blocked on a device read would sit in libuv's small pool for good; a
 * non-blocking read returns EAGAIN at once. Devices come and go (a controller plugged in), so the
 * folder is listed again every `rescanMs`.
 */
import { constants, type Dirent } from 'node:fs';
import { type FileHandle, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Availability } from '../../collector.js';
import type { InputActivitySource } from '../../idle.js';

export interface JoystickActivityOptions {
  /** Default /dev/input. */
  dir?: string;
  /** How often the folder is listed again for new devices. Default 30 s. */
  rescanMs?: number;
}

/** struct js_event: __u32 time; __s16 value; __u8 type; __u8 number. */
const EVENT_BYTES = 8;
const JS_EVENT_BUTTON = 0x01;
const JS_EVENT_AXIS = 0x02;
/** Synthetic events the driver sends on open with the current state: not input. */
const JS_EVENT_INIT = 0x80;
/** Sticks rest a little off centre and drift; a push is a move of more than this (of ±32767). */
const AXIS_DEADZONE = 8000;
/** The driver keeps 64 events per reader; one read takes them all. */
const READ_BYTES = 64 * EVENT_BYTES;
const MAX_DEVICES = 16;

interface Device {
  name: string;
  handle: FileHandle;
  /** Last value per axis, so drift around a held position is not counted again and again. */
  axes: Map<number, number>;
}

export class JoystickActivity implements InputActivitySource {
  readonly id = 'input.joystick';
  readonly label = 'Gamepad input (Linux joystick devices)';
  private readonly dir: string;
  private readonly rescanMs: number;
  private readonly devices = new Map<string, Device>();
  /** Devices that exist but could not be opened, and why (for available()). */
  private refused = new Map<string, string>();
  private lastScanMs = Number.NEGATIVE_INFINITY;
  private lastInputMs: number | null = null;
  private readonly buf = Buffer.alloc(READ_BYTES);

  constructor(opts: JoystickActivityOptions = {}) {
    this.dir = opts.dir ?? '/dev/input';
    this.rescanMs = opts.rescanMs ?? 30_000;
  }

  async available(): Promise<Availability> {
    await this.rescan(Date.now());
    if (this.devices.size > 0) {
      return { ok: true, detail: [...this.devices.keys()].map((n) => join(this.dir, n)).join(', ') };
    }
    const [first] = this.refused;
    if (first) return { ok: false, reason: `${join(this.dir, first[0])} cannot be read: ${first[1]}` };
    return { ok: false, reason: `no gamepad is connected (no ${join(this.dir, 'js*')} device)` };
  }

  async read(nowMs: number): Promise<number | null> {
    if (nowMs - this.lastScanMs >= this.rescanMs || nowMs < this.lastScanMs) await this.rescan(nowMs);
    for (const dev of [...this.devices.values()]) {
      if (await this.drain(dev)) this.lastInputMs = nowMs;
    }
    return this.lastInputMs === null ? null : Math.max(0, (nowMs - this.lastInputMs) / 1000);
  }

  async close(): Promise<void> {
    const open = [...this.devices.values()];
    this.devices.clear();
    await Promise.all(open.map((d) => d.handle.close().catch(() => undefined)));
  }

  /** Reads what is queued; true when it held a button press or a stick push. */
  private async drain(dev: Device): Promise<boolean> {
    let input = false;
    for (;;) {
      let bytes: number;
      try {
        ({ bytesRead: bytes } = await dev.handle.read(this.buf, 0, READ_BYTES, null));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return input;
        // Unplugged (ENODEV) or revoked: forget it; the next scan finds it again if it comes back.
        this.devices.delete(dev.name);
        await dev.handle.close().catch(() => undefined);
        return input;
      }
      if (bytes === 0) return input;
      for (let off = 0; off + EVENT_BYTES <= bytes; off += EVENT_BYTES) {
        if (isInput(dev, this.buf.readInt16LE(off + 4), this.buf.readUInt8(off + 6), this.buf.readUInt8(off + 7)))
          input = true;
      }
      if (bytes < READ_BYTES) return input;
    }
  }

  private async rescan(nowMs: number): Promise<void> {
    this.lastScanMs = nowMs;
    let entries: Dirent[];
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch {
      entries = [];
    }
    const names = entries
      .map((e) => e.name)
      .filter((n) => /^js\d{1,3}$/.test(n))
      .slice(0, MAX_DEVICES);
    const refused = new Map<string, string>();
    for (const name of names) {
      if (this.devices.has(name)) continue;
      const r = await openDevice(join(this.dir, name));
      if (typeof r === 'string') refused.set(name, r);
      else this.devices.set(name, { name, handle: r, axes: new Map() });
    }
    this.refused = refused;
  }
}

function isInput(dev: Device, value: number, type: number, number: number): boolean {
  if (type & JS_EVENT_INIT) {
    if (type & JS_EVENT_AXIS) dev.axes.set(number, value);
    return false;
  }
  if (type & JS_EVENT_BUTTON) return value !== 0;
  if (type & JS_EVENT_AXIS) {
    const before = dev.axes.get(number) ?? 0;
    dev.axes.set(number, value);
    return Math.abs(value) > AXIS_DEADZONE && Math.abs(value - before) > AXIS_DEADZONE / 4;
  }
  return false;
}

/** Opens a joystick device without blocking; only a character device (or a FIFO standing in for one) is kept. */
async function openDevice(path: string): Promise<FileHandle | string> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM'
      ? 'permission denied (the user needs the input group or a seat ACL)'
      : (code ?? String(e));
  }
  const st = await handle.stat().catch(() => null);
  if (!st || !(st.isCharacterDevice() || st.isFIFO())) {
    await handle.close().catch(() => undefined);
    return 'not a device';
  }
  return handle;
}
