/**
 * Known benign idle-time work, as data: screensavers, OS maintenance, Steam shader pre-caching,
 * backups and sync, local AI servers, streaming, volunteer computing, renders and games.
 *
 * A name alone proves nothing (a miner can call itself anything), so an entry is credible only
 * when the program also runs from where that software lives (`where`), and the caller drops the
 * claim altogether when any miner evidence exists (signature, pool, impostor, temp folder).
 *
 * `effect`:
 *  - `cap`: such work legitimately starts when you leave and may stop when you return (that is
 *    its design), so behaviour cannot tell it from a miner; a credible match caps severity at low.
 *  - `continuing`: renders, encoders and games are heavy and flat too, but they were started by
 *    you; they only earn relief when their load was already running before you left.
 */
import type { Platform } from '../../../shared/trace.js';
import {
  baseName,
  inInstalledFolder,
  inSystemFolder,
  normalizeWinPath,
  plainName,
  stripDeleted,
} from './provenance.js';

export type BenignKind =
  | 'screensaver'
  | 'os-maintenance'
  | 'shader-cache'
  | 'backup'
  | 'local-ai'
  | 'streaming'
  | 'volunteer'
  | 'render'
  | 'game';

export interface BenignEntry {
  kind: BenignKind;
  /** How the reason names it: "Steam shader pre-caching". */
  label: string;
  /** Lower-case program names (process name or file name), `.exe` removed. */
  names?: readonly string[];
  /** For programs run by an interpreter (python, node, java): a command-line pattern. */
  cmdline?: RegExp;
  /** Full-path pattern (lower case, forward slashes) that alone identifies it (a Steam game folder). */
  path?: RegExp;
  platforms?: readonly Platform[];
  /** `system`: an OS folder; `installed`: OS or installed-software folders; `any`: anywhere not suspicious. */
  where: 'system' | 'installed' | 'any';
  effect: 'cap' | 'continuing';
}

