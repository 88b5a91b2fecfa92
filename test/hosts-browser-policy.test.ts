import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  browserPoliciesOff,
  browserPoliciesOn,
  browserPolicyStatus,
  firefoxWith,
  POLICY_FILE_NAME,
} from '../main/engine/hosts/browser-policy.js';

const base = mkdtempSync(join(tmpdir(), 'iw-policy-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A fake root with Chromium and Firefox installed (Chrome, Edge and Brave not), and an empty data folder. */
function machine(firefoxPolicies: string | null) {
  const root = join(base, `r${++n}`);
  const dataDir = join(base, `d${n}`);
  mkdirSync(join(root, 'usr', 'lib', 'chromium'), { recursive: true });
  mkdirSync(join(root, 'usr', 'lib', 'firefox-esr'), { recursive: true });
  mkdirSync(join(root, 'etc', 'firefox', 'policies'), { recursive: true });
  mkdirSync(dataDir);
  const ff = join(root, 'etc', 'firefox', 'policies', 'policies.json');
  if (firefoxPolicies !== null) writeFileSync(ff, firefoxPolicies);
  return {
    root,
    dataDir,
    ff,
    chromium: join(root, 'etc', 'chromium', 'policies', 'managed', POLICY_FILE_NAME),
    opts: { root, dataDir, platform: 'linux' as const },
  };
}

const FF =
  '{\n    "policies": {\n        "DisableTelemetry": true,\n        "WebsiteFilter": { "Block": ["*://*.casino.example/*"] }\n    }\n}';

describe('browser policies on a fake root', () => {
  it('on writes Chromium URLBlocklist and Firefox WebsiteFilter for the installed browsers; off restores both exactly', async () => {
    const m = machine(FF);
    const on = await browserPoliciesOn(m.opts, ['coinhive.com', 'minexmr.com']);
    expect(on).toMatchObject({
      ok: true,
      changed: true,
      message: 'on: 2 names blocked by policy in Chromium, Firefox',
    });
    expect(JSON.parse(readFileSync(m.chromium, 'utf8'))).toEqual({ URLBlocklist: ['coinhive.com', 'minexmr.com'] });
    const ff = JSON.parse(readFileSync(m.ff, 'utf8'));
    expect(ff.policies.DisableTelemetry).toBe(true);
    expect(ff.policies.WebsiteFilter.Block).toEqual([
      '*://*.casino.example/*',
      '*://*.coinhive.com/*',
      '*://*.minexmr.com/*',
    ]);
    expect(existsSync(join(m.root, 'etc', 'opt', 'chrome'))).toBe(false);
    const status = await browserPolicyStatus(m.opts);
    expect(status.filter((s) => s.installed).map((s) => [s.browser, s.state])).toEqual([
      ['chromium', 'on'],
      ['firefox', 'on'],
    ]);
    expect((await browserPoliciesOn(m.opts, ['coinhive.com', 'minexmr.com'])).changed).toBe(false);

    const off = await browserPoliciesOff(m.opts);
    expect(off).toMatchObject({ ok: true, changed: true });
    expect(existsSync(m.chromium)).toBe(false);
    expect(readFileSync(m.ff, 'utf8')).toBe(FF);
    expect((await browserPolicyStatus(m.opts)).every((s) => s.state === 'off')).toBe(true);
  });

  it('a Firefox without policies.json gets one, and off removes it again', async () => {
    const m = machine(null);
    await browserPoliciesOn(m.opts, ['coinhive.com']);
    expect(JSON.parse(readFileSync(m.ff, 'utf8'))).toEqual({
      policies: { WebsiteFilter: { Block: ['*://*.coinhive.com/*'] } },
    });
    await browserPoliciesOff(m.opts);
    expect(existsSync(m.ff)).toBe(false);
  });

  it("refuses a policy file that is not Idlewatch's, an invalid policies.json, and a file changed since", async () => {
    const m = machine('{ not json');
    mkdirSync(join(m.chromium, '..'), { recursive: true });
    const r = await browserPoliciesOn(m.opts, ['coinhive.com']);
    expect(r).toMatchObject({ ok: false, code: 'failed' });
    expect(r.message).toMatch(/policies.json is not valid JSON/);
    expect(readFileSync(m.ff, 'utf8')).toBe('{ not json');

    const m2 = machine(FF);
    mkdirSync(join(m2.chromium, '..'), { recursive: true });
    writeFileSync(m2.chromium, '{"URLBlocklist": ["example.com"]}');
    const r2 = await browserPoliciesOn(m2.opts, ['coinhive.com']);
    expect(r2.message).toMatch(/exists and is not Idlewatch's; nothing was changed/);

    const m3 = machine(FF);
    await browserPoliciesOn(m3.opts, ['coinhive.com']);
    writeFileSync(m3.ff, readFileSync(m3.ff, 'utf8').replace('"DisableTelemetry": true', '"DisableTelemetry": false'));
    expect((await browserPolicyStatus(m3.opts)).find((s) => s.browser === 'firefox')?.state).toBe('changed');
    const off = await browserPoliciesOff(m3.opts);
    expect(off).toMatchObject({ ok: false, code: 'failed' });
    expect(off.message).toMatch(/policies.json changed since Idlewatch wrote it and was left as it is/);
    expect(existsSync(m3.chromium)).toBe(false);
  });

  it('says where it cannot write: Windows and macOS, and / when not root', async () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const r = await browserPoliciesOn({ dataDir: base, platform, root: base }, ['coinhive.com']);
      expect(r).toMatchObject({ ok: false, code: 'unavailable' });
    }
    expect(firefoxWith(null, ['a.example'])).toContain('*://*.a.example/*');
  });
});
