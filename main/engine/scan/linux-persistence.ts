/**
 * Linux persistence entries: crontabs, systemd units outside the vendor folders, XDG autostart
 * entries, /etc/rc.local, shell start-up files and /etc/ld.so.preload. Every path is read under the
 * scan's root, so a mounted disk or a test folder can be checked like the live system.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { PersistenceKind } from '../../../shared/scan.js';
import type { CollectedEntry } from './persistence-types.js';
import type { ScanContext } from './scan-context.js';

const STEP = 'persistence' as const;
const MAX_FILE = 1024 * 1024;

interface LineEntry {
  line: number;
  text: string;
  command: string;
  runAs: string | null;
}

// ---------------------------------------------------------------------------------------------
// Line parsers (pure).

const ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*\s*=/;
const SYSTEM_CRON = /^\s*(@\w+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(\S+)\s+(\S.*)$/;
const USER_CRON = /^\s*(@\w+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(\S.*)$/;
const ANACRON = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S.*)$/;

export type CrontabFlavour = 'system' | 'user' | 'anacron';

/**
 * One crontab line: the command and, in system crontabs, the user it runs as. Comments, blank
 * lines and environment settings yield null, except a setting of LD_PRELOAD (it applies to every
 * job below it).
 */
export function parseCrontabLine(
  text: string,
  flavour: CrontabFlavour,
): { command: string; runAs: string | null } | null {
  const t = text.trim();
  if (t === '' || t.startsWith('#')) return null;
  if (ASSIGN.test(t)) return /^LD_PRELOAD\s*=/.test(t) ? { command: t, runAs: null } : null;
  if (flavour === 'anacron') {
    const m = ANACRON.exec(t);
    return m?.[4] ? { command: m[4], runAs: 'root' } : null;
  }
  if (flavour === 'system') {
    const m = SYSTEM_CRON.exec(t);
    return m?.[3] ? { command: m[3], runAs: m[2] ?? null } : null;
  }
  const m = USER_CRON.exec(t);
  return m?.[2] ? { command: m[2], runAs: null } : null;
}

const EXEC_KEY = /^\s*(Exec(?:Start|StartPre|StartPost|Reload|Stop|StopPost|Condition))\s*=\s*(.*)$/;

/** ExecStart= and kin of a unit file (their `@-:+!|` prefixes dropped), and LD_PRELOAD environment settings. */
export function parseUnitLine(text: string): string | null {
  const m = EXEC_KEY.exec(text);
  if (m) {
    const cmd = (m[2] ?? '').replace(/^[@\-:+!|]+/, '').trim();
    return cmd === '' ? null : cmd;
  }
  const env = /^\s*Environment\s*=\s*(.*)$/.exec(text);
  if (env?.[1]?.includes('LD_PRELOAD')) return env[1].replace(/^"|"$/g, '');
  return null;
}

/** Exec= of a .desktop file (field codes like %u kept: they are arguments). */
export function parseDesktopLine(text: string): string | null {
  const m = /^\s*Exec\s*=\s*(.*)$/.exec(text);
  const cmd = m?.[1]?.trim();
  return cmd ? cmd : null;
}

const SHELL_SYNTAX =
  /^(?:if|then|else|elif|fi|do|done|esac|case|for|while|until|exit(?:\s+\d+)?|return(?:\s+\d+)?|\{|\}|set\s+-\w+|true|:)(?:\s|;|$)/;

/** A line of a shell script that does something (not a comment, not bare syntax). */
export function scriptCommand(text: string): string | null {
  const t = text.trim();
  if (t === '' || t.startsWith('#') || SHELL_SYNTAX.test(t)) return null;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Reading.

interface FileSpec {
  /** System path (`/etc/crontab`); read under the root. */
  path: string;
  kind: PersistenceKind;
  home: string | null;
  shellScript: boolean;
  parse: (text: string) => { command: string; runAs: string | null } | null;
  /** User the whole file runs as (a user crontab's owner). */
  runAs?: string | null;
}

async function readEntries(ctx: ScanContext, spec: FileSpec, onDisk?: string): Promise<CollectedEntry[]> {
  const file = onDisk ?? ctx.resolve(spec.path);
  const buf = await ctx.readText(STEP, file, MAX_FILE);
  if (buf === null) return [];
  let mtimeMs = 0;
  try {
    mtimeMs = (await ctx.fs.stat(file)).mtimeMs;
  } catch {
    // removed since it was read: the fingerprint's hash still protects a later removal
  }
  const fileState = { size: buf.length, mtimeMs, sha256: createHash('sha256').update(buf).digest('hex') };
  const lines = buf.toString('utf8').split('\n');
  const out: CollectedEntry[] = [];
  const parsed: LineEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] ?? '').replace(/\r$/, '');
    const p = spec.parse(text);
    if (p) parsed.push({ line: i + 1, text, command: p.command, runAs: p.runAs ?? spec.runAs ?? null });
  }
  for (const p of parsed) {
    out.push({
      kind: spec.kind,
      file,
      line: p.line,
      text: p.text,
      command: p.command,
      location: null,
      runAs: p.runAs,
      fileState,
      home: spec.home,
      shellScript: spec.shellScript,
      notes: [],
    });
  }
  return out;
}

