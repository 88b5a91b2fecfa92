/**
 * Fault tests: `idlewatch scan --root DIR` (the built CLI, as a user runs it) against folders that
 * hold hostile files where the scan expects small text files. Each kind must end in a report
 * within 30 s, with each process (the CLI, the scan it starts) under 200 MB at its peak and the two
 * together under a 300 MB backstop, and the hostile file must show up in that report as a finding or a problem, never as a hang.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanFinding, ScanReport } from '../shared/scan.js';
import { type MeasuredRun, runMeasured } from './helpers/measured-run.js';
import { CLI } from './helpers/built-cli.js';

const linux = process.platform === 'linux';
const TIME_LIMIT_MS = 30_000;
/**
 * Peak RSS as `/usr/bin/time -v` and getrusage report it: the largest single process (the CLI or
 * the scan process it starts). The two together, an upper bound of what both held at once, get a
 * backstop too: Node 22's baseline is ~20 MB a process above Node 20's.
 */
const RSS_LIMIT_KIB = 200 * 1024;
const TREE_RSS_LIMIT_KIB = 300 * 1024;
const NOBODY = 65534;
/** Each case: the scan's 30 s, plus setting up the folder and parsing the report. */
const CASE_TIMEOUT_MS = 90_000;

const MINER_CRONTAB = '*/5 * * * * root /tmp/.x/kworker -o pool.supportxmr.com:3333 >/dev/null 2>&1\n';
const MINER_PROFILE = 'nohup /var/tmp/.cache/xmr --donate-level 1 >/dev/null 2>&1 &\n';

let base = '';
let dataDir = '';
const measured: { kind: string; wallMs: number; peakKiB: number; peaks: string }[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first`);
  base = mkdtempSync(join(tmpdir(), 'iw-hostile-'));
  chmodSync(base, 0o755);
  dataDir = join(base, 'data');
  mkdirSync(dataDir, { mode: 0o777 });
  chmodSync(dataDir, 0o777);
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
  // The figures the README quotes: printed, since a pass alone does not say how close each came.
  if (measured.length > 0) {
    console.log(
      measured
        .map(
          (m) =>
            `${m.kind.padEnd(34)} ${String(m.wallMs).padStart(6)} ms  ${(m.peakKiB / 1024).toFixed(0)} MB (${m.peaks})`,
        )
        .join('\n'),
    );
  }
});

function write(root: string, path: string, text: string, mode = 0o644): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}

/**
 * A small machine: one miner job in /etc/crontab (the control: it must still be found, whatever
 * else is in the folder), and alice's .profile kept as a link into a dotfiles folder, as many
 * people keep them (it must still be scanned).
 */
function machine(name: string): string {
  const root = join(base, name);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  write(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  write(root, 'etc/crontab', `SHELL=/bin/sh\n${MINER_CRONTAB}`);
  write(root, 'home/alice/dotfiles/profile', `# profile\n${MINER_PROFILE}`);
  symlinkSync('dotfiles/profile', join(root, 'home/alice/.profile'));
  return root;
}

const env = (): NodeJS.ProcessEnv => ({
  // No GPU tools, no desktop: the scan's other steps stay quick and alike on every machine.
  PATH: '/usr/bin:/bin',
  HOME: dataDir,
  XDG_DATA_HOME: dataDir,
  LANG: 'C.UTF-8',
});

async function scan(kind: string, root: string, opts: { asUser?: number; json?: boolean } = {}): Promise<MeasuredRun> {
  const cli = [CLI, 'scan', ...(opts.json === false ? [] : ['--json']), '--root', root];
  const [cmd, args] =
    opts.asUser === undefined
      ? [process.execPath, cli]
      : [
          'setpriv',
          ['--reuid', String(opts.asUser), '--regid', String(opts.asUser), '--clear-groups', process.execPath, ...cli],
        ];
  const r = await runMeasured(cmd, args, {
    env: env(),
    timeoutMs: TIME_LIMIT_MS,
    // Far above the limit: a scan reading /dev/zero is stopped before it takes the machine down.
    killAboveKiB: 1024 * 1024,
  });
  measured.push({
    kind,
    wallMs: r.wallMs,
    peakKiB: r.peakKiB,
    peaks: r.peaks.map((p) => `${p.name} ${(p.kib / 1024).toFixed(0)}`).join(' + '),
  });
  return r;
}

/** The run ended on its own, in time and within memory, with a report. */
function reportOf(r: MeasuredRun): ScanReport {
  expect(r.killed, `killed for ${r.killed}; stderr: ${r.stderr.slice(-2000)}`).toBeNull();
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  expect(r.wallMs).toBeLessThan(TIME_LIMIT_MS);
  expect(r.peaks[0]?.kib ?? 0).toBeLessThan(RSS_LIMIT_KIB);
  expect(r.peakKiB).toBeLessThan(TREE_RSS_LIMIT_KIB);
  return JSON.parse(r.stdout) as ScanReport;
}

