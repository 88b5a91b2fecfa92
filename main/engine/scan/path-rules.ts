/**
 * Where-it-runs-from rules the deep scan adds to the detector's (detect/provenance.ts): the roots
 * of %APPDATA%, %LOCALAPPDATA% and C:\ProgramData, where droppers put a lone executable, and
 * folders anyone can write to. Written here because provenance.ts has no such rule yet; they
 * belong there once the two are merged.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Platform } from '../../../shared/trace.js';
import { normalizeWinPath, type PathFinding, stripDeleted, suspiciousLocation } from '../detect/provenance.js';

/** An executable directly in one of these folders (not in an application's own subfolder). */
const WIN_ROOTS: { re: RegExp; where: string }[] = [
  { re: /^[a-z]:\\programdata\\[^\\]+$/, where: 'the root of C:\\ProgramData, which every user can write' },
  { re: /^[a-z]:\\users\\[^\\]+\\appdata\\roaming\\[^\\]+$/, where: 'the root of %APPDATA%' },
  { re: /^[a-z]:\\users\\[^\\]+\\appdata\\local\\[^\\]+$/, where: 'the root of %LOCALAPPDATA%' },
  { re: /^[a-z]:\\users\\[^\\]+\\appdata\\locallow\\[^\\]+$/, where: 'the root of AppData\\LocalLow' },
];

/** The detector's temp/cache/hidden rules plus the Windows data-folder roots. */
export function locationFindings(exe: string | null, platform: Platform): PathFinding[] {
  if (!exe) return [];
  const out = suspiciousLocation(exe, platform);
  if (platform === 'win32') {
    const p = normalizeWinPath(stripDeleted(exe));
    for (const r of WIN_ROOTS) if (r.re.test(p)) out.push({ kind: 'shared', where: r.where });
  }
  return out;
}

/**
 * Whether the folder holding `exe` can be written by every user (mode o+w), so anyone could have
 * replaced the program. Cached per folder for one scan. Linux and macOS only.
 */
export class WorldWritableDirs {
  private readonly cache = new Map<string, boolean>();

  constructor(private readonly statMode: (path: string) => number | null = statModeOf) {}

  check(exe: string | null): string | null {
    if (!exe || exe.startsWith('/memfd:')) return null;
    const dir = dirname(stripDeleted(exe));
    let open = this.cache.get(dir);
    if (open === undefined) {
      const mode = this.statMode(dir);
      open = mode !== null && (mode & 0o002) !== 0;
      this.cache.set(dir, open);
    }
    return open ? dir : null;
  }
}

function statModeOf(path: string): number | null {
  try {
    return statSync(path).mode;
  } catch {
    return null;
  }
}