/** Files of a folder that pass `keep`, as system paths. A missing folder is normal; an unreadable one is reported. */
async function filesIn(ctx: ScanContext, dir: string, keep: (name: string) => boolean): Promise<string[]> {
  const names = await ctx.listDir(STEP, ctx.resolve(dir));
  if (!names) return [];
  return names.filter(keep).map((n) => posix.join(dir, n));
}

interface Home {
  user: string;
  home: string;
}

/** Login users' homes, from passwd and /home, as system paths. */
export async function userHomes(ctx: ScanContext): Promise<Home[]> {
  const homes = new Map<string, Home>();
  const passwd = await ctx.readText(STEP, ctx.resolve('/etc/passwd'), MAX_FILE);
  for (const line of passwd?.toString('utf8').split('\n') ?? []) {
    const f = line.split(':');
    const user = f[0];
    const uid = Number(f[2]);
    const home = f[5];
    if (!user || !home?.startsWith('/') || home === '/') continue;
    if (uid === 0 || home.startsWith('/home/') || (uid >= 1000 && uid < 65534)) homes.set(home, { user, home });
  }
  for (const name of (await ctx.listDir(STEP, ctx.resolve('/home'))) ?? []) {
    const home = `/home/${name}`;
    if (!homes.has(home)) homes.set(home, { user: name, home });
  }
  return [...homes.values()];
}

const VENDOR_UNIT = /^\/(?:usr\/)?lib\/systemd\/|^\/etc\/systemd\//;

/**
 * Unit files of one folder: *.service files and their drop-ins (`foo.service.d/*.conf`). A unit
 * linked in from elsewhere (`systemctl link`) is read where it lies; masked units (linked to
 * /dev/null) and links into the vendor folders are skipped.
 */
async function unitFiles(ctx: ScanContext, dir: string): Promise<{ path: string; onDisk: string }[]> {
  const names = await ctx.listDir(STEP, ctx.resolve(dir));
  if (!names) return [];
  const out: { path: string; onDisk: string }[] = [];
  for (const name of names) {
    const path = posix.join(dir, name);
    const onDisk = ctx.resolve(path);
    if (name.endsWith('.service.d')) {
      const drop = await ctx.listDir(STEP, onDisk);
      for (const d of drop ?? [])
        if (d.endsWith('.conf')) out.push({ path: posix.join(path, d), onDisk: posix.join(onDisk, d) });
      continue;
    }
    if (!name.endsWith('.service')) continue;
    let st: Awaited<ReturnType<ScanContext['fs']['lstat']>>;
    try {
      st = await ctx.fs.lstat(onDisk);
    } catch (e) {
      await ctx.readProblem(STEP, onDisk, e);
      continue;
    }
    if (st.kind === 'link') {
      const target = await ctx.fs.readlink(onDisk).catch(() => null);
      if (target === null || target === '/dev/null') continue;
      const abs = target.startsWith('/') ? target : posix.join(dir, target);
      if (VENDOR_UNIT.test(abs)) continue;
      out.push({ path: abs, onDisk: ctx.resolve(abs) });
    } else {
      out.push({ path, onDisk });
    }
  }
  return out;
}

/** Which .timer starts which service, so a suspicious service says it is scheduled. */
async function timersOf(ctx: ScanContext, dir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const path of await filesIn(ctx, dir, (n) => n.endsWith('.timer'))) {
    const buf = await ctx.readText(STEP, ctx.resolve(path), MAX_FILE);
    if (!buf) continue;
    const unit =
      /^\s*Unit\s*=\s*(\S+)/m.exec(buf.toString('utf8'))?.[1] ?? posix.basename(path).replace(/\.timer$/, '.service');
    map.set(unit, path);
  }
  return map;
}

const SHELL_RC_FILES = [
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.profile',
  '.zshrc',
  '.zprofile',
  '.zshenv',
  '.zlogin',
];
const SYSTEM_SHELL_FILES = [
  '/etc/profile',
  '/etc/bash.bashrc',
  '/etc/bashrc',
  '/etc/zsh/zshrc',
  '/etc/zsh/zprofile',
  '/etc/zshenv',
];