export const BENIGN: readonly BenignEntry[] = [
  {
    kind: 'screensaver',
    label: 'a screensaver',
    names: [
      'xscreensaver',
      'xscreensaver-gl-helper',
      'gnome-screensaver',
      'cinnamon-screensaver',
      'mate-screensaver',
      'light-locker',
      'xfce4-screensaver',
      'kscreenlocker_greet',
      'swaylock',
      'xsecurelock',
      'screensaverengine',
      'legacyscreensaver',
      'legacyscreensaver-x86_64',
      'wallpaperagent',
      'mystify',
      'bubbles',
      'ribbons',
      'sstext3d',
      'photoscreensaver',
      'scrnsave',
      'aerial',
      // Animated wallpapers: draw on the desktop all day, which is what is visible while you are away.
      'wallpaper32',
      'wallpaper64',
      'webwallpaper32',
      'wallpaperservice32',
      'lively',
      'livelywpf',
      'wallpaperengine',
      'wallpapervideoextension',
      'hidamari',
      'komorebi',
    ],
    where: 'installed',
    effect: 'cap',
  },
  // Any .scr program (Windows screensavers are .scr files) from the system or Program Files.
  {
    kind: 'screensaver',
    label: 'a screensaver',
    path: /\.scr$/,
    platforms: ['win32'],
    where: 'installed',
    effect: 'cap',
  },
  {
    kind: 'screensaver',
    label: 'a screensaver',
    path: /^\/usr\/(?:lib|libexec)\/(?:[^/]+\/)?xscreensaver\//,
    platforms: ['linux'],
    where: 'system',
    effect: 'cap',
  },
  {
    kind: 'os-maintenance',
    label: 'Windows maintenance',
    platforms: ['win32'],
    names: [
      'tiworker',
      'trustedinstaller',
      'msmpeng',
      'mpcmdrun',
      'nissrv',
      'mpdefendercoreservice',
      'searchindexer',
      'searchprotocolhost',
      'searchfilterhost',
      'compattelrunner',
      'mousocoreworker',
      'usocoreworker',
      'usoclient',
      'wuauclt',
      'defrag',
      'dfrgui',
      'sdiagnhost',
      'mrt',
      'dismhost',
      'mscorsvw',
      'ngen',
      'ngentask',
      'wmiprvse',
      'svchost',
      'taskhostw',
      'compkgsrv',
      'waasmedicagent',
      'sgrmbroker',
      'musnotification',
      'msiexec',
      'cleanmgr',
      'wsqmcons',
      'diskssnapshot',
      'aitagent',
      'wermgr',
      'werfault',
      'dllhost',
      'backgroundtaskhost',
      'runtimebroker',
      'wbengine',
      'sppsvc',
      'smartscreen',
    ],
    where: 'installed',
    effect: 'cap',
  },
  {
    kind: 'os-maintenance',
    label: 'Linux system maintenance',
    platforms: ['linux'],
    names: [
      'updatedb',
      'updatedb.mlocate',
      'updatedb.plocate',
      'plocate-build',
      'mandb',
      'man-db',
      'apt',
      'apt-get',
      'apt-check',
      'aptd',
      'unattended-upgr',
      'unattended-upgrade',
      'dpkg',
      'dpkg-deb',
      'packagekitd',
      'dnf',
      'dnf-automatic',
      'yum',
      'rpm',
      'zypper',
      'pacman',
      'snapd',
      'snap',
      'fwupd',
      'fwupdmgr',
      'tracker-miner-fs-3',
      'tracker-miner-f',
      'tracker-extract-3',
      'tracker-extract',
      'localsearch-3',
      'localsearch',
      'baloo_file',
      'baloo_file_extractor',
      'baloo_file_extr',
      'fstrim',
      'logrotate',
      'e2scrub',
      'e2scrub_all',
      'btrfs',
      'mdadm',
      'smartd',
      'sadc',
      'sa1',
      'debian-sa1',
      'anacron',
      'run-parts',
      'flatpak',
      'flatpak-system-helper',
      'gnome-software',
      'plasma-discover',
      'appstreamcli',
      'fc-cache',
      'ldconfig',
      'ldconfig.real',
      'update-initramfs',
      'mkinitcpio',
      'dracut',
      'depmod',
      'clamscan',
      'clamd',
      'freshclam',
      'rkhunter',
      'aide',
      'journalctl',
      'systemd-journald',
      'systemd-journal',
      'xz',
      'gzip',
      'zstd',
      'pkcon',
      'update-notifier',
      'update-manager',
      'mintupdate',
      'gsd-housekeeping',
    ],
    where: 'system',
    effect: 'cap',
  },
  {
    kind: 'os-maintenance',
    label: 'macOS maintenance',
    platforms: ['darwin'],
    names: [
      'mds',
      'mds_stores',
      'mdworker',
      'mdworker_shared',
      'mdsync',
      'softwareupdated',
      'softwareupdate',
      'photoanalysisd',
      'mediaanalysisd',
      'photolibraryd',
      'corespotlightd',
      'spotlightknowledged',
      'suggestd',
      'xprotectservice',
      'xprotect',
      'xprotectremediator',
      'mrt',
      'nsurlsessiond',
      'cloudd',
      'bird',
      'fileproviderd',
      'kernelmanagerd',
      'installd',
      'system_installd',
      'trustd',
      'syspolicyd',
      'com.apple.appkit.xpc.openandsavepanelservice',
      'mobileassetd',
      'triald',
      'biomesyncd',
      'duetexpertd',
      'knowledge-agent',
      'intelligenceplatformd',
    ],
    where: 'system',
    effect: 'cap',
  },
  {
    kind: 'os-maintenance',
    label: 'the desktop itself (compositor or lock screen)',
    names: [
      'gnome-shell',
      'kwin_wayland',
      'kwin_x11',
      'plasmashell',
      'xorg',
      'xwayland',
      'mutter',
      'sway',
      'hyprland',
      'windowserver',
      'loginwindow',
      'dwm',
      'logonui',
      'lockapp',
      'kscreenlocker_greet',
    ],
    where: 'system',
    effect: 'cap',
  },
  {
    kind: 'os-maintenance',
    label: "Chrome's cleanup scanner",
    names: ['software_reporter_tool'],
    path: /\/google\/chrome(?: beta| dev| sxs)?\/user data\/swreporter\//,
    where: 'any',
    effect: 'cap',
  },
  {
    // Scheduled antivirus scans run while you are away and pause when you return, by design.
    kind: 'os-maintenance',
    label: 'an antivirus scan',
    names: [
      'avastsvc',
      'avgsvc',
      'afwserv',
      'mbamservice',
      'mbam',
      'ekrn',
      'bdservicehost',
      'vsserv',
      'bdagent',
      'mcshield',
      'mfemms',
      'mfevtps',
      'ccsvchst',
      'nortonsecurity',
      'avp',
      'kavfs',
      'savservice',
      'sophoshealth',
      'sophosfilescanner',
      'wrsa',
      'fsav',
      'fshoster32',
      'fshoster64',
      'csfalconservice',
      'sentinelagent',
      'cylancesvc',
      'msseces',
      'esets_daemon',
      'esets_scan',
      'sav-protect',
      'savscand',
      'intego',
      'virusbarrier',
    ],
    where: 'installed',
    effect: 'cap',
  },
  // Steam shader pre-caching (`shader-cache`) is not recognised by name: see benign-origin.ts.
  {
    kind: 'backup',
    label: 'a backup or file sync',
    names: [
      'restic',
      'borg',
      'borgbackup',
      'duplicity',
      'deja-dup',
      'deja-dup-monitor',
      'rclone',
      'kopia',
      'timeshift',
      'rsnapshot',
      'urbackupclientbackend',
      'bacula-fd',
      'duplicati.server',
      'duplicati',
      'syncthing',
      'dropbox',
      'onedrive',
      'googledrivefs',
      'nextcloud',
      'owncloud',
      'megasync',
      'pcloud',
      'insync',
      'bzbui',
      'bztransmit',
      'bztransmit64',
      'bzfilelist',
      'bzserv',
      'bzbackup',
      'crashplanservice',
      'code42service',
      'veeam.endpoint.service',
      'veeam.agent.configurator',
      'reflectbin',
      'trueimage',
      'trueimagehomeservice',
      'arqagent',
      'backupd',
      'backupd-helper',
      'com.bombich.ccc',
      'idrive',
      'id_service',
      'sdclt',
      'wbengine',
      'carbonite',
      'spideroakone',
      'tresorit',
      'icloud',
      'iclouddrive',
    ],
    cmdline: /\b(?:restic|borg|rclone|duplicity|kopia|rsync)\b.*\b(?:backup|sync|copy|create|snapshot)\b/i,
    where: 'any',
    effect: 'cap',
  },
  {
    kind: 'local-ai',
    label: 'a local AI model server',
    names: [
      'ollama',
      'ollama_llama_server',
      'ollama app',
      'llama-server',
      'llama-cli',
      'llama-cpp-server',
      'llamafile',
      'koboldcpp',
      'lm studio',
      'lmstudio',
      'llmster',
      'local-ai',
      'localai',
      'gpt4all',
      'text-generation-launcher',
      'text-generation-server',
      'mlx_lm.server',
      'whisper-server',
      'comfyui',
      'invokeai',
      'invokeai-web',
    ],
    cmdline:
      /\b(?:vllm|text-generation-webui|text_generation_server|sglang|llama_cpp\.server|mlx_lm\.server|comfyui|stable-diffusion-webui|sd-webui|invokeai|fooocus|kohya|koboldcpp|oobabooga|exllama|tabbyapi|aphrodite|lmdeploy|ollama|whisper)\b/i,
    where: 'any',
    effect: 'cap',
  },
  {
    kind: 'streaming',
    label: 'OBS streaming or recording',
    names: [
      'obs',
      'obs64',
      'obs32',
      'obs-ffmpeg-mux',
      'obs-browser-page',
      'streamlabs obs',
      'streamlabs desktop',
      'sunshine',
      'parsecd',
      'moonlight',
    ],
    where: 'any',
    effect: 'cap',
  },
  {
    kind: 'volunteer',
    label: 'volunteer computing (BOINC / Folding@home), which runs while you are away by design',
    names: [
      'boinc',
      'boinc-client',
      'boincmgr',
      'fahclient',
      'fahcore_a7',
      'fahcore_a8',
      'fahcore_22',
      'fahcore_23',
      'fahcore_24',
      'fahcore_26',
      'fah-client',
    ],
    path: /\/(?:projects\/[^/]+\/|var\/lib\/boinc(?:-client)?\/|boinc\/)|\/fahclient\/|\/cores\/[^/]*fahcore/,
    where: 'any',
    effect: 'cap',
  },
  {
    kind: 'render',
    label: 'a render or encode',
    names: [
      'blender',
      'cinema 4d',
      'c4d',
      'houdini',
      'hython',
      'husk',
      'maya',
      'mayabatch',
      '3dsmax',
      '3dsmaxcmd',
      'resolve',
      'davinci resolve',
      'adobe premiere pro',
      'afterfx',
      'aerender',
      'adobe media encoder',
      'handbrakecli',
      'handbrake',
      'ghb',
      'ffmpeg',
      'x264',
      'x265',
      'svtav1encapp',
      'kdenlive',
      'melt',
      'shotcut',
      'unrealeditor',
      'ue4editor',
      'unity',
      'substance painter',
      'keyshot',
      'vray',
      'redshiftcmdline',
      'octane',
      'luxcoreui',
      'meshroom',
      'colmap',
      'agisoft metashape',
      'realityscan',
      'realitycapture',
      'topaz video ai',
      'topaz video enhance ai',
      'davinci resolve studio',
      'final cut pro',
      'compressor',
    ],
    where: 'any',
    effect: 'continuing',
  },
  {
    kind: 'game',
    label: 'a game',
    path: /\/steamapps\/common\/|\/epic games\/|\/gog galaxy\/games\/|\/gog games\/|\/riot games\/|\/battle\.net\/|\/xboxgames\/|\/windowsapps\/|\/origin games\/|\/ea games\/|\/ubisoft game launcher\/games\/|\/lutris\/|\/heroic\/|\/games\/|\/itch\/apps\/|\/minecraft|\/\.minecraft\//,
    names: [
      'javaw',
      'minecraft',
      'minecraftlauncher',
      'wine64-preloader',
      'wine-preloader',
      'gamescope',
      'retroarch',
      'dolphin-emu',
      'pcsx2',
      'rpcs3',
      'yuzu',
      'ryujinx',
      'cemu',
      'steam',
      'steamwebhelper',
    ],
    where: 'any',
    effect: 'continuing',
  },
];

