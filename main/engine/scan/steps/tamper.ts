/**
 * The tamper step (after persistence), tampering and miner tuning: what a miner kit changes beyond starting its process. On
 * Linux, huge pages and msr writes (RandomX tuning), persistence files locked with chattr, and SSH
 * keys that let someone back in; on macOS the SSH keys; on Windows, Task Manager and other tools
 * disabled by policy or hijacked. Runs after the persistence step, whose files it checks for locks
 * and whose findings it adds to (a locked file cannot be cleaned until unlocked).
 */
import type { Severity } from '../../../../shared/detection.js';
import type { PersistenceKind, ScanFinding, ScanRule } from '../../../../shared/scan.js';
import { isDeleted } from '../../detect/provenance.js';
import { shellQuote } from '../config-files.js';
import { type NewFinding, ruleLabel, wholeFileRef } from '../findings.js';
import { findLsattr, lockOf, readFileFlags } from '../immutable-files.js';
import { userHomes } from '../linux-persistence.js';
import { collectTuning, type TuningSign, tuningFindings } from '../miner-tuning.js';
import { kindLabel, oddPlaceFinding } from '../persistence-checks.js';
import type { ScanContext } from '../scan-context.js';
import { scanAuthorizedKeys } from '../ssh-keys.js';
import { collectToolPolicies } from '../windows-tool-policies.js';
import { plural, type ScanState, type ScanStep } from './step.js';

const STEP = 'tamper' as const;

/** Evidence of a miner from the earlier steps, which makes tuning signs worse. */
const MINER_RULES: ReadonlySet<ScanRule> = new Set([
  'miner-signature',
  'miner-config',
  'pool-port-connection',
  'mining-domain',
]);

/** Files every Linux system may have that start programs or let someone in; locked, each is worth a look. */
const LOCKABLE_FILES: readonly { path: string; kind: PersistenceKind }[] = [
  { path: '/etc/ld.so.preload', kind: 'ld-preload' },
  { path: '/etc/crontab', kind: 'crontab' },
  { path: '/etc/rc.local', kind: 'rc-local' },
  { path: '/etc/environment', kind: 'shell-rc' },
];

/** Kinds whose entries are lines of files (the others live in a registry or a task store). */
const FILE_KINDS: ReadonlySet<PersistenceKind> = new Set([
  'crontab',
  'systemd',
  'autostart',
  'rc-local',
  'shell-rc',
  'ld-preload',
  'sysctl',
  'kernel-module',
  'ssh-key',
]);

/** Folders whose lock stops jobs, units, keys or settings from being added or removed. */
const LOCKABLE_FOLDERS: readonly { path: string; kind: PersistenceKind }[] = [
  { path: '/etc/cron.d', kind: 'crontab' },
  { path: '/var/spool/cron/crontabs', kind: 'crontab' },
  { path: '/var/spool/cron', kind: 'crontab' },
  { path: '/etc/systemd/system', kind: 'systemd' },
  { path: '/etc/xdg/autostart', kind: 'autostart' },
  { path: '/etc/profile.d', kind: 'shell-rc' },
  { path: '/etc/sysctl.d', kind: 'sysctl' },
  { path: '/etc/modprobe.d', kind: 'kernel-module' },
  { path: '/etc/modules-load.d', kind: 'kernel-module' },
];
const HOME_FOLDERS: readonly { path: string; kind: PersistenceKind }[] = [
  { path: '.ssh', kind: 'ssh-key' },
  { path: '.config/autostart', kind: 'autostart' },
  { path: '.config/systemd/user', kind: 'systemd' },
];

const RAISE: Record<Severity, Severity> = { low: 'medium', medium: 'high', high: 'high' };

function minerSeen(scan: ScanState): string | null {
  const f = scan.findings.all().find((x) => MINER_RULES.has(x.rule) && !x.allowlisted);
  if (!f) return null;
  const who = f.process ? ` (${f.process.name}, pid ${f.process.pid})` : '';
  return `${ruleLabel(f.rule)}${who}`;
}

async function homesOf(scan: ScanState, ctx: ScanContext): Promise<{ user: string; home: string }[]> {
  let homes: { user: string; home: string }[];
  if (scan.platform === 'darwin') {
    homes = ((await ctx.listDir(STEP, ctx.resolve('/Users'))) ?? [])
      .filter((u) => u !== 'Shared' && !u.startsWith('.'))
      .map((user) => ({ user, home: `/Users/${user}` }));
    homes.push({ user: 'root', home: '/var/root' });
  } else {
    homes = await userHomes(ctx);
    if (!homes.some((h) => h.home === '/root')) homes.push({ user: 'root', home: '/root' });
  }
  return homes;
}

/**
 * Locked files among `files`: a finding each, and a line of evidence on every other finding about
 * the same file (its removal fails until the flag is cleared). Returns what the step detail says.
 */