export async function collectLinuxPersistence(ctx: ScanContext): Promise<CollectedEntry[]> {
  const homes = await userHomes(ctx);
  const homeOf = new Map(homes.map((h) => [h.user, h.home]));
  homeOf.set('root', homeOf.get('root') ?? '/root');
  const out: CollectedEntry[] = [];
  const add = async (spec: FileSpec, onDisk?: string): Promise<void> => {
    ctx.checkAbort();
    out.push(...(await readEntries(ctx, spec, onDisk)));
  };
  const cron =
    (flavour: CrontabFlavour, runAs: string | null = null) =>
    (text: string) => {
      const p = parseCrontabLine(text, flavour);
      return p ? { command: p.command, runAs: p.runAs ?? runAs } : null;
    };
  const script = (text: string) => {
    const c = scriptCommand(text);
    return c ? { command: c, runAs: null } : null;
  };

  // Crontabs: the system's, cron.d (both with a user field), users' spools (Debian and Red Hat layouts).
  await add({ path: '/etc/crontab', kind: 'crontab', home: '/root', shellScript: false, parse: cron('system') });
  await add({ path: '/etc/anacrontab', kind: 'crontab', home: '/root', shellScript: false, parse: cron('anacron') });
  for (const path of await filesIn(ctx, '/etc/cron.d', (n) => !n.startsWith('.'))) {
    await add({ path, kind: 'crontab', home: '/root', shellScript: false, parse: cron('system') });
  }
  for (const spool of ['/var/spool/cron/crontabs', '/var/spool/cron']) {
    for (const path of await filesIn(
      ctx,
      spool,
      (n) => !n.startsWith('.') && n !== 'crontabs' && n !== 'atjobs' && n !== 'atspool',
    )) {
      const user = posix.basename(path);
      const st = await ctx.fs.lstat(ctx.resolve(path)).catch(() => null);
      if (st?.kind !== 'file') continue;
      await add({
        path,
        kind: 'crontab',
        home: homeOf.get(user) ?? null,
        shellScript: false,
        parse: cron('user', user),
        runAs: user,
      });
    }
  }
  for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
    for (const path of await filesIn(ctx, `/etc/cron.${period}`, (n) => !n.startsWith('.'))) {
      await add({ path, kind: 'crontab', home: '/root', shellScript: true, parse: script, runAs: 'root' });
    }
  }

  // systemd: administrator and user units only; the vendor folders belong to packages.
  const unitDirs: { dir: string; home: string | null }[] = [
    { dir: '/etc/systemd/system', home: '/root' },
    { dir: '/etc/systemd/user', home: null },
    { dir: '/usr/local/lib/systemd/system', home: '/root' },
    ...homes.flatMap((h) => [
      { dir: `${h.home}/.config/systemd/user`, home: h.home },
      { dir: `${h.home}/.local/share/systemd/user`, home: h.home },
    ]),
  ];
  for (const { dir, home } of unitDirs) {
    const timers = await timersOf(ctx, dir);
    for (const unit of await unitFiles(ctx, dir)) {
      const before = out.length;
      await add(
        {
          path: unit.path,
          kind: 'systemd',
          home,
          shellScript: false,
          parse: (t) => {
            const c = parseUnitLine(t);
            return c ? { command: c, runAs: null } : null;
          },
        },
        unit.onDisk,
      );
      const service = posix.basename(unit.path.replace(/\.service\.d\/[^/]+$/, '.service'));
      const timer = timers.get(service);
      if (timer) for (const e of out.slice(before)) e.notes.push(`started on a schedule by ${timer}`);
    }
  }

  // Desktop autostart.
  const desktop = (t: string) => {
    const c = parseDesktopLine(t);
    return c ? { command: c, runAs: null } : null;
  };
  for (const path of await filesIn(ctx, '/etc/xdg/autostart', (n) => n.endsWith('.desktop'))) {
    await add({ path, kind: 'autostart', home: null, shellScript: false, parse: desktop });
  }
  for (const h of homes) {
    for (const path of await filesIn(ctx, `${h.home}/.config/autostart`, (n) => n.endsWith('.desktop'))) {
      await add({ path, kind: 'autostart', home: h.home, shellScript: false, parse: desktop, runAs: h.user });
    }
  }

  await add({
    path: '/etc/rc.local',
    kind: 'rc-local',
    home: '/root',
    shellScript: false,
    parse: script,
    runAs: 'root',
  });

  // Shell start-up files: listed only where they launch something suspicious.
  for (const path of [...SYSTEM_SHELL_FILES, ...(await filesIn(ctx, '/etc/profile.d', (n) => n.endsWith('.sh')))]) {
    await add({ path, kind: 'shell-rc', home: null, shellScript: true, parse: script });
  }
  await add({
    path: '/etc/environment',
    kind: 'shell-rc',
    home: null,
    shellScript: true,
    parse: (t) => (/^\s*LD_PRELOAD\s*=/.test(t) ? { command: t.trim(), runAs: null } : null),
  });
  for (const h of homes) {
    for (const name of SHELL_RC_FILES) {
      await add({
        path: `${h.home}/${name}`,
        kind: 'shell-rc',
        home: h.home,
        shellScript: true,
        parse: script,
        runAs: h.user,
      });
    }
  }

  // Every program started on this machine loads the libraries named here first.
  await add({
    path: '/etc/ld.so.preload',
    kind: 'ld-preload',
    home: null,
    shellScript: false,
    parse: (t) => {
      const v = t.trim();
      return v === '' || v.startsWith('#') ? null : { command: v, runAs: null };
    },
  });
  return out;
}