/** Linux reports at most 15 characters of a process name (comm). */
const COMM_MAX = 15;

export interface BenignMatch {
  entry: BenignEntry;
  /** What matched (name or path), for the reason text. */
  what: string;
}

function whereOk(entry: BenignEntry, exe: string | null, platform: Platform, user: string | null): boolean {
  if (entry.where === 'any') return true;
  // An unprivileged recorder cannot read the path of another account's processes (system
  // services, root jobs): a process a user-level dropper could not have started.
  if (exe === null) return user !== null;
  return entry.where === 'system' ? inSystemFolder(exe, platform) : inInstalledFolder(exe, platform);
}

/** The benign identity a process credibly has, judged on name, path and command line; null when none. */
export function matchBenign(
  p: { name: string; exe: string | null; cmdline: string; user: string | null },
  platform: Platform,
): BenignMatch | null {
  const names = new Set([plainName(p.name)]);
  if (p.exe) names.add(plainName(baseName(p.exe, platform)));
  const path = p.exe
    ? platform === 'win32'
      ? normalizeWinPath(stripDeleted(p.exe)).replace(/\\/g, '/')
      : stripDeleted(p.exe).toLowerCase()
    : '';
  for (const entry of BENIGN) {
    if (entry.platforms && !entry.platforms.includes(platform)) continue;
    let what: string | null = null;
    if (entry.names) {
      for (const n of names) {
        if (
          entry.names.includes(n) ||
          (platform === 'linux' && n.length === COMM_MAX && entry.names.some((e) => e.startsWith(n)))
        ) {
          what = n;
          break;
        }
      }
    }
    if (what === null && entry.path && path && entry.path.test(path)) what = p.exe ?? p.name;
    if (what === null && entry.cmdline?.test(p.cmdline)) what = p.name;
    if (what === null) continue;
    if (!whereOk(entry, p.exe, platform, p.user)) continue;
    return { entry, what };
  }
  return osProgram(p, platform);
}

