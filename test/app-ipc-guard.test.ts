// The check in front of every ipcMain.handle: our window, our origin, a known channel, valid arguments.
import { describe, expect, it } from 'vitest';
import { guardInvoke, isAppUrl, UntrustedSenderError } from '../main/app/ipc-guard.js';
import { API_INVOKE } from '../shared/ipc.js';
import { IpcArgumentError } from '../shared/ipc-schema.js';

const OURS = 7;
const fromUs = { frameUrl: 'app://idlewatch/index.html#/incidents', webContentsId: OURS };

describe('guardInvoke', () => {
  it('passes a valid request from our window and returns the validated arguments', () => {
    expect(guardInvoke('engine:snapshot', [], fromUs, OURS)).toEqual({ channel: 'engine:snapshot', args: [] });
    const target = { pid: 4242, startTimeMs: 1_700_000_000_000, exe: '/tmp/.x/xmrig' };
    expect(guardInvoke('process:kill', [target], fromUs, OURS)).toEqual({ channel: 'process:kill', args: [target] });
  });

  it('refuses other web contents, and any request while no window exists', () => {
    expect(() => guardInvoke('engine:snapshot', [], { ...fromUs, webContentsId: 8 }, OURS)).toThrow(
      UntrustedSenderError,
    );
    expect(() => guardInvoke('engine:snapshot', [], fromUs, null)).toThrow(
      'engine:snapshot: refused, the request does not come from the Idlewatch window',
    );
  });

  it('refuses frames that are not our app:// origin', () => {
    for (const frameUrl of [
      'file:///opt/Idlewatch/resources/app.asar/out/renderer/index.html',
      'https://idlewatch/index.html',
      'app://idlewatch.evil.example/index.html',
      'app://evil/index.html',
      'app://user:pw@idlewatch/index.html',
      'http://127.0.0.1:5173/',
      'about:blank',
      '',
      null,
      undefined,
    ]) {
      expect(() => guardInvoke('engine:snapshot', [], { frameUrl, webContentsId: OURS }, OURS)).toThrow(
        /does not come from an app:\/\/idlewatch page/,
      );
    }
  });

  it('refuses unknown channels and bad arguments with the schema message', () => {
    expect(() => guardInvoke('shell:exec', ['rm -rf /'], fromUs, OURS)).toThrow(IpcArgumentError);
    expect(() => guardInvoke('process:kill', [{ pid: 1.5, startTimeMs: 0 }], fromUs, OURS)).toThrow(
      'process:kill: invalid argument 0.pid: a pid is a whole number',
    );
    expect(() => guardInvoke('process:kill', [{ pid: 1, startTimeMs: 0, extra: true }], fromUs, OURS)).toThrow(
      IpcArgumentError,
    );
    expect(() => guardInvoke('engine:setPaused', [], fromUs, OURS)).toThrow(IpcArgumentError);
    expect(() => guardInvoke('__proto__', [], fromUs, OURS)).toThrow(/unknown channel/);
  });

  it('knows every channel the preload exposes', () => {
    for (const channel of Object.values(API_INVOKE)) {
      expect(() => guardInvoke(channel, ['definitely wrong', 1, 2, 3], fromUs, OURS)).toThrow(IpcArgumentError);
    }
  });
});

describe('isAppUrl', () => {
  it('is exact about scheme and host', () => {
    expect(isAppUrl('app://idlewatch/')).toBe(true);
    expect(isAppUrl('app://idlewatch/index.html?x=1')).toBe(true);
    expect(isAppUrl('app://IDLEWATCH/')).toBe(true); // hosts are case-insensitive in standard schemes
    expect(isAppUrl('app://idlewatch:8080/')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});