async function lockedFiles(
  scan: ScanState,
  ctx: ScanContext,
  files: Map<string, PersistenceKind>,
  lsattr: string,
): Promise<{ checked: number; locked: number; unsupported: number; failed: number }> {
  const paths = [...files.keys()];
  const r = await readFileFlags(ctx, scan.runTool, lsattr, paths);
  if (r.failed.length > 0) {
    for (const f of r.failed.slice(0, 20)) ctx.problem(STEP, f.path, `cannot read the flags of ${f.path}: ${f.reason}`);
  }
  if (r.unsupported.length > 0) {
    ctx.problem(
      STEP,
      r.unsupported[0] ?? null,
      `${plural(r.unsupported.length, 'file')} on a file system without chattr flags (tmpfs, FAT, network): not checked for locks, e.g. ${r.unsupported[0]}`,
    );
  }
  let locked = 0;
  for (const [path, flags] of r.flags) {
    const { immutable, appendOnly } = lockOf(flags);
    if (!immutable && !appendOnly) continue;
    locked++;
    const kind = files.get(path) ?? 'shell-rc';
    const how = immutable ? 'immutable (chattr +i)' : 'append-only (chattr +a)';
    const related = scan.findings.all().filter((f) => f.persistence?.file === path && f.rule !== 'immutable-file');
    for (const f of related) {
      f.evidence.push(
        `${path} is locked ${how}: removing this line fails, even as root, until the flag is cleared (chattr -${immutable ? 'i' : 'a'})`,
      );
    }
    const finding: NewFinding = {
      key: path,
      rule: 'immutable-file',
      severity: related.length > 0 ? 'high' : 'medium',
      title: `${kindLabel(kind)} locked against changes, ${how}: ${path}`,
      evidence: [
        `lsattr: ${flags} ${path}`,
        immutable
          ? 'an immutable file cannot be changed, renamed or deleted, even by root, until the flag is cleared: kits lock their persistence so it survives a clean-up'
          : 'an append-only file can only grow: lines in it cannot be removed, even by root, until the flag is cleared',
        ...(r.targets.get(path) !== path
          ? [`${path} is a link to ${r.targets.get(path)}, which is the locked file`]
          : []),
        ...related.slice(0, 10).map((f) => `the same file has this finding: ${f.title}`),
      ],
      persistence: wholeFileRef(kind, path),
      actions: [
        {
          kind: 'manual',
          text: `Review ${path}; if you did not lock it yourself, unlock it as root: chattr -i -a -- ${shellQuote(r.targets.get(path) ?? path)}, then remove what does not belong (Idlewatch's Remove works once it is unlocked). If the flag comes back, a process or job sets it again: look for one`,
        },
      ],
    };
    scan.findings.add(finding);
  }
  return { checked: r.flags.size, locked, unsupported: r.unsupported.length, failed: r.failed.length };
}

/**
 * Locked folders: nothing can be added to, removed from or replaced in them, so every Remove of a
 * line in one fails (the edited file is swapped in by a rename in the same folder).
 */
async function lockedFolders(
  scan: ScanState,
  ctx: ScanContext,
  folders: Map<string, PersistenceKind>,
  lsattr: string,
): Promise<{ checked: number; locked: number }> {
  const r = await readFileFlags(ctx, scan.runTool, lsattr, [...folders.keys()], 'dir');
  let locked = 0;
  for (const [path, flags] of r.flags) {
    const { immutable, appendOnly } = lockOf(flags);
    if (!immutable && !appendOnly) continue;
    locked++;
    const how = immutable ? 'immutable (chattr +i)' : 'append-only (chattr +a)';
    const inside = scan.findings
      .all()
      .filter((f) => f.persistence?.file?.startsWith(`${path}/`) && f.rule !== 'immutable-file');
    for (const f of inside) {
      f.evidence.push(
        `its folder ${path} is locked ${how}: removing this line fails, even as root, until the flag is cleared`,
      );
    }
    scan.findings.add({
      key: `${path}/`,
      rule: 'immutable-file',
      severity: inside.length > 0 ? 'high' : 'medium',
      title: `Folder locked against changes, ${how}: ${path}`,
      evidence: [
        `lsattr -d: ${flags} ${path}`,
        immutable
          ? 'no file in a locked folder can be added, removed, renamed or replaced, even by root: kits lock the folders of their jobs and keys so a clean-up fails'
          : 'files can only be added to an append-only folder, never removed',
        ...inside.slice(0, 10).map((f) => `a finding in it: ${f.title}`),
      ],
      persistence: wholeFileRef(folders.get(path) ?? 'crontab', path),
      actions: [
        {
          kind: 'manual',
          text: `If you did not lock it yourself, unlock it as root: chattr -i -a -- ${shellQuote(r.targets.get(path) ?? path)}, then review what is in it`,
        },
      ],
    });
  }
  return { checked: r.flags.size, locked };
}

/**
 * The program files of processes with findings: a locked one cannot be deleted or quarantined,
 * and nothing but a kit locks a program, so the process's findings say so and are raised a level.
 */
