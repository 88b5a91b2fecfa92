/**
 * Linux persistence entries: crontabs, systemd units outside the vendor folders, XDG autostart
 * entries, /etc/rc.local, shell start-up files and /etc/ld.so.preload. Every path is read under the
 * scan's root, so a mounted disk or a test folder can be checked like the live system.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { PersistenceKind } from '../../../shared/scan.js';
import type { CollectedEntry } from './persistence-types.js';
import { MAX_TEXT_FILE, type ScanContext, shownPath } from './scan-context.js';

const STEP = 'persistence' as const;
const MAX_FILE = MAX_TEXT_FILE;
/** Files of one folder read at once: enough to hide the file system's latency, few enough to stay small. */
const READERS = 8;

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

/**
 * The entries of one file. `onDisk` is where to read it when that is not the spec's path under the
 * root: a unit linked in from elsewhere, or a file whose name is not valid UTF-8 (its bytes).
 */
async function readEntries(ctx: ScanContext, spec: FileSpec, onDisk?: string | Buffer): Promise<CollectedEntry[]> {
  const where = onDisk ?? ctx.resolve(spec.path);
  const read = await ctx.readFile(STEP, where, MAX_FILE, spec.kind);
  if (read === null) return [];
  const buf = read.data;
  const file = shownPath(where);
  // A name that is not valid UTF-8 cannot be written back from the report's text, so such a file
  // gets no fingerprint, and with it no automatic removal.
  const fileState =
    typeof where === 'string'
      ? { size: buf.length, mtimeMs: read.mtimeMs, sha256: createHash('sha256').update(buf).digest('hex') }
      : null;
  const notes = fileState ? [] : ['its name is not valid UTF-8: edit or remove it by hand'];
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
      notes: [...notes],
    });
  }
  return out;
}

interface FolderFile {
  /** System path (`/etc/cron.d/job`), as shown. */
  path: string;
  /** Where it is read: under the root, as bytes when the name is not valid UTF-8. */
  onDisk: string | Buffer;
}

/**
 * Files of a folder that pass `keep`. A missing folder is normal; an unreadable or overfull one is
 * reported. Names that are not valid UTF-8 are read by their bytes: cron and systemd run them too.
 */