/**
 * Programs a process-hollowing dropper or a script would run the miner through: interpreters,
 * shells and the Windows binaries malware borrows. Their folder proves nothing about the work.
 */
const BORROWED: ReadonlySet<string> = new Set([
  'python',
  'python2',
  'python3',
  'perl',
  'ruby',
  'node',
  'nodejs',
  'java',
  'javaw',
  'bash',
  'sh',
  'dash',
  'zsh',
  'fish',
  'php',
  'lua',
  'luajit',
  'tclsh',
  'wish',
  'mono',
  'dotnet',
  'osascript',
  'busybox',
  'powershell',
  'pwsh',
  'cmd',
  'rundll32',
  'regsvr32',
  'mshta',
  'wscript',
  'cscript',
  'msbuild',
  'installutil',
  'regasm',
  'regsvcs',
  'applaunch',
  'vbc',
  'csc',
  'aspnet_compiler',
  'certutil',
  'bitsadmin',
  'conhost',
  'dllhost',
  'explorer',
  'notepad',
  'calc',
  'nslookup',
  'attrib',
  'werfault',
  'wuauclt',
  'svchost',
  'colorcpl',
  'charmap',
  'sihost',
  'wmic',
  'ieinstal',
  'iexplore',
]);

/** The folders of the OS's own daemons and scheduled jobs (narrower than "system folder": no /usr/bin). */
const OS_DAEMON_DIRS: Record<Platform, RegExp> = {
  linux: /^\/(?:usr\/sbin|sbin|usr\/libexec|usr\/lib\/systemd|usr\/lib\/(?:x86_64|aarch64|i386)-linux-gnu\/libexec)\//,
  darwin: /^\/(?:system\/|usr\/libexec\/|usr\/sbin\/|sbin\/)/i,
  win32:
    /^[a-z]:\\windows\\(?:[^\\]+\.exe$|system32\\(?!tasks\\|spool\\)|syswow64\\(?!tasks\\)|winsxs\\|servicing\\|microsoft\.net\\|systemapps\\|immersivecontrolpanel\\)/,
};

const OS_PROGRAM: BenignEntry = {
  kind: 'os-maintenance',
  label: 'a program of the operating system (scheduled maintenance, indexing, updates)',
  where: 'system',
  effect: 'cap',
};

/**
 * OS maintenance in general: a program of the operating system's own daemon folders (not an
 * interpreter or a binary malware borrows), doing scheduled work (backups, indexing, updates, scans).
 */
export function osProgram(p: { name: string; exe: string | null }, platform: Platform): BenignMatch | null {
  if (!p.exe) return null;
  const full = platform === 'win32' ? normalizeWinPath(stripDeleted(p.exe)) : stripDeleted(p.exe);
  if (!OS_DAEMON_DIRS[platform].test(full)) return null;
  const base = plainName(baseName(p.exe, platform));
  if (BORROWED.has(base) || BORROWED.has(base.replace(/[\d.]+$/, '')) || BORROWED.has(plainName(p.name))) return null;
  return { entry: OS_PROGRAM, what: p.exe };
}
