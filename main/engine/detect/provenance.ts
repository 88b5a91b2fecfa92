/**
 * Where a program runs from, judged by the rules of the platform the trace was recorded on (the
 * header's `host.platform`), never by the machine that replays it. Pure functions of strings.
 */
import type { Platform } from '../../../shared/trace.js';

/** Windows paths compared case-insensitively with backslashes; `\\?\` and device prefixes removed. */
export function normalizeWinPath(p: string): string {
  let s = p.replace(/\//g, '\\').toLowerCase();
  if (s.startsWith('\\\\?\\') || s.startsWith('\\??\\')) s = s.slice(4);
  // \Device\HarddiskVolume3\Windows\... as some APIs report it: treat the volume as a drive.
  const dev = /^\\device\\harddiskvolume\d+\\/.exec(s);
  if (dev) s = `c:\\${s.slice(dev[0].length)}`;
  return s;
}

/** The file name of a path, without a Linux ` (deleted)` suffix. */
export function baseName(exe: string, platform: Platform): string {
  const clean = stripDeleted(exe);
  const sep = platform === 'win32' ? /[\\/]/ : /\//;
  const parts = clean.split(sep);
  return parts[parts.length - 1] ?? clean;
}

/** The folder part of a path (with a trailing separator), in the platform's comparison form. */
export function dirOf(exe: string, platform: Platform): string {
  const clean = platform === 'win32' ? normalizeWinPath(stripDeleted(exe)) : stripDeleted(exe);
  const sep = platform === 'win32' ? '\\' : '/';
  const i = clean.lastIndexOf(sep);
  return i >= 0 ? clean.slice(0, i + 1) : '';
}

const DELETED = ' (deleted)';

export function isDeleted(exe: string | null): boolean {
  return exe?.endsWith(DELETED) === true;
}

export function stripDeleted(exe: string): string {
  return exe.endsWith(DELETED) ? exe.slice(0, -DELETED.length) : exe;
}

/** A name as matched against the lists: lower case, no `.exe`, no bracket decoration. */
export function plainName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.exe$/, '');
}

// ---------------------------------------------------------------------------------------------
// System folders: where the operating system's own programs live.

const LINUX_SYSTEM = /^\/(?:usr\/(?!local\/)|bin\/|sbin\/|lib\/|lib64\/|lib32\/)/;
const LINUX_PACKAGED =
  /^\/(?:usr\/|bin\/|sbin\/|lib\/|lib64\/|lib32\/|opt\/|snap\/|nix\/store\/|gnu\/store\/|run\/current-system\/|var\/lib\/(?:snapd|flatpak)\/|app\/)/;
const WIN_SYSTEM = /^[a-z]:\\windows\\/;
const WIN_PROGRAMS = /^[a-z]:\\program files(?: \(x86\))?\\|^[a-z]:\\programdata\\microsoft\\windows defender\\/;
const MAC_SYSTEM = /^\/(?:system\/|usr\/(?!local\/)|bin\/|sbin\/|library\/apple\/)/i;
const MAC_PACKAGED = /^\/(?:system\/|usr\/|bin\/|sbin\/|library\/|applications\/|opt\/homebrew\/|opt\/local\/)/i;

/** The OS's own folders (/usr, C:\Windows, /System): programs there come with the system. */
export function inSystemFolder(exe: string | null, platform: Platform): boolean {
  if (!exe) return false;
  if (platform === 'win32') return WIN_SYSTEM.test(normalizeWinPath(exe));
  if (platform === 'darwin') return MAC_SYSTEM.test(stripDeleted(exe));
  return LINUX_SYSTEM.test(stripDeleted(exe));
}

/** System folders plus where installed software lives (/opt, snaps, Program Files, /Applications). */
export function inInstalledFolder(exe: string | null, platform: Platform): boolean {
  if (!exe) return false;
  if (platform === 'win32') {
    const p = normalizeWinPath(exe);
    return WIN_SYSTEM.test(p) || WIN_PROGRAMS.test(p);
  }
  if (platform === 'darwin') return MAC_PACKAGED.test(stripDeleted(exe));
  return LINUX_PACKAGED.test(stripDeleted(exe));
}

// ---------------------------------------------------------------------------------------------
// Temporary, cache and hidden folders: where droppers put the programs they run.