async function filesIn(
  ctx: ScanContext,
  dir: string,
  kind: PersistenceKind,
  keep: (name: string) => boolean,
): Promise<FolderFile[]> {
  const onDiskDir = ctx.resolve(dir);
  const names = await ctx.listEntries(STEP, onDiskDir, kind);
  if (!names) return [];
  return names
    .filter((n) => keep(n.text))
    .map((n) => ({
      path: posix.join(dir, n.text),
      onDisk: n.raw === null ? posix.join(onDiskDir, n.text) : Buffer.concat([Buffer.from(`${onDiskDir}/`), n.raw]),
    }));
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
  const names = await ctx.listDir(STEP, ctx.resolve(dir), 'systemd');
  if (!names) return [];
  const out: { path: string; onDisk: string }[] = [];
  for (const name of names) {
    const path = posix.join(dir, name);
    const onDisk = ctx.resolve(path);
    if (name.endsWith('.service.d')) {
      const drop = await ctx.listDir(STEP, onDisk, 'systemd');
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
  for (const { path, onDisk } of await filesIn(ctx, dir, 'systemd', (n) => n.endsWith('.timer'))) {
    const buf = await ctx.readText(STEP, onDisk, MAX_FILE, 'systemd');
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

/**
 * Every entry, appended to `out` as it is read: a step stopped at its time limit still has the
 * entries read before it.
 */
export async function collectLinuxPersistence(ctx: ScanContext, out: CollectedEntry[] = []): Promise<CollectedEntry[]> {
  const homes = await userHomes(ctx);
  const homeOf = new Map(homes.map((h) => [h.user, h.home]));
  homeOf.set('root', homeOf.get('root') ?? '/root');
  const add = async (spec: FileSpec, onDisk?: string | Buffer): Promise<void> => {
    ctx.checkAbort();
    out.push(...(await readEntries(ctx, spec, onDisk)));
  };
  /**
   * The files of one folder, a few read at a time (each read is several round trips to the file
   * system, and a folder can hold thousands), their entries added in folder order as they come.
   */
  const addAll = async (files: readonly FolderFile[], spec: (f: FolderFile) => FileSpec): Promise<void> => {
    const results: (CollectedEntry[] | undefined)[] = new Array(files.length);
    let next = 0;
    let flushed = 0;
    const reader = async (): Promise<void> => {
      while (next < files.length) {
        ctx.checkAbort();
        const i = next++;
        const f = files[i] as FolderFile;
        results[i] = await readEntries(ctx, spec(f), f.onDisk);
        for (; flushed < files.length && results[flushed] !== undefined; flushed++) {
          out.push(...(results[flushed] as CollectedEntry[]));
          results[flushed] = [];
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READERS, files.length) }, reader));
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
  await addAll(await filesIn(ctx, '/etc/cron.d', 'crontab', (n) => !n.startsWith('.')), ({ path }) => ({
    path,
    kind: 'crontab',
    home: '/root',
    shellScript: false,
    parse: cron('system'),
  }));
  for (const spool of ['/var/spool/cron/crontabs', '/var/spool/cron']) {
    for (const { path, onDisk } of await filesIn(
      ctx,
      spool,
      'crontab',
      (n) => !n.startsWith('.') && n !== 'crontabs' && n !== 'atjobs' && n !== 'atspool',
    )) {
      const user = posix.basename(path);
      // cron itself runs only regular files from the spool (not links, not FIFOs).
      const st = await ctx.fs.lstat(onDisk).catch(() => null);
      if (st?.kind !== 'file') continue;
      await add(
        {
          path,
          kind: 'crontab',
          home: homeOf.get(user) ?? null,
          shellScript: false,
          parse: cron('user', user),
          runAs: user,
        },
        onDisk,
      );
    }
  }
  for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
    await addAll(await filesIn(ctx, `/etc/cron.${period}`, 'crontab', (n) => !n.startsWith('.')), ({ path }) => ({
      path,
      kind: 'crontab',
      home: '/root',
      shellScript: true,
      parse: script,
      runAs: 'root',
    }));
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
  await addAll(await filesIn(ctx, '/etc/xdg/autostart', 'autostart', (n) => n.endsWith('.desktop')), ({ path }) => ({
    path,
    kind: 'autostart',
    home: null,
    shellScript: false,
    parse: desktop,
  }));
  for (const h of homes) {
    await addAll(
      await filesIn(ctx, `${h.home}/.config/autostart`, 'autostart', (n) => n.endsWith('.desktop')),
      ({ path }) => ({ path, kind: 'autostart', home: h.home, shellScript: false, parse: desktop, runAs: h.user }),
    );
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
  const shellFiles: FolderFile[] = [
    ...SYSTEM_SHELL_FILES.map((path) => ({ path, onDisk: ctx.resolve(path) })),
    ...(await filesIn(ctx, '/etc/profile.d', 'shell-rc', (n) => n.endsWith('.sh'))),
  ];
  await addAll(shellFiles, ({ path }) => ({ path, kind: 'shell-rc', home: null, shellScript: true, parse: script }));
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
  const preloadFrom = out.length;
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
  for (const e of out.slice(preloadFrom)) e.notes.push(...(await preloadLibraryNotes(ctx, e.command)));
  return out;
}

/**
 * Facts about the libraries an ld.so.preload line names (the loader splits on blanks and colons):
 * whether each exists under the root, its size, owner and age, and who else could change it.
 */
export async function preloadLibraryNotes(ctx: ScanContext, line: string): Promise<string[]> {
  const notes: string[] = [];
  for (const lib of line
    .split(/[\s:]+/)
    .filter(Boolean)
    .slice(0, 16)) {
    if (!lib.startsWith('/')) {
      notes.push(`${lib} is named without a folder: the loader looks for it along the library path`);
      continue;
    }
    const st = await ctx.fs.stat(ctx.resolve(lib)).catch(() => null);
    if (!st) {
      notes.push(
        `${lib} does not exist: every program prints a loader error (it may have been removed, or not be in place yet)`,
      );
      continue;
    }
    notes.push(
      `${lib}: ${st.size.toLocaleString('en-US')} bytes, owner user id ${st.uid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, modified ${new Date(st.mtimeMs).toISOString()}`,
    );
    if (st.uid !== 0)
      notes.push(`${lib} belongs to user id ${st.uid}, not root: that account can change what every program loads`);
    if ((st.mode & 0o002) !== 0) notes.push(`${lib} can be written by every user`);
  }
  return notes;
}
