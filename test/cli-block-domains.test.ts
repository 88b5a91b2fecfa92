import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-cli-block-'));
beforeAll(() => {
  requireBuiltCli();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('idlewatch block-domains', () => {
  it('on, status, on again, off: the hosts file comes back byte for byte', () => {
    const root = join(dir, 'r1');
    const data = join(dir, 'd1');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(data);
    const original = '127.0.0.1 localhost\r\n10.0.0.5 nas.home';
    writeFileSync(join(root, 'etc', 'hosts'), original);
    const common = ['--root', root, '--data-dir', data];
    const on = cli(['block-domains', 'on', ...common]);
    expect(on.stderr).toBe('');
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^on: \d+ names blocked in .*etc\/hosts; the file as it was is kept at /);
    const status = cli(['block-domains', 'status', '--json', ...common]);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'on', upToDate: true });
    expect(cli(['block-domains', 'on', ...common]).stdout).toMatch(/^already on: .*nothing changed/);
    const off = cli(['block-domains', 'off', ...common]);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/back exactly as it was/);
    expect(readFileSync(join(root, 'etc', 'hosts'), 'latin1')).toBe(original);
  });

  it('usage errors, a bad list and a broken block: one line each, exit 2 or 1', () => {
    expect(cli(['block-domains']).code).toBe(2);
    const bad = cli(['block-domains', 'maybe']);
    expect(bad.stderr).toMatch(/^idlewatch block-domains: "maybe" is not on, off or status\n/);
    const root = join(dir, 'r2');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n');
    const list = join(dir, 'bad.txt');
    writeFileSync(list, 'fine.example\nnot fine.example\n');
    const r = cli(['block-domains', 'on', '--root', root, '--data-dir', dir, '--list', list]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `idlewatch block-domains: ${list}:2: "not fine.example" is not a domain name (contains a space); nothing was changed\n`,
    );
    writeFileSync(join(root, 'etc', 'hosts'), '# >>> Idlewatch: blocked mining domains >>>\n0.0.0.0 a.example\n');
    const broken = cli(['block-domains', 'off', '--root', root, '--data-dir', dir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/started at line 1 has no end marker/);
    expect(cli(['block-domains', 'status', '--root', root, '--data-dir', dir]).code).toBe(1);
  });

  it("--browsers writes and removes the installed browsers' policies", () => {
    const root = join(dir, 'r3');
    const data = join(dir, 'd3');
    mkdirSync(join(root, 'usr', 'lib', 'chromium'), { recursive: true });
    mkdirSync(data);
    const common = ['--browsers', '--root', root, '--data-dir', data];
    const on = cli(['block-domains', 'on', ...common]);
    expect(on.stderr).toBe('');
    expect(on.stdout).toMatch(/^on: \d+ names blocked by policy in Chromium\n$/);
    const status = cli(['block-domains', 'status', ...common]);
    expect(status.stdout).toMatch(/^Chromium {8}on {7}.*idlewatch-mining-block\.json$/m);
    expect(status.stdout).toMatch(/^Firefox {9}off {6}not installed$/m);
    expect(cli(['block-domains', 'off', ...common]).stdout).toMatch(/^off: the policies are as they were before/);
  });

  it('hosts-apply refuses a test root under a real pkexec', () => {
    const r = cli(['hosts-apply', '/nonexistent', 'a'.repeat(64), '--root', dir], { PKEXEC_UID: '1000' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--root is refused when run through pkexec/);
  });
});
