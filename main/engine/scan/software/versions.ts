/** Version strings as vendors and package managers write them, reduced to numbers that compare. */

/** Numeric compare of dotted versions; a missing part counts as 0 (`138` equals `138.0`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * The upstream version inside a package version: `1:128.12.0esr-1~deb12u1` is `128.12.0`, with
 * `esr` noted; `156.0.8078.129-1~deb12u1` is `156.0.8078.129`. Null when it starts with no number.
 */
export function upstreamVersion(pkgVersion: string): { version: string; esr: boolean } | null {
  let v = pkgVersion.trim();
  const colon = v.indexOf(':');
  if (colon >= 0 && /^\d+$/.test(v.slice(0, colon))) v = v.slice(colon + 1);
  const m = /^(\d+(?:\.\d+)*)([a-z]*)/i.exec(v);
  if (!m) return null;
  return { version: m[1] as string, esr: /esr/i.test(m[2] ?? '') || /esr/i.test(v) };
}

/**
 * The version from a program's `--version` line or a resource string: the first dotted number in
 * it, `Google Chrome 138.0.7204.49` -> `138.0.7204.49`.
 */
export function firstVersionIn(text: string): string | null {
  return /\b(\d+(?:\.\d+)+)\b/.exec(text)?.[1] ?? null;
}

/**
 * Brave's Windows and macOS files carry Chromium's major in front (`138.1.80.113`); its releases
 * are named without it (`1.80.113`).
 */
export function braveReleaseVersion(version: string): string {
  const parts = version.split('.');
  return parts.length === 4 && Number(parts[0]) >= 70 ? parts.slice(1).join('.') : version;
}

/** Firefox's ESR versions have a minor part (128.12.0); a release has `.0` or a dot release (140.0.2). */
export function looksLikeFirefoxEsr(version: string, esrBranches: readonly string[]): boolean {
  const [major, minor] = version.split('.');
  return esrBranches.includes(major ?? '') && Number(minor ?? 0) >= 1;
}
