// Output strings below were printed by gdbus (GLib 2.74) and busctl (systemd 252) against the
// fake services in test/fakes, i.e. the real formats of both programs.
import { describe, expect, it } from 'vitest';
import {
  describeToolError,
  parseBusctlCallJson,
  parseBusctlPropertiesJson,
  parseGdbusReply,
} from '../main/engine/platform/linux/idle/dbus-call.js';
import { DbusCallError } from '../main/engine/platform/linux/idle/dbus-types.js';
import { parseGVariantText } from '../main/engine/platform/linux/idle/gvariant-text.js';
import { gnomeIdleInhibitorName, logindIdleInhibitors } from '../main/engine/platform/linux/idle/inhibitors.js';
import { logindIdleRead, parseLogindProps } from '../main/engine/platform/linux/idle/logind.js';

describe('gdbus replies (GVariant text)', () => {
  it.each([
    ['(uint64 12345,)\n', [12345]],
    ['(false,)\n', [false]],
    ["('org.gnome.Totem',)\n", ['org.gnome.Totem']],
    ["('',)\n", ['']],
    ['(uint32 8352,)\n', [8352]],
    ['(int64 -5,)\n', [-5]],
    ['(1.5,)\n', [1.5]],
    ['(byte 0x07,)\n', [7]],
    ['(uint32 3, true)\n', [3, true]],
    ['()\n', []],
    ['(@ao [],)\n', [[]]],
    ['(@a(ssssuu) [],)\n', [[]]],
    ['(<true>,)\n', [true]],
    ["(<'ana'>,)\n", ['ana']],
    [
      "([objectpath '/org/gnome/SessionManager/Inhibitor1', '/org/gnome/SessionManager/Inhibitor2'],)\n",
      [['/org/gnome/SessionManager/Inhibitor1', '/org/gnome/SessionManager/Inhibitor2']],
    ],
  ])('%j', (text, expected) => {
    expect(parseGdbusReply(text)).toEqual(expected);
  });

  it('a GetAll dictionary of variants, with a string holding both quote kinds', () => {
    const text =
      "({'IdleHint': <true>, 'IdleSinceHint': <uint64 1700000000000000>, 'IdleSinceHintMonotonic': <uint64 123456789>, 'LockedHint': <false>, 'Name': <\"ana 'x\\\"y\">},)\n";
    expect(parseGdbusReply(text)).toEqual([
      {
        IdleHint: true,
        IdleSinceHint: 1700000000000000,
        IdleSinceHintMonotonic: 123456789,
        LockedHint: false,
        Name: 'ana \'x"y',
      },
    ]);
  });

  it('logind ListInhibitors: type keywords only on the first row', () => {
    const text =
      "([('sleep', 'NetworkManager', 'NetworkManager needs to turn off networks', 'delay', uint32 0, uint32 770), ('idle:sleep', 'Totem', 'Playing a \"video\"', 'block', 1000, 4242)],)\n";
    expect(parseGdbusReply(text)).toEqual([
      [
        ['sleep', 'NetworkManager', 'NetworkManager needs to turn off networks', 'delay', 0, 770],
        ['idle:sleep', 'Totem', 'Playing a "video"', 'block', 1000, 4242],
      ],
    ]);
  });

  it('escapes and non-ASCII text', () => {
    const text = '("Café \\"ünï\\" \\\\ back \'q\'\\ttab\\nnl ☃",)\n';
    expect(parseGdbusReply(text)).toEqual(['Café "ünï" \\ back \'q\'\ttab\nnl ☃']);
    expect(parseGVariantText("'\\u00e9\\U0001F600'")).toBe('é😀');
  });

  it('maybe values and empty dictionaries', () => {
    expect(parseGVariantText('(@ms nothing, just 3, @a{sv} {})')).toEqual([null, 3, {}]);
  });

  it('rejects what is not a tuple or not GVariant', () => {
    expect(() => parseGdbusReply('12\n')).toThrow(DbusCallError);
    expect(() => parseGdbusReply('(uint64 12,\n')).toThrow(/cannot parse gdbus output/);
    expect(() => parseGdbusReply('Error: something')).toThrow(/cannot parse/);
  });
});

