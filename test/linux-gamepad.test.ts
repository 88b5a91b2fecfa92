import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JoystickActivity } from '../main/engine/platform/linux/input/joystick.js';

/**
 * The joystick devices are stood in for by FIFOs (no gamepad on a CI machine): the reader opens
 * them exactly as it opens /dev/input/js0, non-blocking, and reads the kernel's js_event records
 * that the test writes.
 */
const dir = mkdtempSync(join(tmpdir(), 'iw-js-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const JS_BUTTON = 0x01;
const JS_AXIS = 0x02;
const JS_INIT = 0x80;
function event(type: number, number: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(12345, 0);
  b.writeInt16LE(value, 4);
  b.writeUInt8(type, 6);
  b.writeUInt8(number, 7);
  return b;
}

/** Writes events to a device stand-in the reader holds open (so the open does not wait for a reader). */
function push(path: string, ...events: Buffer[]): void {
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.concat(events));
  closeSync(fd);
}

describe('gamepad input from Linux joystick devices', () => {
  it('says why when there is no device, and what it reads when there is', async () => {
    const empty = new JoystickActivity({ dir: join(dir, 'none') });
    expect(await empty.available()).toEqual({
      ok: false,
      reason: `no gamepad is connected (no ${join(dir, 'none', 'js*')} device)`,
    });
    const sub = mkdtempSync(join(dir, 'f-'));
    writeFileSync(join(sub, 'js0'), 'not a device');
    expect(await new JoystickActivity({ dir: sub }).available()).toEqual({
      ok: false,
      reason: `${join(sub, 'js0')} cannot be read: not a device`,
    });
  });

  it('counts presses and stick pushes, not the state sent on open nor stick drift, and never blocks', async () => {
    const sub = mkdtempSync(join(dir, 'pad-'));
    const dev = join(sub, 'js0');
    execFileSync('mkfifo', [dev]);
    const pad = new JoystickActivity({ dir: sub, rescanMs: 1000 });
    try {
      expect(await pad.available()).toEqual({ ok: true, detail: dev });
      // Nothing written yet: a read returns at once with nothing seen.
      expect(await pad.read(1_000)).toBeNull();
      push(dev, event(JS_BUTTON | JS_INIT, 0, 0), event(JS_AXIS | JS_INIT, 0, 300), event(JS_AXIS | JS_INIT, 1, -200));
      expect(await pad.read(2_000)).toBeNull();
      push(dev, event(JS_AXIS, 0, 1500), event(JS_AXIS, 1, -2500));
      expect(await pad.read(3_000)).toBeNull();
      push(dev, event(JS_BUTTON, 3, 1), event(JS_BUTTON, 3, 0));
      expect(await pad.read(4_000)).toBe(0);
      expect(await pad.read(9_000)).toBe(5);
      push(dev, event(JS_AXIS, 1, -32000));
      expect(await pad.read(10_000)).toBe(0);
      // Holding the stick where it is, with the jitter a real stick has, is not new input.
      push(dev, event(JS_AXIS, 1, -31800), event(JS_AXIS, 1, -32100));
      expect(await pad.read(12_000)).toBe(2);
      // A release is not a press.
      push(dev, event(JS_BUTTON, 1, 0));
      expect(await pad.read(13_000)).toBe(3);
    } finally {
      await pad.close();
    }
  });

  it('finds a controller plugged in later, and forgets one unplugged', async () => {
    const sub = mkdtempSync(join(dir, 'hot-'));
    const pad = new JoystickActivity({ dir: sub, rescanMs: 1000 });
    try {
      expect(await pad.read(0)).toBeNull();
      execFileSync('mkfifo', [join(sub, 'js1')]);
      // Not listed again before rescanMs.
      expect(await pad.read(500)).toBeNull();
      expect(await pad.read(1_500)).toBeNull();
      push(join(sub, 'js1'), event(JS_BUTTON, 0, 1));
      expect(await pad.read(2_000)).toBe(0);
      rmSync(join(sub, 'js1'));
      expect(await pad.read(3_000)).toBe(1);
    } finally {
      await pad.close();
    }
  });
});