async function lockedPrograms(scan: ScanState, ctx: ScanContext, lsattr: string): Promise<number> {
  const byExe = new Map<string, ScanFinding[]>();
  for (const f of scan.findings.all()) {
    const exe = f.process?.exe;
    if (!exe || isDeleted(exe) || exe.startsWith('/memfd:') || !exe.startsWith('/')) continue;
    byExe.set(exe, [...(byExe.get(exe) ?? []), f]);
  }
  if (byExe.size === 0) return 0;
  // Live paths: a process's program is where the running system has it, whatever --root says.
  const r = await readFileFlags(ctx, scan.runTool, lsattr, [...byExe.keys()]);
  let locked = 0;
  for (const [exe, flags] of r.flags) {
    const { immutable, appendOnly } = lockOf(flags);
    if (!immutable && !appendOnly) continue;
    locked++;
    for (const f of byExe.get(exe) ?? []) {
      f.evidence.push(
        `its program ${exe} is locked ${immutable ? 'immutable (chattr +i)' : 'append-only (chattr +a)'}: it cannot be deleted or quarantined until the flag is cleared (chattr -i -a -- ${shellQuote(exe)}); kits lock their miners this way`,
      );
      f.severity = RAISE[f.severity];
    }
  }
  return locked;
}

export const tamperStep: ScanStep = async (scan, { ctx }) => {
  const { platform, findings } = scan;
  const parts: string[] = [];
  let partial = false;
  const oddBefore = ctx.oddPlaces.length;
  const add = (list: readonly NewFinding[]): ScanFinding[] => list.map((f) => findings.add(f));

  if (platform === 'win32') {
    const { findings: found, checked } = await collectToolPolicies(ctx, scan.runTool);
    add(found);
    parts.push(`${plural(checked, 'policy place')} read, ${plural(found.length, 'tool')} disabled or hijacked`);
  } else {
    let signs: TuningSign[] = [];
    if (platform === 'linux') {
      signs = await collectTuning(ctx, { procRoot: scan.procRoot, sysRoot: scan.options.sysRoot ?? '/sys' });
      add(tuningFindings(signs, minerSeen(scan)));
      for (const s of signs) {
        if (!s.ref || s.ref.line === null) continue;
        const { fileState: _state, ...entry } = s.ref;
        scan.persistence.push(entry);
      }
      const huge = signs.filter((s) => s.what === 'huge-pages').length;
      const msr = signs.filter((s) => s.what !== 'huge-pages').length;
      parts.push(
        huge + msr === 0
          ? 'no huge pages or msr writes set up'
          : `${plural(huge, 'huge-page setting')}, ${plural(msr, 'msr setting')}`,
      );
    }
    const homes = await homesOf(scan, ctx);
    const keys = await scanAuthorizedKeys(ctx, homes, scan.domains, scan.now());
    add(keys.findings);
    scan.persistence.push(...keys.entries);
    parts.push(
      `${plural(keys.keys, 'SSH key')} in ${plural(keys.files.length, 'file')}, ${keys.findings.length} to review`,
    );

    if (platform === 'linux') {
      const files = new Map<string, PersistenceKind>();
      for (const e of scan.persistence) if (e.file !== null && FILE_KINDS.has(e.kind)) files.set(e.file, e.kind);
      for (const f of findings.all()) {
        const p = f.persistence;
        if (p?.file && FILE_KINDS.has(p.kind) && !files.has(p.file)) files.set(p.file, p.kind);
      }
      for (const f of LOCKABLE_FILES) if (!files.has(ctx.resolve(f.path))) files.set(ctx.resolve(f.path), f.kind);
      for (const f of keys.files) if (!files.has(f)) files.set(f, 'ssh-key');
      const lsattr = scan.options.lsattr === undefined ? await findLsattr(ctx) : scan.options.lsattr;
      if (lsattr === null) {
        partial = true;
        ctx.problem(STEP, null, 'locked files (chattr +i) not checked: lsattr (e2fsprogs) is not installed here');
        parts.push('locked files not checked (no lsattr)');
      } else {
        const l = await lockedFiles(scan, ctx, files, lsattr);
        if (l.failed > 0) partial = true;
        const folders = new Map<string, PersistenceKind>();
        for (const f of LOCKABLE_FOLDERS) folders.set(ctx.resolve(f.path), f.kind);
        for (const h of homes) for (const f of HOME_FOLDERS) folders.set(ctx.resolve(`${h.home}/${f.path}`), f.kind);
        const dirs = await lockedFolders(scan, ctx, folders, lsattr);
        const lockedExes = await lockedPrograms(scan, ctx, lsattr);
        parts.push(
          `${plural(l.checked, 'file')} and ${plural(dirs.checked, 'folder')} checked for locks, ${l.locked + dirs.locked} locked${lockedExes > 0 ? `, ${plural(lockedExes, 'locked program')}` : ''}${l.unsupported > 0 ? `, ${l.unsupported} on file systems without the flags` : ''}`,
        );
      }
    } else {
      parts.push('locked files: not checked on macOS (its chflags flags are not read)');
    }
  }

  for (const o of ctx.oddPlaces.slice(oddBefore)) findings.add(oddPlaceFinding(o));
  const problems = ctx.problems.filter((p) => p.step === STEP).length;
  return {
    status: partial || problems > 0 ? 'partial' : 'ok',
    detail: `${parts.join('; ')}${problems > 0 ? `; ${plural(problems, 'place')} could not be read` : ''}`,
  };
};
