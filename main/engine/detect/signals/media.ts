/**
 * Media playback excuses load while nobody touches the input: a film holds a screen-saver
 * inhibitor and keeps a video engine busy. But an inhibitor is something a program asks for; any
 * program can take one and call itself a player. So the excuse goes only to load that looks like
 * playback (a fraction of one core, a modest GPU), only to the process that holds the inhibitor
 * (or, for a browser, its own media, GPU and tab processes), only to a known player or browser at
 * its installed path, and it is taken back for good once the load stops looking like playback.
 */
import type { Platform } from '../../../../shared/trace.js';
import { baseName, inInstalledFolder, plainName } from '../provenance.js';

/** Playback decodes on a video engine or in part of one core; four cores is not a film. */
export const MEDIA_CPU_MAX = 100;
/** Decode plus presentation: a modest share of the GPU, far below what hashing keeps. */
export const MEDIA_GPU_MAX = 60;
/** Out of shape this long (smoothed level) and the excuse is gone: a seek or a start-up spike is shorter. */
export const MEDIA_OVER_MS = 20_000;

/** Programs that play video or music and hold an inhibitor while they do (name or file name, no .exe). */
export const MEDIA_PLAYERS: ReadonlySet<string> = new Set([
  'vlc',
  'mpv',
  'totem',
  'celluloid',
  'smplayer',
  'mplayer',
  'kodi',
  'kodi.bin',
  'kodi-x11',
  'parole',
  'haruna',
  'dragon',
  'clapper',
  'showtime',
  'rhythmbox',
  'spotify',
  'elisa',
  'lollypop',
  'strawberry',
  'audacious',
  'jellyfinmediaplayer',
  'plex',
  'plexamp',
  'mpc-hc',
  'mpc-hc64',
  'mpc-be',
  'mpc-be64',
  'potplayer',
  'potplayermini',
  'potplayermini64',
  'wmplayer',
  'microsoft.media.player',
  'video.ui',
  'iina',
  'quicktime player',
  'tv',
  'music',
  'infuse',
]);

/** What the excuse looks at of a process. */
export interface MediaCandidate {
  name: string;
  exe: string | null;
  /** A browser process and its role (identity.ts browserRole), or null. */
  browserRole: string | null;
  /** Evidence already rules out a benign reading (signature, impostor, temp folder). */
  hostile: boolean;
}

const norm = (x: string): string => x.toLowerCase().replace(/[^a-z0-9]/g, '');

function namesOf(p: MediaCandidate, platform: Platform): string[] {
  const names = [plainName(p.name)];
  if (p.exe) names.push(plainName(baseName(p.exe, platform)));
  return names;
}

/** The inhibitor entry naming this program ("org.gnome.Totem" names totem, "vlc.exe" names vlc). */
function namedBy(p: MediaCandidate, inhibitors: readonly string[], platform: Platform): string | null {
  for (const raw of inhibitors) {
    const i = norm(raw);
    if (i.length < 3) continue;
    for (const n of namesOf(p, platform).map(norm)) if (n.length >= 3 && (i.includes(n) || n.includes(i))) return raw;
  }
  return null;
}

/** A known player or browser, installed where software is installed, with nothing hostile about it. */
function credibleApp(p: MediaCandidate, platform: Platform): boolean {
  if (p.hostile || !inInstalledFolder(p.exe, platform)) return false;
  return p.browserRole !== null || namesOf(p, platform).some((n) => MEDIA_PLAYERS.has(n));
}

/**
 * The inhibitor that excuses this process, or null. A player's excuse is its own: a program it
 * started (or one that names itself after it) gets nothing. A browser's covers its own processes,
 * the tab that plays included, because which of them decodes differs between browsers; the shape
 * check keeps a mining tab out.
 */
export function inhibitorFor(
  self: MediaCandidate,
  parent: MediaCandidate | null,
  inhibitors: readonly string[],
  platform: Platform,
): string | null {
  if (!credibleApp(self, platform)) return null;
  const own = namedBy(self, inhibitors, platform);
  if (own !== null) return own;
  if (self.browserRole === null || self.browserRole === 'browser' || !parent) return null;
  if (parent.browserRole !== 'browser' || !credibleApp(parent, platform)) return null;
  return namedBy(parent, inhibitors, platform);
}

/** Load that playback can explain: under a core and a modest GPU share. */
export function mediaShaped(cpuLevel: number, gpuLevel: number): boolean {
  return cpuLevel <= MEDIA_CPU_MAX && gpuLevel <= MEDIA_GPU_MAX;
}

/**
 * One step of the shape watch for an excused process: `overSince` is when its load last left the
 * media shape (null while inside). Returns the new value and whether the excuse is forfeited.
 */
export function stepMediaShape(
  overSince: number | null,
  cpuLevel: number,
  gpuLevel: number,
  t: number,
): { overSince: number | null; forfeit: boolean } {
  if (mediaShaped(cpuLevel, gpuLevel)) return { overSince: null, forfeit: false };
  const since = overSince ?? t;
  return { overSince: since, forfeit: t - since >= MEDIA_OVER_MS };
}
