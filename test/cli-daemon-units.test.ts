// The service definitions: the files in deploy/ are exactly what `idlewatch daemon --print-unit`
// writes for the shipped install path (one text, so they cannot drift), the options given with
// --print-unit reach ExecStart quoted for systemd and escaped for XML, and the definitions parse
// with systemd-analyze and plistlib where those exist.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEPLOY_EXEC, DEPLOY_FILES, renderUnit, UNIT_KINDS } from '../main/cli/service-units.js';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const root = resolve(__dirname, '..');
const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

describe('service definitions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-units-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(UNIT_KINDS)('deploy/ holds what --print-unit %s writes', (kind) => {
    const file = readFileSync(join(root, DEPLOY_FILES[kind]), 'utf8');
    expect(file).toBe(renderUnit(kind, { exec: [DEPLOY_EXEC], args: ['--print-unit', kind, '--exec', DEPLOY_EXEC] }));
  });

  it('the built CLI prints the same text, and by default runs node and its own script by full path', () => {
    requireBuiltCli();
    for (const kind of UNIT_KINDS) {
      const out = execFileSync(process.execPath, [CLI, 'daemon', '--print-unit', kind, '--exec', DEPLOY_EXEC], {
        encoding: 'utf8',
      });
      expect(out).toBe(readFileSync(join(root, DEPLOY_FILES[kind]), 'utf8'));
    }
    const own = execFileSync(process.execPath, [CLI, 'daemon', '--print-unit', 'systemd-user'], { encoding: 'utf8' });
    expect(own).toContain(`ExecStart=${process.execPath} ${CLI} daemon\n`);
  });

  it('options given with --print-unit go into ExecStart; a bad kind is a usage error', () => {
    const unit = renderUnit('systemd-user', {
      exec: ['/opt/my tools/idlewatch'],
      args: ['--print-unit=systemd-user', '--metrics', '0.0.0.0:9464', '--data-dir', '/srv/50%/iw"x'],
    });
    expect(unit).toContain(
      'ExecStart="/opt/my tools/idlewatch" daemon --metrics 0.0.0.0:9464 --data-dir "/srv/50%%/iw\\"x"\n',
    );
    const system = renderUnit('systemd-system', { exec: ['/usr/bin/idlewatch'], args: [] });
    expect(system).toContain('ExecStart=/usr/bin/idlewatch daemon --data-dir /var/lib/idlewatch\n');
    expect(system).toContain('StateDirectory=idlewatch\n');
    const plist = renderUnit('launchd', { exec: ['/Users/a&b/<idlewatch>'], args: ['--metrics', '9464'] });
    expect(plist).toContain('<string>/Users/a&amp;b/&lt;idlewatch&gt;</string>');
    expect(plist).toContain('<string>--metrics</string>\n    <string>9464</string>');
    if (existsSync(CLI)) {
      const bad = spawnSync(process.execPath, [CLI, 'daemon', '--print-unit', 'upstart'], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('--print-unit must be one of systemd-user, systemd-system, launchd, got "upstart"');
    }
  });

  it.skipIf(!has('systemd-analyze'))('systemd-analyze verify accepts both units (needs systemd-analyze)', () => {
    // verify also checks that ExecStart's program exists: point it at an executable copy.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const exe = join(bin, 'idlewatch');
    copyFileSync('/bin/true', exe);
    chmodSync(exe, 0o755);
    for (const kind of ['systemd-user', 'systemd-system'] as const) {
      const unitDir = join(dir, kind);
      mkdirSync(unitDir, { recursive: true });
      const path = join(unitDir, 'idlewatch.service');
      writeFileSync(path, renderUnit(kind, { exec: [exe], args: ['--metrics', '127.0.0.1:9464'] }));
      const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      // Unknown keys, bad sections and unparsable lines are reported on stderr with the file name.
      const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('idlewatch.service'));
      expect(complaints, complaints.join('\n')).toEqual([]);
    }
  });

  it('the packages carry deploy/ (electron-builder extraResources)', () => {
    const yml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
    expect(yml).toMatch(/^extraResources:\n {2}- from: deploy\n {4}to: deploy\n/m);
    for (const f of [
      ...Object.values(DEPLOY_FILES),
      'deploy/prometheus/alerts.yml',
      'deploy/grafana/idlewatch.json',
      'deploy/windows/scheduled-task.md',
    ])
      expect(existsSync(join(root, f)), f).toBe(true);
  });

  it.skipIf(!has('python3'))('the launchd plist parses as a property list (needs python3)', () => {
    const out = execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys,json; d=plistlib.load(open(sys.argv[1],"rb")); print(json.dumps(d))',
        join(root, DEPLOY_FILES.launchd),
      ],
      { encoding: 'utf8' },
    );
    const parsed = JSON.parse(out) as { Label: string; ProgramArguments: string[]; RunAtLoad: boolean };
    expect(parsed.Label).toBe('org.idlewatch.daemon');
    expect(parsed.ProgramArguments).toEqual([DEPLOY_EXEC, 'daemon']);
    expect(parsed.RunAtLoad).toBe(true);
  });
});