function byFile(r: ScanReport, file: string): ScanFinding[] {
  return r.findings.filter((f) => f.persistence?.file === file);
}

/** The control entries were still found: one hostile file does not blind the scan to the rest. */
function expectControls(r: ScanReport, root: string): void {
  expect(byFile(r, join(root, 'etc/crontab')).map((f) => f.persistence?.line)).toEqual([2]);
  const profile = byFile(r, join(root, 'home/alice/.profile'));
  expect(profile.map((f) => f.persistence?.text)).toEqual([MINER_PROFILE.trimEnd()]);
}

function problemsAbout(r: ScanReport, path: string): string[] {
  return r.problems.filter((p) => p.path === path).map((p) => p.message);
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr}`);
}

describe.skipIf(!linux)('idlewatch scan --root against hostile files', () => {
  it(
    'reports ~/.bashrc linked to /dev/zero as a finding, and reads nothing from it',
    async () => {
      const root = machine('dev-zero');
      mkdirSync(join(root, 'home/alice'), { recursive: true });
      symlinkSync('/dev/zero', join(root, 'home/alice/.bashrc'));
      const report = reportOf(await scan('link to /dev/zero', root));
      const bashrc = join(root, 'home/alice/.bashrc');
      const found = byFile(report, bashrc);
      expect(found).toHaveLength(1);
      expect(found[0]?.title).toBe(
        `Shell start-up file: ${bashrc} is a link to /dev/zero, a character device, not a file`,
      );
      expect(found[0]?.severity).toBe('medium');
      expect(found[0]?.actions.some((a) => a.kind === 'remove-persistence')).toBe(false);
      expectControls(report, root);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'reports ~/.bashrc as a FIFO without blocking on it',
    async () => {
      const root = machine('fifo');
      const bashrc = join(root, 'home/alice/.bashrc');
      mkfifo(bashrc);
      const report = reportOf(await scan('FIFO', root));
      expect(byFile(report, bashrc).map((f) => f.title)).toEqual([
        `Shell start-up file: ${bashrc} is a named pipe (FIFO), not a file`,
      ]);
      expectControls(report, root);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'does not read a 2 GB sparse file, and says why',
    async () => {
      const root = machine('sparse');
      const bashrc = join(root, 'home/alice/.bashrc');
      writeFileSync(bashrc, '');
      truncateSync(bashrc, 2 * 1024 ** 3);
      write(root, 'etc/cron.d/big', '');
      truncateSync(join(root, 'etc/cron.d/big'), 2 * 1024 ** 3);
      const report = reportOf(await scan('2 GB sparse file', root));
      expect(byFile(report, bashrc).map((f) => f.title)).toEqual([
        `Shell start-up file: ${bashrc} is 2.0 GB, too large to check (the limit is 1 MB)`,
      ]);
      expect(byFile(report, join(root, 'etc/cron.d/big'))).toHaveLength(1);
      expectControls(report, root);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'reports a folder where a file is expected as a problem',
    async () => {
      const root = machine('folder');
      mkdirSync(join(root, 'home/alice/.bashrc'), { recursive: true });
      mkdirSync(join(root, 'etc/rc.local'), { recursive: true });
      const report = reportOf(await scan('folder instead of a file', root));
      for (const path of [join(root, 'home/alice/.bashrc'), join(root, 'etc/rc.local')]) {
        expect(problemsAbout(report, path)).toEqual([`cannot read ${path}: a folder where a file should be`]);
      }
      expectControls(report, root);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'reads only what it checked when files change between stat and read',
    async () => {
      const root = machine('changing');
      const hold = join(base, 'changing-hold');
      mkdirSync(hold);
      const SMALL = '0 3 * * * root /usr/bin/true\n';
      const targets: string[] = [];
      for (let i = 0; i < 40; i++) {
        const t = join(root, `etc/cron.d/job${i}`);
        write(root, `etc/cron.d/job${i}`, SMALL);
        writeFileSync(join(hold, `${i}.small`), SMALL);
        writeFileSync(join(hold, `${i}.big`), '');
        truncateSync(join(hold, `${i}.big`), 1536 * 1024 ** 2);
        mkfifo(join(hold, `${i}.fifo`));
        targets.push(t);
      }
      // Swaps each file, atomically, between a small crontab, a 1.5 GB sparse file and a FIFO, as
      // fast as it can, for as long as the scan runs.
      const swapper: ChildProcess = spawn(
        process.execPath,
        [
          '-e',
          `const fs = require('fs');
         const [hold, ...targets] = process.argv.slice(1);
         const kinds = ['small', 'big', 'fifo'];
         for (let n = 0; ; n++) {
           targets.forEach((t, i) => {
             const tmp = hold + '/' + i + '.tmp';
             try { fs.unlinkSync(tmp); } catch {}
             fs.linkSync(hold + '/' + i + '.' + kinds[(n + i) % 3], tmp);
             fs.renameSync(tmp, t);
           });
         }`,
          hold,
          ...targets,
        ],
        { stdio: 'ignore' },
      );
      try {
        const report = reportOf(await scan('file changing between stat and read', root));
        // Whatever each file was when it was opened, nothing but the small crontab's line was read.
        const seen = report.persistence.filter((p) => p.file?.startsWith(join(root, 'etc/cron.d/')));
        for (const p of seen) expect(p.text).toBe(SMALL.trimEnd());
        expectControls(report, root);
      } finally {
        swapper.kill('SIGKILL');
      }
    },
    CASE_TIMEOUT_MS,
  );

  const canDropPrivileges =
    linux &&
    process.getuid?.() === 0 &&
    spawnSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'true']).status === 0;

  // Root reads every file whatever its mode, so the unreadable case runs the CLI as nobody; run by
  // someone else, the file is unreadable to them anyway.
  it(
    'reports an unreadable file as a problem',
    async () => {
      const root = machine('unreadable');
      const secret = join(root, 'etc/cron.d/secret');
      write(root, 'etc/cron.d/secret', MINER_CRONTAB, 0o000);
      if (process.getuid?.() === 0 && !canDropPrivileges) {
        // Unreachable on the CI image (root with setpriv); said, not silently passed.
        console.warn('running as root without setpriv: the unreadable-file case cannot be made');
        return;
      }
      const r = await scan('unreadable file', root, { asUser: process.getuid?.() === 0 ? NOBODY : undefined });
      const report = reportOf(r);
      expect(problemsAbout(report, secret)).toEqual([`cannot read ${secret}: permission denied`]);
      expectControls(report, root);
    },
    CASE_TIMEOUT_MS,
  );

  it('checks a cron folder of 100,000 entries within its limits, and says it was cut short', async () => {
    const root = machine('crowded');
    const cronD = join(root, 'etc/cron.d');
    mkdirSync(cronD, { recursive: true });
    // Hard links (ext4 allows 65,000 per file): 100,000 entries without 100,000 files' worth of writes.
    const seeds = [0, 1].map((i) => join(base, `crowded-seed-${i}`));
    for (const seed of seeds) writeFileSync(seed, '0 4 * * * root /usr/bin/true\n');
    for (let i = 0; i < 100_000; i++) linkSync(seeds[i % 2] as string, join(cronD, `job${String(i).padStart(6, '0')}`));
    const report = reportOf(await scan('100,000 entries in a cron folder', root));
    const crowded = byFile(report, cronD);
    expect(crowded.map((f) => f.title)).toEqual([
      `Scheduled job (cron): ${cronD} holds more than 10,000 entries; only 10,000 were checked`,
    ]);
    // Each of the 10,000 was read (the step counts them); the report lists at most 2,000 harmless
    // entries, and says how many more there were.
    expect(report.steps.find((s) => s.id === 'persistence')?.detail).toMatch(/^10,00\d entries/);
    const listed = report.persistence.filter((p) => p.file?.startsWith(`${cronD}/`)).length;
    expect(listed).toBeLessThanOrEqual(2_000);
    expect(listed).toBeGreaterThan(1_990);
    expect(report.problems.map((p) => p.message)).toContain(
      `${(10_000 - listed).toLocaleString('en-US')} harmless entries not listed in this report: it lists at most 2,000`,
    );
    expectControls(report, root);
    rmSync(cronD, { recursive: true, force: true });
  }, 180_000);

  it(
    'scans a file whose name has a newline and invalid UTF-8, and prints it safely',
    async () => {
      const root = machine('odd-names');
      const rawName = Buffer.concat([Buffer.from('evil\nname'), Buffer.from([0xff, 0xfe])]);
      mkdirSync(join(root, 'etc/cron.d'), { recursive: true });
      writeFileSync(Buffer.concat([Buffer.from(`${root}/etc/cron.d/`), rawName]), MINER_CRONTAB);
      const report = reportOf(await scan('newline and invalid UTF-8 in a name', root));
      const shown = join(root, 'etc/cron.d', 'evil\nname\ufffd\ufffd');
      const found = byFile(report, shown);
      expect(found).toHaveLength(1);
      expect(found[0]?.persistence?.text).toBe(MINER_CRONTAB.trimEnd());
      // The name cannot be written back byte for byte from the report: no automatic removal.
      expect(found[0]?.actions.some((a) => a.kind === 'remove-persistence')).toBe(false);
      expectControls(report, root);

      const table = await scan('newline and invalid UTF-8 (table)', root, { json: false });
      expect(table.code).toBe(0);
      // Each finding stays one line: the newline in the name is shown, not printed.
      const line = table.stdout.split('\n').find((l) => l.includes('evil'));
      expect(line).toBeDefined();
      expect(line).toMatch(/^HIGH\s+persistence\s+.*evil\?name/);
    },
    CASE_TIMEOUT_MS,
  );
});
