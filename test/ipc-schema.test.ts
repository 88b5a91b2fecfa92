import { describe, expect, it } from 'vitest';
import { API_EVENTS, API_INVOKE, buildApi } from '../shared/ipc.js';
import { INVOKE_ARG_SCHEMAS, IpcArgumentError, isInvokeChannel, validateInvoke } from '../shared/ipc-schema.js';

const target = { pid: 4242, startTimeMs: 1_795_700_000_000 };

describe('IPC argument validation', () => {
  it('has a schema for every channel the API can call, and no other', () => {
    expect(Object.keys(INVOKE_ARG_SCHEMAS).sort()).toEqual(Object.values(API_INVOKE).sort());
  });

  it('passes well-formed requests through unchanged', () => {
    expect(validateInvoke('process:kill', [target])).toEqual([target]);
    expect(validateInvoke('process:kill', [{ ...target, exe: '/usr/bin/x' }])).toEqual([
      { ...target, exe: '/usr/bin/x' },
    ]);
    expect(validateInvoke('settings:set', [{ idleThresholdSec: 120, sensitivity: 'high' }])).toEqual([
      { idleThresholdSec: 120, sensitivity: 'high' },
    ]);
    expect(validateInvoke('incidents:review', ['4242@1795700000000', true])).toEqual(['4242@1795700000000', true]);
    expect(validateInvoke('engine:setPaused', [null])).toEqual([null]);
    expect(validateInvoke('engine:snapshot', [])).toEqual([]);
  });

  it.each([
    ['process:kill', [{ pid: 0, startTimeMs: 1 }], /0\.pid: a pid is positive/],
    ['process:kill', [{ pid: -1, startTimeMs: 1 }], /a pid is positive/],
    ['process:kill', [{ pid: 2 ** 60, startTimeMs: 1 }], /whole number/],
    ['process:kill', [{ pid: '42', startTimeMs: 1 }], /0\.pid/],
    ['process:kill', [{ pid: 42, startTimeMs: Number.NaN }], /0\.startTimeMs/],
    ['process:kill', [{ pid: 42, startTimeMs: 1, signal: 'SIGKILL' }], /process:kill/],
    ['process:kill', [], /process:kill: expects 1 argument, got 0/],
    ['process:kill', [target, target], /process:kill/],
    ['process:pause', 'not a list', /process:pause: the arguments must be a list/],
    ['settings:set', [{ idleThresholdSec: 9 }], /idleThresholdSec/],
    ['settings:set', [{ samplingIntervalMs: 1e9 }], /samplingIntervalMs/],
    ['settings:set', [{ sensitivity: 'paranoid' }], /sensitivity/],
    ['settings:set', [JSON.parse('{"__proto__":{"polluted":true}}')], /settings:set/],
    ['allowlist:add', [{ exe: '' }], /executable path is empty/],
    ['allowlist:add', [{ exe: '/x', sha256: 'abc' }], /64 hex digits/],
    ['allowlist:add', [{ exe: '/x', args: { kind: 'regex', pattern: '.*' } }], /args/],
    ['incidents:review', ['../../etc/passwd', true], /PID@START/],
    ['allowlist:import', ['{}', 'overwrite'], /allowlist:import/],
    ['engine:setPaused', [-5], /engine:setPaused/],
  ] as const)('%s refuses %j', (channel, args, message) => {
    expect(() => validateInvoke(channel, args)).toThrow(IpcArgumentError);
    expect(() => validateInvoke(channel, args)).toThrow(message);
  });

  it('refuses channels outside the contract, including inherited property names', () => {
    for (const c of ['shell:exec', '__proto__', 'constructor', 'toString', 42, null]) {
      expect(isInvokeChannel(c)).toBe(false);
      expect(() => validateInvoke(c, [])).toThrow(/unknown channel/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('buildApi', () => {
  it('gives one function per channel and routes calls and events by the contract maps', async () => {
    const calls: [string, unknown[]][] = [];
    const subs: string[] = [];
    const api = buildApi(
      async (c, a) => {
        calls.push([c, a]);
        return 'ok';
      },
      (c) => {
        subs.push(c);
        return () => undefined;
      },
      API_INVOKE,
      API_EVENTS,
    );
    expect(Object.keys(api).sort()).toEqual([...Object.keys(API_INVOKE), ...Object.keys(API_EVENTS)].sort());
    expect(Object.isFrozen(api)).toBe(true);
    await api.kill(target);
    await api.setSettings({ notifications: false });
    expect(calls).toEqual([
      ['process:kill', [target]],
      ['settings:set', [{ notifications: false }]],
    ]);
    api.onNavigate(() => undefined);
    expect(subs).toEqual(['app:navigate']);
    expect(() => (api.onSample as unknown as (x: unknown) => void)('nope')).toThrow(/needs a function/);
  });
});