describe('busctl --json=short replies', () => {
  it('call output', () => {
    expect(parseBusctlCallJson('{"type":"t","data":[12345]}\n')).toEqual([12345]);
    expect(parseBusctlCallJson('{"type":"ub","data":[3,true]}\n')).toEqual([3, true]);
    expect(parseBusctlCallJson('{"type":"d","data":[1.500000000000000000000e+00]}\n')).toEqual([1.5]);
    expect(parseBusctlCallJson('')).toEqual([]);
    expect(
      parseBusctlCallJson(
        '{"type":"ao","data":[["/org/gnome/SessionManager/Inhibitor1","/org/gnome/SessionManager/Inhibitor2"]]}\n',
      ),
    ).toEqual([['/org/gnome/SessionManager/Inhibitor1', '/org/gnome/SessionManager/Inhibitor2']]);
    expect(
      parseBusctlCallJson(
        '{"type":"a(ssssuu)","data":[[["sleep","NetworkManager","NetworkManager needs to turn off networks","delay",0,770],["idle:sleep","Totem","Playing a \\"video\\"","block",1000,4242]]]}\n',
      ),
    ).toEqual([
      [
        ['sleep', 'NetworkManager', 'NetworkManager needs to turn off networks', 'delay', 0, 770],
        ['idle:sleep', 'Totem', 'Playing a "video"', 'block', 1000, 4242],
      ],
    ]);
  });

  it('variants and dictionaries unwrap to the same shapes as gdbus gives', () => {
    expect(parseBusctlCallJson('{"type":"v","data":[{"type":"b","data":true}]}\n')).toEqual([true]);
    expect(
      parseBusctlCallJson(
        '{"type":"a{sv}","data":[{"IdleHint":{"type":"b","data":true},"Name":{"type":"s","data":"ana"}}]}\n',
      ),
    ).toEqual([{ IdleHint: true, Name: 'ana' }]);
  });

  it('get-property prints one line per property', () => {
    const out =
      '{"type":"b","data":true}\n{"type":"t","data":1700000000000000}\n{"type":"t","data":123456789}\n{"type":"b","data":false}\n';
    expect(parseBusctlPropertiesJson(out)).toEqual([true, 1700000000000000, 123456789, false]);
  });

  it('rejects text that is not its JSON', () => {
    expect(() => parseBusctlCallJson('t 12345\n')).toThrow(/not JSON/);
    expect(() => parseBusctlPropertiesJson('{"data":1}\n')).toThrow(/not a typed value/);
  });
});

describe('tool error messages', () => {
  it.each([
    [
      'gdbus',
      'Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.kde.Nothing was not provided by any .service files\n',
      'no-service',
      'org.freedesktop.DBus.Error.ServiceUnknown',
    ],
    [
      'busctl',
      'Call failed: The name org.kde.Nothing was not provided by any .service files\n',
      'no-service',
      undefined,
    ],
    [
      'gdbus',
      'Error: GDBus.Error:org.freedesktop.DBus.Error.NotSupported: GetSessionIdleTime is not supported on this platform\n',
      'not-supported',
      'org.freedesktop.DBus.Error.NotSupported',
    ],
    ['busctl', 'Call failed: GetSessionIdleTime is not supported on this platform\n', 'not-supported', undefined],
    [
      'gdbus',
      "Error: GDBus.Error:org.freedesktop.DBus.Error.UnknownObject: No such object path '/nope'\n",
      'no-object',
      'org.freedesktop.DBus.Error.UnknownObject',
    ],
    ['busctl', "Call failed: No such object path '/nope'\n", 'no-object', undefined],
    [
      'busctl',
      "Failed to get property Nope on interface org.freedesktop.login1.Session: No such property 'Nope'\n",
      'no-object',
      undefined,
    ],
    ['gdbus', 'Error connecting: Could not connect: No such file or directory\n', 'no-bus', undefined],
    ['gdbus', 'Error connecting: Cannot autolaunch D-Bus without X11 $DISPLAY\n', 'no-bus', undefined],
    ['busctl', 'Failed to connect to bus: No such file or directory\n', 'no-bus', undefined],
    [
      'busctl',
      'Failed to set bus address: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not defined (consider using --machine=<user>@.host --user to connect to bus of other user)\n',
      'no-bus',
      undefined,
    ],
    ['gdbus', 'Error: Timeout was reached\n', 'timeout', undefined],
    ['busctl', 'Call failed: Connection timed out\n', 'timeout', undefined],
  ] as const)('%s: %s', (tool, stderr, failure, dbusName) => {
    const e = describeToolError(tool, stderr);
    expect(e.failure).toBe(failure);
    expect(e.dbusName).toBe(dbusName);
    expect(e.message).not.toMatch(/^(Error|Call failed|GDBus)/);
  });
});

