/**
 * What RandomX miners (XMRig and the kits that install it) change in the kernel to mine faster,
 * and what nothing else on a desktop needs: huge pages reserved (`vm.nr_hugepages`, 1 GB pages,
 * `hugepages=` on the kernel command line) and the `msr` module allowed to write CPU registers
 * (`allow_writes=on`, for XMRig's MSR mod), live and in the files that set them again at boot.
 * The parsers are pure; the collection reads everything under the scan's root (files) and its
 * proc/sys roots (live values).
 */
import type { Severity } from '../../../shared/detection.js';
import type { ScanAction, ScanPersistenceRef } from '../../../shared/scan.js';
import { type ConfigFile, confDirFiles, readConfigFile } from './config-files.js';
import type { NewFinding } from './findings.js';
import { safeReadFile } from './safe-read.js';
import { abortable, isAbortError, type ScanContext } from './scan-context.js';
import { errCode, readFailure } from './scan-fs.js';

const STEP = 'tamper' as const;

// ---------------------------------------------------------------------------------------------
// sysctl.d (systemd-sysctl and procps `sysctl --system` read the same format).

export interface SysctlLine {
  /** Normalised to dots (`vm/nr_hugepages` is the same key). May be a glob (`vm.nr_huge*`). */
  key: string;
  value: string;
}

/** One line of a sysctl.d file: `key = value`; `#` and `;` start comments, a leading `-` ignores errors. */
export function parseSysctlLine(text: string): SysctlLine | null {
  const t = text.trim();
  if (t === '' || t.startsWith('#') || t.startsWith(';')) return null;
  const eq = t.indexOf('=');
  if (eq <= 0) return null;
  let key = t.slice(0, eq).trim().replace(/^-/, '').trim();
  // systemd: when the first separator is a slash, the key uses slashes throughout.
  if (/^[^.]*\//.test(key)) key = key.replace(/\//g, '.');
  const value = t.slice(eq + 1).trim();
  return key === '' ? null : { key, value };
}

/** fnmatch-style glob (systemd-sysctl accepts `*`, `?` and `[...]` in keys). */
function globMatches(pattern: string, name: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === name;
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^]*';
    else if (c === '?') re += '[^]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`).test(name);
  } catch {
    return false;
  }
}

/** The huge-page keys a line sets, if any: `vm.nr_hugepages` and `vm.nr_overcommit_hugepages` (surplus pages on demand). */
export const HUGEPAGE_KEYS = ['vm.nr_hugepages', 'vm.nr_overcommit_hugepages'] as const;

export function hugepageKeyOf(line: SysctlLine): (typeof HUGEPAGE_KEYS)[number] | null {
  return HUGEPAGE_KEYS.find((k) => globMatches(line.key, k)) ?? null;
}

/** A page count as the kernel reads it (decimal, leading spaces and `+` allowed); null when not a number. */
export function pageCount(value: string): number | null {
  const m = /^\+?(\d{1,12})$/.exec(value.trim());
  return m ? Number(m[1]) : null;
}

export const SYSCTL_DIRS = [
  '/etc/sysctl.d',
  '/run/sysctl.d',
  '/usr/local/lib/sysctl.d',
  '/usr/lib/sysctl.d',
  '/lib/sysctl.d',
];

// ---------------------------------------------------------------------------------------------
// Kernel command line.

export interface CmdlineSettings {
  /** `hugepages=N` (the last one given per page size counts; summed here over sizes). */
  hugepages: number | null;
  /** `hugepagesz=1G` / `default_hugepagesz=1G`: 1 GB pages asked for. */
  gigantic: boolean;
  /** `msr.allow_writes=on`. */
  msrWrites: boolean;
  /** The words that set these, as given. */
  words: string[];
}

