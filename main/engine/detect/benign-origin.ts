/**
 * Benign work recognised by provenance, not by name alone: where the program lives on that
 * platform and who started it. Steam's shader pre-compiler (Fossilize) works on every core while
 * the machine is idle, exactly like a miner, and its names differ by platform (`fossilize_replay`
 * on Linux and macOS, `fossilize-replay64.exe` on Windows). What makes it Steam's is that it lives
 * in Steam's own folder and was started by the Steam client (or by the Fossilize process Steam
 * started). Steam's folder is writable by its user on every platform, so the folder alone would
 * excuse a miner dropped into it; the parent chain is what a dropper cannot arrange, short of
 * being re-parented to init, which breaks the chain.
 *
 * A Fossilize name anywhere that is not a Steam folder is an impostor: the name was chosen for the
 * excuse.
 */
import type { Platform } from '../../../shared/trace.js';
import type { TraceIdentity } from '../../../shared/identity.js';
import type { BenignEntry, BenignMatch } from './benign.js';
import type { Ancestor } from './lineage.js';
import { baseName, normalizeWinPath, plainName, stripDeleted } from './provenance.js';

export const SHADER_CACHE: BenignEntry = {
  kind: 'shader-cache',
  label: 'Steam shader pre-caching',
  where: 'installed',
  effect: 'cap',
};

const FOSSILIZE = new Set(['fossilize_replay', 'fossilize-replay', 'fossilize_replay64', 'fossilize-replay64']);
/** Linux cuts process names at 15 characters. */
const FOSSILIZE_COMM = 'fossilize_repla';
const STEAM_CLIENT = new Set(['steam', 'steam_osx']);

function fossilizeName(p: { name: string; exe: string | null }, platform: Platform): string | null {
  const names = [plainName(p.name)];
  if (p.exe) names.push(plainName(baseName(p.exe, platform)));
  return names.find((n) => FOSSILIZE.has(n) || (platform === 'linux' && n === FOSSILIZE_COMM)) ?? null;
}

/** A path in the platform's comparison form (Windows and macOS compare without case). */
function comparable(exe: string, platform: Platform): string {
  if (platform === 'win32') return normalizeWinPath(stripDeleted(exe));
  const p = stripDeleted(exe);
  return platform === 'darwin' ? p.toLowerCase() : p;
}

/**
 * The Steam client's folder from the client's own executable: `…\Steam\steam.exe`,
 * `…/Steam/ubuntu12_32/steam`, `…/Steam/Steam.AppBundle/Steam/Contents/MacOS/steam_osx`.
 */
export function steamRoot(exe: string, platform: Platform): string | null {
  const p = comparable(exe, platform);
  if (platform === 'win32') {
    const i = p.lastIndexOf('\\');
    return i > 0 && p.slice(i + 1) === 'steam.exe' ? p.slice(0, i + 1) : null;
  }
  if (platform === 'linux') {
    const m = /^(\/.+\/)ubuntu12_(?:32|64)\/steam$/.exec(p);
    return m?.[1] ?? null;
  }
  const m = /^(\/.+\/)steam\.appbundle\/steam\/contents\/macos\/steam_osx$/.exec(p);
  return m?.[1] ?? null;
}

/** Where Steam installs itself, for telling a moved copy (no excuse) from an impostor. */
function steamLikePath(exe: string, platform: Platform): boolean {
  const p = comparable(exe, platform).toLowerCase();
  return /[\\/]steam[\\/]|[\\/]\.steam[\\/]|[\\/]steamlibrary[\\/]|com\.valvesoftware\.steam/.test(p);
}

export type ShaderVerdict =
  | { kind: 'steam'; match: BenignMatch }
  | { kind: 'impostor'; posedAs: string; expected: string }
  | null;

/**
 * Whether the process is Steam's shader pre-compiler: a Fossilize name, in the folder of the Steam
 * client that started it (directly, or through the Fossilize master process). `chain` is the
 * process's ancestry at its first appearance, nearest parent first.
 */
export function steamShaderWork(
  id: Pick<TraceIdentity, 'name' | 'exe'>,
  chain: readonly Ancestor[],
  platform: Platform,
): ShaderVerdict {
  const name = fossilizeName(id, platform);
  if (name === null) return null;
  const impostor: ShaderVerdict = {
    kind: 'impostor',
    posedAs: `${name} (Steam's shader pre-compiler)`,
    expected: "Steam's own folder, started by Steam",
  };
  if (!id.exe) return null;
  // The Fossilize master starts the workers: look past it to whoever started the master.
  const starter = chain.find((a) => fossilizeName(a, platform) === null);
  const root =
    starter?.exe && STEAM_CLIENT.has(plainName(baseName(starter.exe, platform)))
      ? steamRoot(starter.exe, platform)
      : null;
  const path = comparable(id.exe, platform);
  if (root !== null && path.startsWith(root)) {
    return { kind: 'steam', match: { entry: SHADER_CACHE, what: `${baseName(id.exe, platform)} started by Steam` } };
  }
  return steamLikePath(id.exe, platform) ? null : impostor;
}
