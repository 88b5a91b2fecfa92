import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IpcArgumentError, validateInvoke } from '../shared/ipc-schema.js';
import { pkexecElevator } from '../main/engine/hosts/elevation.js';
import { hostsBlockHandlers } from '../main/engine/service/handlers/hosts-block.js';
import { REPO_ROOT } from './captured.js';

const base = mkdtempSync(join(tmpdir(), 'iw-svc-hosts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const SHIPPED = join(REPO_ROOT, 'data', 'mining-domains.txt');
const HOSTS = '127.0.0.1 localhost\n';

function machine(name: string) {
  const root = join(base, name);
  const dataDir = join(base, `${name}-data`);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(dataDir);
  writeFileSync(join(root, 'etc', 'hosts'), HOSTS);
  return { root, dataDir, hosts: join(root, 'etc', 'hosts') };
}

describe("the Settings screen's hosts block (engine handlers)", () => {
  it('shows the state, turns the block on and off, and the file comes back as it was', async () => {
    const m = machine('a');
    const h = hostsBlockHandlers({ dataDir: m.dataDir }, { root: m.root, shippedFile: SHIPPED });
    expect(await h['hosts:blockStatus']()).toMatchObject({ state: 'off', blocked: 0, hostsPath: m.hosts });
    const on = await h['hosts:setBlock'](true);
    expect(on).toMatchObject({ ok: true, changed: true, status: { state: 'on', upToDate: true } });
    expect(on.status.blocked).toBeGreaterThan(50);
    const off = await h['hosts:setBlock'](false);
    expect(off).toMatchObject({ ok: true, changed: true, status: { state: 'off' } });
    expect(readFileSync(m.hosts, 'utf8')).toBe(HOSTS);
  });

  it('a refused administrator prompt changes nothing, says so, and two clicks ask once', async () => {
    const m = machine('b');
    const fake = join(base, 'pkexec-refuses');
    const log = `${fake}.count`;
    writeFileSync(fake, `#!/bin/sh\necho x >> '${log}'\nsleep 1\nexit 126\n`, { mode: 0o755 });
    const elevator = pkexecElevator(
      { program: process.execPath, args: ['/nonexistent/idlewatch.js'] },
      { pkexec: fake },
    );
    const h = hostsBlockHandlers({ dataDir: m.dataDir }, { root: m.root, shippedFile: SHIPPED, elevator });
    const [first, second] = await Promise.all([h['hosts:setBlock'](true), h['hosts:setBlock'](true)]);
    expect(first).toBe(second);
    expect(first).toMatchObject({ ok: false, changed: false, code: 'refused', status: { state: 'off' } });
    expect(first.message).toMatch(/administrator rights were refused.*nothing was changed/);
    expect(readFileSync(log, 'utf8')).toBe('x\n');
    expect(readFileSync(m.hosts, 'utf8')).toBe(HOSTS);
    expect(existsSync(join(m.dataDir, 'hosts-block.json'))).toBe(false);
  });

  it('the channel takes only true or false from the window', () => {
    expect(validateInvoke('hosts:setBlock', [true])).toEqual([true]);
    expect(() => validateInvoke('hosts:setBlock', ['on'])).toThrow(IpcArgumentError);
    expect(() => validateInvoke('hosts:blockStatus', [1])).toThrow(IpcArgumentError);
  });
});