/** Splits a kernel command line the way the kernel does (double quotes group, no escapes). */
export function cmdlineWords(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let quoted = false;
  let inWord = false;
  for (const c of text) {
    if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && /\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

/** Module parameter names treat `-` and `_` alike (the kernel's parameq). */
const paramName = (s: string): string => s.replace(/-/g, '_');

export function parseCmdline(text: string): CmdlineSettings {
  const r: CmdlineSettings = { hugepages: null, gigantic: false, msrWrites: false, words: [] };
  for (const w of cmdlineWords(text)) {
    const eq = w.indexOf('=');
    const name = paramName(eq < 0 ? w : w.slice(0, eq));
    const value = eq < 0 ? '' : w.slice(eq + 1);
    if (name === 'hugepages') {
      const n = pageCount(value);
      if (n !== null && n > 0) {
        r.hugepages = (r.hugepages ?? 0) + n;
        r.words.push(w);
      }
    } else if ((name === 'hugepagesz' || name === 'default_hugepagesz') && /^1g$/i.test(value.trim())) {
      r.gigantic = true;
      r.words.push(w);
    } else if (name === 'msr.allow_writes' && value.trim() === 'on') {
      r.msrWrites = true;
      r.words.push(w);
    }
  }
  return r;
}

/** The kernel command line in GRUB's defaults: `GRUB_CMDLINE_LINUX="…"` / `_DEFAULT`; null for other lines. */
export function grubCmdline(text: string): string | null {
  const m = /^\s*(?:export\s+)?GRUB_CMDLINE_LINUX(?:_DEFAULT)?\s*=\s*(.*)$/.exec(text);
  if (!m) return null;
  const v = (m[1] ?? '').trim();
  const q = /^(["'])(.*)\1\s*(?:#.*)?$/.exec(v);
  return q ? (q[2] ?? '') : v.replace(/\s+#.*$/, '');
}

// ---------------------------------------------------------------------------------------------
// modprobe.d and modules-load.d.

/**
 * Logical lines of a modprobe.d file: a line ending in `\` continues on the next. Each has the
 * number of its first physical line and how many it spans (a continued line cannot be removed
 * as one line).
 */
export function modprobeLines(lines: readonly string[]): { line: number; span: number; text: string }[] {
  const out: { line: number; span: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i] ?? '';
    while (text.endsWith('\\') && i + 1 < lines.length) {
      i++;
      text = `${text.slice(0, -1)} ${lines[i] ?? ''}`;
    }
    out.push({ line: start + 1, span: i - start + 1, text });
  }
  return out;
}

/** Words of a modprobe.d line; double quotes group (`opt="a b"`) and are dropped. */
function modprobeWords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:[^\s"]+|"[^"]*")+/g)) out.push(m[0].replace(/"/g, ''));
  return out;
}

/**
 * Whether a modprobe.d line turns on msr writes: `options msr … allow_writes=on`, or an
 * `install msr` command that loads it with that option. `#` comments; `-`/`_` alike in names.
 */
export function modprobeMsrWrites(text: string): 'options' | 'install' | null {
  const t = text.trim();
  if (t === '' || t.startsWith('#')) return null;
  const w = modprobeWords(t);
  const cmd = w[0];
  if (w[1] === undefined || paramName(w[1]) !== 'msr') return null;
  const setsWrites = (words: string[]): boolean =>
    words.some((x) => {
      const eq = x.indexOf('=');
      return eq > 0 && paramName(x.slice(0, eq)).replace(/^msr\./, '') === 'allow_writes' && x.slice(eq + 1) === 'on';
    });
  if (cmd === 'options' && setsWrites(w.slice(2))) return 'options';
  if (cmd === 'install' && setsWrites(w.slice(2))) return 'install';
  return null;
}

/** A modules-load.d (or /etc/modules) line that loads msr at boot. */
export function loadsMsr(text: string): boolean {
  const t = text.trim();
  if (t === '' || t.startsWith('#') || t.startsWith(';')) return false;
  return paramName(t.split(/\s+/)[0] ?? '') === 'msr';
}

export const MODPROBE_DIRS = [
  '/etc/modprobe.d',
  '/run/modprobe.d',
  '/usr/local/lib/modprobe.d',
  '/usr/lib/modprobe.d',
  '/lib/modprobe.d',
];
export const MODULES_LOAD_DIRS = [
  '/etc/modules-load.d',
  '/run/modules-load.d',
  '/usr/local/lib/modules-load.d',
  '/usr/lib/modules-load.d',
  '/lib/modules-load.d',
];

// ---------------------------------------------------------------------------------------------
// Collection.

/** One place that sets a tuning: a line of a file, or a live value. */
export interface TuningSign {
  what: 'huge-pages' | 'msr-writes' | 'msr-load';
  title: string;
  evidence: string[];
  /** The line, when it is one. */
  ref: ScanPersistenceRef | null;
  actions: ScanAction[];
  key: string;
}

export interface TuningRoots {
  /** Live process filesystem (`/proc`). */
  procRoot: string;
  /** Live sysfs (`/sys`). */
  sysRoot: string;
}

function lineRef(
  f: ConfigFile,
  kind: ScanPersistenceRef['kind'],
  line: number,
  command: string,
  removable: boolean,
): ScanPersistenceRef {
  return {
    kind,
    file: f.file,
    line,
    text: f.lines[line - 1] ?? '',
    command,
    location: null,
    runAs: 'root',
    fileState: removable ? f.fileState : null,
  };
}

function lineActions(f: ConfigFile, line: number, removable: boolean, after: string): ScanAction[] {
  const actions: ScanAction[] = [];
  if (removable) actions.push({ kind: 'remove-persistence', file: f.file, line });
  actions.push({ kind: 'manual', text: after });
  return actions;
}

/**
 * A live kernel value (/proc/sys, /sys/module): its text, or null when the file is absent (no such
 * module loaded, no such page size) and a problem when it exists but cannot be read.
 */
async function readLive(ctx: ScanContext, path: string): Promise<string | null> {
  try {
    const r = await abortable(safeReadFile(path, { maxBytes: 64 * 1024, kernelFile: true }), ctx.signal);
    return r.data.toString('utf8').trim();
  } catch (e) {
    if (isAbortError(e)) throw e;
    if (errCode(e) !== 'ENOENT') ctx.problem(STEP, path, `cannot read ${path}: ${readFailure(e)}`);
    return null;
  }
}

/** `HugePages_Total`, `HugePages_Free`, `Hugepagesize` (kB) from /proc/meminfo. */
export function parseMeminfoHuge(text: string): { total: number; free: number; sizeKb: number } | null {
  const num = (k: string): number | null => {
    const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const total = num('HugePages_Total');
  if (total === null) return null;
  return { total, free: num('HugePages_Free') ?? 0, sizeKb: num('Hugepagesize') ?? 2048 };
}

function size(pages: number, kb: number): string {
  const mb = (pages * kb) / 1024;
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

const WHY_HUGE =
  'RandomX miners (XMRig and kits built on it) reserve huge pages to mine 20-50% faster; on a desktop little else does (databases, DPDK and virtual machine hosts can)';
const WHY_MSR =
  'writing CPU registers (model-specific registers) is how XMRig\'s "MSR mod" speeds up RandomX; undervolting tools (intel-undervolt, throttled) need it too';

/**
 * Huge-page and msr settings: live values and the files (sysctl.d, modprobe.d, modules-load.d,
 * GRUB defaults) that set them at boot. Each is a sign; severity is decided with the others.
 */
export async function collectTuning(ctx: ScanContext, roots: TuningRoots): Promise<TuningSign[]> {
  const signs: TuningSign[] = [];
  const sysctlPath = (k: string): string => `${roots.procRoot}/sys/${k.replace(/\./g, '/')}`;

  // Live huge pages.
  const nr = pageCount((await readLive(ctx, sysctlPath('vm.nr_hugepages'))) ?? '');
  const over = pageCount((await readLive(ctx, sysctlPath('vm.nr_overcommit_hugepages'))) ?? '');
  const giantRaw = await readLive(ctx, `${roots.sysRoot}/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages`);
  const giant = pageCount(giantRaw ?? '');
  const meminfo = parseMeminfoHuge((await readLive(ctx, `${roots.procRoot}/meminfo`)) ?? '');
  const liveCmdline = parseCmdline((await readLive(ctx, `${roots.procRoot}/cmdline`)) ?? '');
  if ((nr ?? 0) > 0 || (over ?? 0) > 0 || (giant ?? 0) > 0) {
    const evidence: string[] = [];
    const kb = meminfo?.sizeKb ?? 2048;
    if ((nr ?? 0) > 0) evidence.push(`vm.nr_hugepages = ${nr} (${size(nr ?? 0, kb)} of memory set aside)`);
    if ((over ?? 0) > 0) evidence.push(`vm.nr_overcommit_hugepages = ${over} (up to ${size(over ?? 0, kb)} on demand)`);
    if ((giant ?? 0) > 0) evidence.push(`${giant} huge page(s) of 1 GB reserved (XMRig's 1GB-pages option uses them)`);
    if (meminfo && meminfo.total > 0) evidence.push(`${meminfo.total - meminfo.free} of ${meminfo.total} in use now`);
    if (liveCmdline.words.length > 0) evidence.push(`kernel command line: ${liveCmdline.words.join(' ')}`);
    evidence.push(WHY_HUGE);
    signs.push({
      what: 'huge-pages',
      key: 'live',
      title: `Huge pages reserved: ${evidence[0]}`,
      evidence,
      ref: null,
      actions: [
        {
          kind: 'manual',
          text: 'If nothing on this machine needs huge pages, release the free ones as root: sysctl -w vm.nr_hugepages=0 vm.nr_overcommit_hugepages=0 (pages in use are freed when their program ends), then remove what sets them at boot (the files this scan lists)',
        },
      ],
    });
  }

  // Live msr writes.
  const allow = await readLive(ctx, `${roots.sysRoot}/module/msr/parameters/allow_writes`);
  if (allow === 'on') {
    signs.push({
      what: 'msr-writes',
      key: 'live',
      title: 'The msr module is loaded with writes to CPU registers allowed (allow_writes=on)',
      evidence: [
        `${roots.sysRoot}/module/msr/parameters/allow_writes: on`,
        ...(liveCmdline.msrWrites ? ['set on the kernel command line (msr.allow_writes=on)'] : []),
        WHY_MSR,
      ],
      ref: null,
      actions: [
        {
          kind: 'manual',
          text: `If you use no undervolting tool, turn writes off as root: echo off > /sys/module/msr/parameters/allow_writes (or unload the module: modprobe -r msr). Registers already written keep their values until the next reboot`,
        },
      ],
    });
  }

  // sysctl files that set huge pages, in the order they apply: only the last setting of a key
  // counts at boot, so one replaced later is named on the one that counts, and a key set back to
  // 0 at the end is no tuning at all.
  const sysctlFiles = [...(await confDirFiles(ctx, STEP, SYSCTL_DIRS, '.conf', 'sysctl')), '/etc/sysctl.conf'];
  const settings: { f: ConfigFile; line: number; text: string; written: string; key: string; n: number | null }[] = [];
  for (const path of sysctlFiles) {
    ctx.checkAbort();
    const f = await readConfigFile(ctx, STEP, path, 'sysctl');
    if (!f) continue;
    f.lines.forEach((text, i) => {
      const s = parseSysctlLine(text);
      const key = s ? hugepageKeyOf(s) : null;
      if (s && key) settings.push({ f, line: i + 1, text, written: s.key, key, n: pageCount(s.value) });
    });
  }
  for (const key of HUGEPAGE_KEYS) {
    const mine = settings.filter((x) => x.key === key);
    const last = mine.at(-1);
    if (!last || last.n === null || last.n === 0) continue;
    const { f, line, text, n } = last;
    const replaced = mine.slice(0, -1).filter((x) => x.n !== null && x.n > 0);
    signs.push({
      what: 'huge-pages',
      key: `${f.file}:${line}`,
      title: `Huge pages set at every boot: ${key} = ${n} in ${f.file}`,
      evidence: [
        `${f.file}:${line}: ${text.trim()}`,
        ...(last.written !== key ? [`the key is written ${last.written}, which sets ${key}`] : []),
        ...replaced
          .slice(0, 10)
          .map((x) => `also set earlier, replaced at boot by this line: ${x.f.file}:${x.line}: ${x.text.trim()}`),
        WHY_HUGE,
      ],
      ref: lineRef(f, 'sysctl', line, `${key}=${n}`, true),
      actions: lineActions(
        f,
        line,
        true,
        `Or delete line ${line} of ${f.file} by hand${replaced.length > 0 ? ', and the earlier settings it replaces' : ''}; the reserved pages stay until the next boot or sysctl -w ${key}=0`,
      ),
    });
  }

  // Boot loader defaults and systemd-boot's kernel command line.
  const cmdlineFiles = ['/etc/default/grub', ...(await confDirFiles(ctx, STEP, ['/etc/default/grub.d'], '.cfg'))];
  for (const path of [...cmdlineFiles, '/etc/kernel/cmdline']) {
    const f = await readConfigFile(ctx, STEP, path, 'boot-cmdline');
    if (!f) continue;
    f.lines.forEach((text, i) => {
      const words = path === '/etc/kernel/cmdline' ? (text.trim().startsWith('#') ? null : text) : grubCmdline(text);
      if (words === null) return;
      const c = parseCmdline(words);
      const line = i + 1;
      const manual = `Edit ${f.file} as root: take ${c.words.join(' ')} out of line ${line}, then regenerate the boot configuration (update-grub, grub2-mkconfig -o /boot/grub2/grub.cfg, or kernel-install) and reboot. Idlewatch does not edit boot files: a mistake there can stop the machine from booting`;
      if (c.hugepages !== null || c.gigantic) {
        signs.push({
          what: 'huge-pages',
          key: `${f.file}:${line}`,
          title: `Huge pages set on the kernel command line: ${c.words.filter((w) => !w.startsWith('msr')).join(' ')} in ${f.file}`,
          evidence: [`${f.file}:${line}: ${text.trim()}`, WHY_HUGE],
          ref: lineRef(f, 'boot-cmdline', line, c.words.join(' '), false),
          actions: [{ kind: 'manual', text: manual }],
        });
      }
      if (c.msrWrites) {
        signs.push({
          what: 'msr-writes',
          key: `${f.file}:${line}:msr`,
          title: `Writes to CPU registers allowed at every boot: msr.allow_writes=on in ${f.file}`,
          evidence: [`${f.file}:${line}: ${text.trim()}`, WHY_MSR],
          ref: lineRef(f, 'boot-cmdline', line, 'msr.allow_writes=on', false),
          actions: [{ kind: 'manual', text: manual }],
        });
      }
    });
  }

  // modprobe.d options (and install commands) that allow msr writes.
  const modprobeFiles = [
    ...(await confDirFiles(ctx, STEP, MODPROBE_DIRS, '.conf', 'kernel-module')),
    '/etc/modprobe.conf',
  ];
  let msrConfigured = signs.some((s) => s.what === 'msr-writes');
  for (const path of modprobeFiles) {
    ctx.checkAbort();
    const f = await readConfigFile(ctx, STEP, path, 'kernel-module');
    if (!f) continue;
    for (const l of modprobeLines(f.lines)) {
      const how = modprobeMsrWrites(l.text);
      if (!how) continue;
      msrConfigured = true;
      // A line continued with `\` spans several; removing its first line alone would break the file.
      const removable = l.span === 1;
      signs.push({
        what: 'msr-writes',
        key: `${f.file}:${l.line}`,
        title: `Writes to CPU registers allowed whenever msr loads: ${how === 'options' ? 'options msr allow_writes=on' : 'install msr … allow_writes=on'} in ${f.file}`,
        evidence: [`${f.file}:${l.line}${l.span > 1 ? `-${l.line + l.span - 1}` : ''}: ${l.text.trim()}`, WHY_MSR],
        ref: lineRef(f, 'kernel-module', l.line, l.text.trim(), removable),
        actions: lineActions(
          f,
          l.line,
          removable,
          removable
            ? `Or delete line ${l.line} of ${f.file} by hand; writes stay allowed until msr is reloaded or the machine restarts`
            : `Delete lines ${l.line}-${l.line + l.span - 1} of ${f.file} by hand (one setting continued over several lines)`,
        ),
      });
    }
  }

  // modules-load.d lines that load msr: only worth a finding when writes are allowed somewhere.
  if (msrConfigured) {
    const loadFiles = [...(await confDirFiles(ctx, STEP, MODULES_LOAD_DIRS, '.conf', 'kernel-module')), '/etc/modules'];
    for (const path of loadFiles) {
      const f = await readConfigFile(ctx, STEP, path, 'kernel-module');
      if (!f) continue;
      f.lines.forEach((text, i) => {
        if (!loadsMsr(text)) return;
        const line = i + 1;
        signs.push({
          what: 'msr-load',
          key: `${f.file}:${line}`,
          title: `Loads the msr module at every boot: ${f.file}`,
          evidence: [
            `${f.file}:${line}: ${text.trim()}`,
            'with writes to CPU registers allowed (see the related findings), this keeps the MSR tuning in place after every restart',
          ],
          ref: lineRef(f, 'kernel-module', line, 'msr', true),
          actions: lineActions(f, line, true, `Or delete line ${line} of ${f.file} by hand`),
        });
      });
    }
  }
  return signs;
}

const RAISE: Record<Severity, Severity> = { low: 'medium', medium: 'high', high: 'high' };

/**
 * Findings from the signs. Each alone is low (a database server reserves huge pages, an
 * undervolting tool allows msr writes); huge pages and msr writes together are RandomX tuning
 * (medium); a miner found by the earlier steps as well raises them once more.
 */
export function tuningFindings(signs: readonly TuningSign[], minerSeen: string | null): NewFinding[] {
  const huge = signs.some((s) => s.what === 'huge-pages');
  const msr = signs.some((s) => s.what === 'msr-writes');
  return signs.map((s) => {
    let severity: Severity = 'low';
    const evidence = [...s.evidence];
    if (huge && msr) {
      severity = RAISE[severity];
      evidence.push(
        'huge pages and CPU-register writes are both set up here: together they are how RandomX miners are tuned',
      );
    }
    if (minerSeen) {
      severity = RAISE[severity];
      evidence.push(`this scan also found ${minerSeen}`);
    }
    return {
      // The rule prefixes the id (`huge-pages:/etc/sysctl.d/x.conf:4`); a boot-time msr load is told apart from the option.
      key: s.what === 'msr-load' ? `load:${s.key}` : s.key,
      rule: s.what === 'huge-pages' ? 'huge-pages' : 'msr-writes',
      severity,
      title: s.title,
      evidence,
      ...(s.ref ? { persistence: s.ref } : {}),
      actions: s.actions,
    };
  });
}