/** Dot-folders that ordinary software installs programs into (toolchains, launchers, runtimes). */
const KNOWN_DOT_DIRS: ReadonlySet<string> = new Set([
  '.local',
  '.cache',
  '.config',
  '.steam',
  '.var',
  '.mozilla',
  '.thunderbird',
  '.vscode',
  '.vscode-server',
  '.vscode-oss',
  '.cursor',
  '.cursor-server',
  '.windsurf',
  '.cargo',
  '.rustup',
  '.nvm',
  '.npm',
  '.npm-global',
  '.pnpm',
  '.yarn',
  '.bun',
  '.deno',
  '.pyenv',
  '.rbenv',
  '.rvm',
  '.gem',
  '.sdkman',
  '.conda',
  '.mamba',
  '.dotnet',
  '.nuget',
  '.gradle',
  '.m2',
  '.wine',
  '.wine64',
  '.minecraft',
  '.ollama',
  '.lmstudio',
  '.jdks',
  '.java',
  '.nix-profile',
  '.nix-defexpr',
  '.platformio',
  '.arduino15',
  '.espressif',
  '.volta',
  '.julia',
  '.ghcup',
  '.cabal',
  '.stack',
  '.opam',
  '.elan',
  '.asdf',
  '.linuxbrew',
  '.pub-cache',
  '.android',
  '.krew',
  '.docker',
  '.dropbox-dist',
  '.dropbox',
  '.juliaup',
  '.foundry',
  '.zig',
  '.pixi',
  '.app',
  '.git',
  '.jetbrains',
  '.idea',
  '.eclipse',
  '.themes',
  '.icons',
  '.fonts',
  '.oh-my-zsh',
  '.tmux',
  '.vim',
  '.emacs.d',
  '.claude',
  '.codeium',
  '.continue',
  '.lutris',
  '.itch',
  '.heroic',
  '.paradoxlauncher',
  '.factorio',
  '.zoom',
  '.mount',
]);

export interface PathFinding {
  kind: 'temp' | 'cache' | 'hidden' | 'shared';
  /** "a temporary folder (/tmp)" as the user reads it. */
  where: string;
}

/** The first hidden path component that is not a known tool folder (the file itself included). */
function hiddenComponent(parts: string[]): string | null {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '.' || part === '..') continue;
    // A name of only dots and spaces ("...", ". ") exists to look like nothing in a listing.
    if (/^[. ]+$/.test(part) && part.length > 0) return part;
    if (!part.startsWith('.')) continue;
    if (i === parts.length - 1) return part;
    // AppImage runtimes mount under /tmp/.mount_XXXX: that is how AppImages run, not hiding.
    if (part.startsWith('.mount_')) continue;
    if (KNOWN_DOT_DIRS.has(part.toLowerCase())) continue;
    return part;
  }
  return null;
}