describe('logind hints', () => {
  const props = {
    idleHint: true,
    idleSinceUs: 1_700_000_000_000_000,
    idleSinceMonotonicUs: 5_000_000,
    lockedHint: false,
  };

  it('idle time from the monotonic stamp, else the realtime one', () => {
    expect(logindIdleRead(props, 65_000_000, 0)).toEqual({ idleSec: 60, locked: false });
    expect(logindIdleRead({ ...props, idleSinceMonotonicUs: 0 }, 0, 1_700_000_090_000_000)).toEqual({
      idleSec: 90,
      locked: false,
    });
  });

  it('not idle is 0 once the desktop maintains the hint; never set is unknown', () => {
    expect(logindIdleRead({ ...props, idleHint: false }, 65_000_000, 0)).toEqual({ idleSec: 0, locked: false });
    expect(
      logindIdleRead({ idleHint: false, idleSinceUs: 0, idleSinceMonotonicUs: 0, lockedHint: true }, 1, 1),
    ).toEqual({ idleSec: null, locked: true });
  });

  it('idle without any stamp is unknown; a stamp in the future clamps to 0', () => {
    expect(logindIdleRead({ ...props, idleSinceUs: 0, idleSinceMonotonicUs: 0 }, 1, 1).idleSec).toBeNull();
    expect(logindIdleRead(props, 1_000_000, 0).idleSec).toBe(0);
  });

  it('checks the property types', () => {
    expect(
      parseLogindProps({ IdleHint: true, IdleSinceHint: 1, IdleSinceHintMonotonic: 2, LockedHint: false }),
    ).toEqual({ idleHint: true, idleSinceUs: 1, idleSinceMonotonicUs: 2, lockedHint: false });
    expect(() =>
      parseLogindProps({ IdleHint: 'yes', IdleSinceHint: 1, IdleSinceHintMonotonic: 2, LockedHint: false }),
    ).toThrow(/IdleHint/);
    expect(() => parseLogindProps({ IdleHint: true, IdleSinceHint: 1, LockedHint: false })).toThrow(
      /IdleSinceHintMonotonic/,
    );
  });
});

describe('inhibitor lists', () => {
  it('GNOME: only inhibitors whose flags include idle (8)', () => {
    expect(gnomeIdleInhibitorName(8, 'org.gnome.Totem')).toBe('org.gnome.Totem');
    expect(gnomeIdleInhibitorName(12, 'firefox')).toBe('firefox');
    expect(gnomeIdleInhibitorName(4, 'org.gnome.Nautilus')).toBeNull();
    expect(gnomeIdleInhibitorName(8, '')).toBe('unnamed application');
  });

  it('logind: rows whose colon-separated "what" contains idle', () => {
    expect(
      logindIdleInhibitors([
        ['sleep', 'NetworkManager', 'x', 'delay', 0, 770],
        ['idle:sleep', 'Totem', 'Playing a "video"', 'block', 1000, 4242],
        ['shutdown:idle', 'backup', 'y', 'block', 0, 99],
        ['handle-idle-key', 'not-idle', 'z', 'block', 0, 1],
      ]),
    ).toEqual(['Totem', 'backup']);
    expect(logindIdleInhibitors(null)).toEqual([]);
  });
});