function posixFindings(exe: string, platform: 'linux' | 'darwin'): PathFinding[] {
  const p = stripDeleted(exe);
  const low = p.toLowerCase();
  const out: PathFinding[] = [];
  if (platform === 'linux') {
    if (/^\/(?:tmp|var\/tmp|dev\/shm|run\/shm)\//.test(p) && !/^\/tmp\/\.mount_/.test(p)) {
      out.push({
        kind: 'temp',
        where: `a temporary folder (${p
          .split('/')
          .slice(0, p.startsWith('/var/') ? 3 : 2)
          .join('/')})`,
      });
    } else if (/^\/run\/user\/\d+\//.test(p)) {
      out.push({ kind: 'temp', where: 'a runtime folder (/run/user), which is wiped at logout' });
    }
    if (/^\/(?:home\/[^/]+|root)\/\.cache\//.test(p) || /^\/var\/cache\//.test(p)) {
      out.push({ kind: 'cache', where: 'a cache folder' });
    }
  } else {
    if (/^\/(?:private\/)?(?:tmp|var\/tmp)\//.test(low)) out.push({ kind: 'temp', where: 'a temporary folder (/tmp)' });
    else if (/^\/(?:private\/)?var\/folders\//.test(low) && !low.includes('/apptranslocation/')) {
      out.push({ kind: 'temp', where: 'a temporary folder (/var/folders)' });
    }
    if (/^\/users\/[^/]+\/library\/caches\//.test(low))
      out.push({ kind: 'cache', where: 'a cache folder (~/Library/Caches)' });
    if (/^\/users\/shared\//.test(low))
      out.push({ kind: 'shared', where: 'the shared folder every user can write (/Users/Shared)' });
  }
  const hidden = hiddenComponent(p.split('/'));
  if (hidden)
    out.push({ kind: 'hidden', where: `a hidden ${hidden === baseName(p, platform) ? 'file' : 'folder'} (${hidden})` });
  return out;
}

function winFindings(exe: string): PathFinding[] {
  const p = normalizeWinPath(exe);
  const out: PathFinding[] = [];
  if (
    /\\appdata\\local\\temp\\|^[a-z]:\\windows\\temp\\|^[a-z]:\\(?:temp|tmp)\\|\\appdata\\local\\squirreltemp\\/.test(p)
  ) {
    out.push({ kind: 'temp', where: 'a temporary folder (Temp)' });
  }
  if (/\\inetcache\\|\\temporary internet files\\|\\appdata\\local\\[^\\]+\\(?:[^\\]+\\)?cache\\/.test(p)) {
    out.push({ kind: 'cache', where: 'a cache folder' });
  }
  if (/^[a-z]:\\users\\public\\/.test(p)) out.push({ kind: 'shared', where: 'the Public folder every user can write' });
  // Microsoft's roaming data folders (keys, certificates, templates, the Start menu) hold no
  // programs; droppers pick them for the official-looking path.
  if (/\\appdata\\roaming\\microsoft\\(?!teams\\|installer\\)/.test(p)) {
    out.push({
      kind: 'hidden',
      where: "Microsoft's roaming data folder (AppData\\Roaming\\Microsoft), which holds no programs",
    });
  }
  // Windows folders that hold fonts, logs and scheduled-task files, never programs: droppers hide
  // there because the folder name looks official.
  if (
    /^[a-z]:\\windows\\(?:fonts|tasks|debug|help|cursors|media|tracing|logs|prefetch|addins|system32\\tasks|syswow64\\tasks|system32\\spool\\drivers\\color)\\/.test(
      p,
    )
  ) {
    out.push({ kind: 'hidden', where: 'a Windows folder that holds no programs' });
  }
  if (/\\\$recycle\.bin\\/.test(p)) out.push({ kind: 'hidden', where: 'the Recycle Bin' });
  const hidden = hiddenComponent(p.split('\\'));
  if (hidden) out.push({ kind: 'hidden', where: `a hidden folder (${hidden})` });
  return out;
}

/** Temp, cache, hidden or world-writable places the executable runs from (empty when none). */
export function suspiciousLocation(exe: string | null, platform: Platform): PathFinding[] {
  if (!exe) return [];
  if (platform === 'win32') return winFindings(exe);
  return posixFindings(exe, platform);
}

// ---------------------------------------------------------------------------------------------
// Impostors: kernel-thread names with a program file, system names outside the system folder.

/** Linux kernel threads as `ps` lists them: never a program file, never a command line. */
const KERNEL_THREAD =
  /^(?:kworker\/|ksoftirqd\/|kswapd\d*$|kthreadd$|migration\/|rcu_|rcuo|rcub\/|watchdog(?:d$|\/)|kcompactd\d*$|khugepaged$|ksmd$|kauditd$|khungtaskd$|oom_reaper$|kblockd$|kintegrityd$|kdevtmpfs$|jbd2\/|irq\/|cpuhp\/|idle_inject\/|scsi_eh_\d|scsi_tmf_\d|writeback$|kthrotld$|kstrp$|ecryptfs-kthread$|card\d+-crtc\d+$|nv_queue$|nvidia-modeset\/|psimon$|edac-poller$|ipv6_addrconf$|mm_percpu_wq$|netns$|kaluad$|kpsmoused$|pool_workqueue_release$|ttm$|zswap|kmpath|kverityd$|kcryptd|dm_bufio_cache$|loop\d+$|md\d*_raid|xfsaild\/|xfs-[a-z]+\/|xfs_mru_cache$|btrfs-|ext4-rsv-conver|kpktgend_\d|kdmflush|devfreq_wq$|charger_manager$|acpi_thermal_pm$|ata_sff$|kacpid$|kacpi_notify$|kacpi_hotplug$|hwrng$|napi\/|ksgxd$|khvcd$)/;

export function looksLikeKernelThread(name: string): boolean {
  return KERNEL_THREAD.test(name.trim().replace(/^\[|\]$/g, ''));
}

/**
 * A process that calls itself a kernel thread but is not one: it has a program file, a command
 * line, or a parent other than kthreadd (pid 2). Returns the name it hides behind, or null.
 */
export function kernelThreadImpostor(
  p: { pid: number; ppid: number | null; name: string; exe: string | null; cmdline: string },
  platform: Platform,
): { posedAs: string; evidence: string } | null {
  if (platform !== 'linux') return null;
  const argv0 = p.cmdline.trim().split(/\s+/)[0] ?? '';
  const posedAs = looksLikeKernelThread(p.name)
    ? p.name
    : argv0.startsWith('[') && looksLikeKernelThread(argv0)
      ? argv0
      : null;
  if (posedAs === null) return null;
  if (p.exe) return { posedAs, evidence: `runs a program file (${p.exe})` };
  if (p.cmdline.trim() !== '') return { posedAs, evidence: `has a command line ("${p.cmdline.slice(0, 80)}")` };
  if (p.ppid !== null && p.ppid !== 2 && p.pid !== 2)
    return { posedAs, evidence: `its parent is process ${p.ppid}, not the kernel (2)` };
  return null;
}

interface SystemName {
  /** Lower-case names, `.exe` removed. */
  names: string[];
  /** Where the genuine program lives (tested against the normalised full path). */
  home: RegExp;
  /** For the user: where it should be. */
  expected: string;
}

const WIN_SYSTEM_NAMES: SystemName[] = [
  {
    names: [
      'svchost',
      'csrss',
      'lsass',
      'lsaiso',
      'services',
      'smss',
      'wininit',
      'winlogon',
      'runtimebroker',
      'audiodg',
      'dwm',
      'conhost',
      'dllhost',
      'taskhostw',
      'taskhost',
      'spoolsv',
      'sihost',
      'ctfmon',
      'fontdrvhost',
      'wmiprvse',
      'searchindexer',
      'searchprotocolhost',
      'searchfilterhost',
      'searchhost',
      'searchui',
      'lsm',
      'wuauclt',
      'rundll32',
      'regsvr32',
      'msiexec',
      'taskmgr',
      'wscript',
      'cscript',
      'mshta',
      'userinit',
      'smartscreen',
      'securityhealthservice',
      'securityhealthsystray',
      'sgrmbroker',
      'compattelrunner',
      'mousocoreworker',
      'usocoreworker',
      'tiworker',
      'trustedinstaller',
      'backgroundtaskhost',
      'applicationframehost',
      'shellexperiencehost',
      'startmenuexperiencehost',
      'textinputhost',
      'lockapp',
      'logonui',
      'consent',
      'dashost',
      'unsecapp',
      'wermgr',
      'werfault',
      'wlanext',
      'explorer',
      'winver',
      'mmc',
      'mscorsvw',
      'ngen',
      'ngentask',
      'dismhost',
      'sppsvc',
      'wudfhost',
      'igfxem',
      'igfxcuiservice',
      'atieclxx',
      'atiesrxx',
      'amdfendrsr',
      'memory compression',
    ],
    home: /^[a-z]:\\windows\\/,
    expected: 'C:\\Windows (System32)',
  },
  {
    names: ['nvdisplay.container', 'nvcontainer', 'nvidia share', 'nvidia web helper'],
    home: /^[a-z]:\\windows\\system32\\driverstore\\|^[a-z]:\\program files(?: \(x86\))?\\nvidia corporation\\|^[a-z]:\\windows\\/,
    expected: 'C:\\Program Files\\NVIDIA Corporation or the driver store',
  },
  {
    names: ['msmpeng', 'nissrv', 'mpcmdrun', 'mpdefendercoreservice'],
    home: /^[a-z]:\\programdata\\microsoft\\windows defender\\|^[a-z]:\\program files(?: \(x86\))?\\windows defender\\|^[a-z]:\\windows\\/,
    expected: 'the Windows Defender folder',
  },
];

const MAC_SYSTEM_NAMES: SystemName[] = [
  {
    names: [
      'kernel_task',
      'launchd',
      'windowserver',
      'mds',
      'mds_stores',
      'mdworker',
      'mdworker_shared',
      'trustd',
      'syslogd',
      'coreaudiod',
      'cfprefsd',
      'distnoted',
      'softwareupdated',
      'nsurlsessiond',
      'cloudd',
      'bird',
      'photoanalysisd',
      'mediaanalysisd',
      'corespotlightd',
      'sysmond',
      'loginwindow',
      'dock',
      'finder',
      'systemuiserver',
      'controlcenter',
      'xprotectservice',
      'backupd',
      'opendirectoryd',
      'securityd',
      'configd',
      'logd',
      'notifyd',
      'powerd',
      'hidd',
      'runningboardd',
    ],
    home: /^\/(?:system\/|usr\/(?!local\/)|sbin\/|library\/apple\/)/i,
    expected: '/System or /usr',
  },
];

const LINUX_SYSTEM_NAMES: SystemName[] = [
  {
    names: [
      'systemd',
      'init',
      'sshd',
      'cron',
      'crond',
      'atd',
      'dbus-daemon',
      'dbus-broker',
      'rsyslogd',
      'networkmanager',
      'polkitd',
      'agetty',
      'systemd-udevd',
      'udevd',
      'auditd',
      'acpid',
      'chronyd',
      'ntpd',
      'gnome-shell',
      'xorg',
      'xwayland',
      'kwin_wayland',
      'kwin_x11',
      'plasmashell',
      'pulseaudio',
      'pipewire',
      'wireplumber',
      'snapd',
      'containerd',
      'dockerd',
      'udisksd',
      'upowerd',
      'accounts-daemon',
      'avahi-daemon',
      'cupsd',
      'bluetoothd',
      'modemmanager',
      'thermald',
      'irqbalance',
      'wpa_supplicant',
      'gdm3',
      'gdm',
      'sddm',
      'lightdm',
      'login',
    ],
    home: /^\/(?:usr\/|bin\/|sbin\/|lib\/|lib64\/|snap\/|opt\/|nix\/store\/|gnu\/store\/|run\/current-system\/)/,
    expected: '/usr',
  },
];

function systemNames(platform: Platform): SystemName[] {
  return platform === 'win32' ? WIN_SYSTEM_NAMES : platform === 'darwin' ? MAC_SYSTEM_NAMES : LINUX_SYSTEM_NAMES;
}

/** Damerau-Levenshtein distance of at most one (substitution, insertion, deletion, adjacent swap). */
function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** Windows names miners imitate with one letter changed (scvhost.exe, svch0st.exe, csrrs.exe). */
const WIN_TYPO_TARGETS = [
  'svchost',
  'csrss',
  'lsass',
  'services',
  'wininit',
  'winlogon',
  'explorer',
  'runtimebroker',
  'audiodg',
  'conhost',
  'dllhost',
  'taskhostw',
  'rundll32',
  'spoolsv',
];

/**
 * A process named like an operating-system program but running from somewhere else (svchost.exe
 * in AppData, systemd in /tmp). The name or the file name counts. Returns what it imitates, or null.
 */
export function systemNameImpostor(
  p: { name: string; exe: string | null },
  platform: Platform,
): { posedAs: string; expected: string; typo: boolean } | null {
  if (!p.exe) return null;
  const full = platform === 'win32' ? normalizeWinPath(stripDeleted(p.exe)) : stripDeleted(p.exe);
  const candidates = [plainName(p.name), plainName(baseName(p.exe, platform))];
  for (const entry of systemNames(platform)) {
    for (const c of candidates) {
      if (entry.names.includes(c) && !entry.home.test(platform === 'darwin' ? full.toLowerCase() : full)) {
        return { posedAs: platform === 'win32' ? `${c}.exe` : c, expected: entry.expected, typo: false };
      }
    }
  }
  if (platform === 'darwin') {
    // An Apple bundle id on a folder or program in a user's own Library: Apple ships nothing there.
    const m = /^\/users\/[^/]+\/library\/(?:[^/]+\/)*?(com\.apple\.[^/]+)/i.exec(full);
    const named = /^com\.apple\./i.test(p.name) ? p.name : null;
    const posed = m?.[1] ?? (named && !MAC_SYSTEM.test(full) && !/^\/applications\//i.test(full) ? named : null);
    if (posed) return { posedAs: posed, expected: '/System/Library', typo: true };
  }
  // Misspellings count only where anyone can write (an installer in Program Files may name its service anything).
  if (platform === 'win32' && !WIN_SYSTEM.test(full) && !WIN_PROGRAMS.test(full)) {
    for (const c of candidates) {
      if (c.length < 5) continue;
      const target = WIN_TYPO_TARGETS.find((n) => n !== c && withinOneEdit(c, n));
      if (target)
        return { posedAs: `${target}.exe (spelled ${c}.exe)`, expected: 'C:\\Windows (System32)', typo: true };
    }
  }
  return null;
}
