/**
 * Which browsers are installed, and their versions, read the cheap way for each platform:
 *
 * - Linux: the package databases (dpkg's status file, read; `rpm -q --qf`, run from /usr/bin),
 *   snap's meta/snap.yaml, a Mozilla tarball's application.ini, and last `--version` for a vendor
 *   binary under /opt that no package claims;
 * - Windows: the version resource of the browser's executable, parsed from its bytes;
 * - macOS: the app bundle's Info.plist (CFBundleShortVersionString).
 *
 * Every file goes through the scan's safe reader. A program is run for its version only when it
 * lies at a fixed vendor path whose every folder, and the file itself, belongs to root and no one
 * else may write: a miner can put a fake `chrome` in a home folder or on a user's PATH, and running
 * it "for its version" would run the miner. Nothing is looked up on PATH.
 */
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { ScanInstalledBrowser, ScanStepId } from '../../../../shared/scan.js';
import { XmlParseError } from '../../platform/nvidia/xml-parse.js';
import { abortable, type ScanContext } from '../scan-context.js';
import type { ToolRunner } from '../windows-persistence.js';
import { readPeVersion } from './pe-version.js';
import { plistStrings } from './plist.js';
import { braveReleaseVersion, firstVersionIn, looksLikeFirefoxEsr, upstreamVersion } from './versions.js';

const STEP: ScanStepId = 'software';
/** dpkg's status file is a few MB on a desktop; far past that it is not a status file. */
const MAX_DPKG_STATUS = 64 * 1024 * 1024;
/** Browser executables are 1 to 5 MB; the version resource sits in them. */
const MAX_EXE = 32 * 1024 * 1024;
const MAX_SMALL = 256 * 1024;
const TOOL_TIMEOUT_MS = 5_000;
/** Firefox ESR branches (for telling an ESR by its version where no file says the channel). */
const FIREFOX_ESR_BRANCHES = ['78', '91', '102', '115', '128', '140'];

export interface SoftwareOptions {
  /** The support table; default the shipped data/browser-support.json. */
  tableFile?: string;
  /** Windows: ProgramFiles, ProgramFiles(x86), LOCALAPPDATA; default this process's environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** macOS: home folders whose ~/Applications are looked in, besides /Applications. */
  homes?: readonly string[];
  /** Linux: run a vendor binary for its `--version` (only under the real root, only root-owned). Default true. */
  runVersionFlag?: boolean;
}

/** A browser as found, before the support table judges it (the report adds the verdict). */
export type FoundBrowser = Omit<ScanInstalledBrowser, 'verdict' | 'verdictText'>;

interface Kind {
  browser: string;
  label: string;
  channel: string;
}

const k = (browser: string, label: string, channel: string): Kind => ({ browser, label, channel });

/** Package names (deb and rpm) of the browsers, and what each is. */
export const BROWSER_PACKAGES: Readonly<Record<string, Kind>> = {
  chromium: k('chromium', 'Chromium', 'stable'),
  'chromium-browser': k('chromium', 'Chromium', 'stable'),
  'google-chrome-stable': k('chrome', 'Google Chrome', 'stable'),
  'google-chrome-beta': k('chrome', 'Google Chrome Beta', 'beta'),
  'google-chrome-unstable': k('chrome', 'Google Chrome Dev', 'dev'),
  'microsoft-edge-stable': k('edge', 'Microsoft Edge', 'stable'),
  'microsoft-edge-beta': k('edge', 'Microsoft Edge Beta', 'beta'),
  'microsoft-edge-dev': k('edge', 'Microsoft Edge Dev', 'dev'),
  firefox: k('firefox', 'Firefox', 'release'),
  'firefox-esr': k('firefox', 'Firefox ESR', 'esr'),
  'brave-browser': k('brave', 'Brave', 'release'),
  'brave-browser-beta': k('brave', 'Brave Beta', 'beta'),
  'brave-browser-nightly': k('brave', 'Brave Nightly', 'nightly'),
  'opera-stable': k('opera', 'Opera', 'stable'),
  'opera-beta': k('opera', 'Opera Beta', 'beta'),
  'vivaldi-stable': k('vivaldi', 'Vivaldi', 'stable'),
  'vivaldi-snapshot': k('vivaldi', 'Vivaldi Snapshot', 'snapshot'),
};

/** One dpkg status paragraph's fields that matter here. */
export interface DpkgPackage {
  name: string;
  version: string;
  installed: boolean;
}

/** The packages in dpkg's status file (RFC 822-style paragraphs); continuation lines skipped. */
export function parseDpkgStatus(text: string, wanted: (name: string) => boolean): DpkgPackage[] {
  const out: DpkgPackage[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(para)?.[1];
    if (!name || !wanted(name)) continue;
    const status = /^Status:\s*(.+)$/m.exec(para)?.[1]?.trim() ?? '';
    const version = /^Version:\s*(\S+)/m.exec(para)?.[1] ?? '';
    out.push({ name, version, installed: status.split(/\s+/)[2] === 'installed' });
  }
  return out;
}

/** A package's browser record, unless its version is a snap placeholder (Ubuntu's `1:1snap1-…`). */
function fromPackage(kind: Kind, pkg: string, pkgVersion: string, source: string, path: string): FoundBrowser | null {
  if (/snap/i.test(pkgVersion)) return null;
  const up = upstreamVersion(pkgVersion);
  if (!up) return null;
  const esr = kind.browser === 'firefox' && up.esr;
  const version = kind.browser === 'brave' ? braveReleaseVersion(up.version) : up.version;
  return {
    ...(esr ? { ...kind, label: 'Firefox ESR', channel: 'esr' } : kind),
    version,
    source: `${source}: ${pkg} ${pkgVersion}`,
    path,
  };
}

/** `pref("app.update.channel", "esr")` in Firefox's channel-prefs.js, or null. */
export function firefoxChannel(prefs: string): string | null {
  return /app\.update\.channel["']\s*,\s*["']([a-z-]+)["']/.exec(prefs)?.[1] ?? null;
}

function firefoxKind(version: string, channel: string | null): Kind {
  const esr = channel === 'esr' || (channel === null && looksLikeFirefoxEsr(version, FIREFOX_ESR_BRANCHES));
  if (esr) return k('firefox', 'Firefox ESR', 'esr');
  if (channel === 'beta' || channel === 'aurora' || channel === 'nightly') {
    return k('firefox', `Firefox ${channel === 'aurora' ? 'Developer Edition' : channel}`, channel);
  }
  return k('firefox', 'Firefox', 'release');
}

/** True when `path` and every folder above it belong to root, are no links, and only root may write them. */
export async function rootOwnedPath(path: string): Promise<boolean> {
  const parts = path.split(sep).filter(Boolean);
  let at: string = sep;
  const check = (st: Stats): boolean => st.uid === 0 && (st.mode & 0o022) === 0 && !st.isSymbolicLink();
  try {
    if (!check(await lstat(at))) return false;
    for (const p of parts) {
      at = join(at, p);
      if (!check(await lstat(at))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

class Finder {
  readonly found: FoundBrowser[] = [];
  constructor(
    readonly ctx: ScanContext,
    readonly run: ToolRunner,
    readonly opts: SoftwareOptions,
  ) {}

  has(browser: string): boolean {
    return this.found.some((f) => f.browser === browser);
  }

  add(f: FoundBrowser | null): void {
    if (!f) return;
    // One record per browser, channel and version: a deb and an rpm database on one machine, say.
    if (this.found.some((x) => x.browser === f.browser && x.channel === f.channel && x.version === f.version)) return;
    this.found.push(f);
  }

  async text(path: string, max = MAX_SMALL): Promise<string | null> {
    return (await this.ctx.readText(STEP, this.ctx.resolve(path), max))?.toString('utf8') ?? null;
  }

  async tool(file: string, args: readonly string[], maxBuffer = 64 * 1024) {
    return abortable(this.run(file, args, { timeoutMs: TOOL_TIMEOUT_MS, maxBuffer }), this.ctx.signal);
  }

  async linux(): Promise<void> {
    const status = await this.text('/var/lib/dpkg/status', MAX_DPKG_STATUS);
    if (status !== null) {
      for (const p of parseDpkgStatus(status, (n) => n in BROWSER_PACKAGES)) {
        const kind = BROWSER_PACKAGES[p.name];
        if (p.installed && kind) this.add(fromPackage(kind, p.name, p.version, 'dpkg', '/var/lib/dpkg/status'));
      }
    }
    await this.rpm();
    await this.snaps();
    if (!this.has('firefox')) await this.firefoxTarball('/opt/firefox');
    await this.versionFlags();
  }

  /** rpm's database is binary: `rpm -q` reads it, run from its system path, never from PATH. */
  async rpm(): Promise<void> {
    if (this.ctx.root !== '/') return;
    const db = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];
    const hasDb = (
      await Promise.all(
        db.map((d) =>
          lstat(d).then(
            () => true,
            () => false,
          ),
        ),
      )
    ).some(Boolean);
    if (!hasDb || !(await rootOwnedPath('/usr/bin/rpm'))) return;
    const names = Object.keys(BROWSER_PACKAGES);
    const r = await this.tool('/usr/bin/rpm', ['-q', '--qf', '%{NAME}\\t%{VERSION}\\n', ...names]);
    // Exit 1 just means some of the names are not installed; their lines say so and have no tab.
    if (!r.ok && r.code !== 1) {
      this.ctx.problem(STEP, null, `rpm -q could not list the browser packages: ${r.error ?? 'failed'}`);
      return;
    }
    for (const line of r.stdout.split('\n')) {
      const [name, version] = line.split('\t');
      const kind = name ? BROWSER_PACKAGES[name] : undefined;
      if (kind && version) this.add(fromPackage(kind, name as string, version.trim(), 'rpm', '/usr/bin/rpm'));
    }
  }

  async snaps(): Promise<void> {
    const snaps: Record<string, Kind> = {
      firefox: k('firefox', 'Firefox', 'release'),
      chromium: k('chromium', 'Chromium', 'stable'),
      brave: k('brave', 'Brave', 'release'),
      opera: k('opera', 'Opera', 'stable'),
      vivaldi: k('vivaldi', 'Vivaldi', 'stable'),
    };
    for (const [name, kind] of Object.entries(snaps)) {
      const file = `/snap/${name}/current/meta/snap.yaml`;
      const yaml = await this.text(file);
      const v = yaml ? /^version:\s*['"]?([^'"\s]+)/m.exec(yaml)?.[1] : undefined;
      const up = v ? upstreamVersion(v) : null;
      if (!up) continue;
      const kk = name === 'firefox' && up.esr ? k('firefox', 'Firefox ESR', 'esr') : kind;
      this.add({ ...kk, version: up.version, source: `snap: ${name} ${v}`, path: file });
    }
  }

  /** A Firefox unpacked from Mozilla's tarball: its application.ini says the version, channel-prefs.js the channel. */
  async firefoxTarball(dir: string): Promise<void> {
    const ini = await this.text(join(dir, 'application.ini'));
    const version = ini ? /^Version=(\S+)/m.exec(ini)?.[1] : undefined;
    if (!version) return;
    const prefs = await this.text(join(dir, 'defaults/pref/channel-prefs.js'));
    const up = upstreamVersion(version);
    if (!up) return;
    this.add({
      ...firefoxKind(up.version, prefs ? firefoxChannel(prefs) : up.esr ? 'esr' : null),
      version: up.version,
      source: `${join(dir, 'application.ini')}: Version=${version}`,
      path: join(dir, 'firefox'),
    });
  }

  /**
   * Vendor binaries no package database claimed (an unpacked download under /opt): run with
   * `--version`, but only from the real root, only when root owns the whole path, with a small
   * environment, a timeout and a bounded output.
   */
  async versionFlags(): Promise<void> {
    if (this.ctx.root !== '/' || this.opts.runVersionFlag === false) return;
    const bins: [string, Kind][] = [
      ['/opt/google/chrome/chrome', k('chrome', 'Google Chrome', 'stable')],
      ['/opt/microsoft/msedge/msedge', k('edge', 'Microsoft Edge', 'stable')],
      ['/opt/brave.com/brave/brave', k('brave', 'Brave', 'release')],
      ['/opt/vivaldi/vivaldi', k('vivaldi', 'Vivaldi', 'stable')],
      ['/usr/lib/x86_64-linux-gnu/opera/opera', k('opera', 'Opera', 'stable')],
    ];
    for (const [bin, kind] of bins) {
      if (this.has(kind.browser)) continue;
      const exists = await lstat(bin).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists) continue;
      if (!(await rootOwnedPath(bin))) {
        this.ctx.problem(
          STEP,
          bin,
          `${bin} was not run for its version: it or a folder above it is not owned by root, or others may write it`,
        );
        continue;
      }
      const r = await abortable(
        this.run(bin, ['--version'], {
          timeoutMs: TOOL_TIMEOUT_MS,
          maxBuffer: 4096,
          env: { PATH: '/usr/bin:/bin', LANG: 'C' },
        }),
        this.ctx.signal,
      );
      const v = r.ok ? firstVersionIn(r.stdout) : null;
      if (!v) {
        this.ctx.problem(STEP, bin, `${bin} --version: ${r.error ?? 'no version in its output'}`);
        continue;
      }
      const version = kind.browser === 'brave' ? braveReleaseVersion(v) : v;
      this.add({ ...kind, version, source: `${bin} --version`, path: bin });
    }
  }

  async windows(): Promise<void> {
    const env = this.opts.env ?? process.env;
    const pf = env.ProgramFiles;
    const pf86 = env['ProgramFiles(x86)'];
    const local = env.LOCALAPPDATA;
    const bases = (...b: (string | undefined)[]): string[] => [...new Set(b.filter((x): x is string => !!x))];
    const candidates: [string[], string, Kind][] = [
      [bases(pf, pf86, local), 'Google/Chrome/Application/chrome.exe', k('chrome', 'Google Chrome', 'stable')],
      [bases(pf, pf86, local), 'Google/Chrome Beta/Application/chrome.exe', k('chrome', 'Google Chrome Beta', 'beta')],
      [bases(local), 'Chromium/Application/chrome.exe', k('chromium', 'Chromium', 'stable')],
      [bases(pf86, pf), 'Microsoft/Edge/Application/msedge.exe', k('edge', 'Microsoft Edge', 'stable')],
      [bases(pf, pf86), 'Mozilla Firefox/firefox.exe', k('firefox', 'Firefox', 'release')],
      [bases(pf, pf86, local), 'BraveSoftware/Brave-Browser/Application/brave.exe', k('brave', 'Brave', 'release')],
      [bases(local), 'Programs/Opera/opera.exe', k('opera', 'Opera', 'stable')],
      [bases(pf, local), 'Vivaldi/Application/vivaldi.exe', k('vivaldi', 'Vivaldi', 'stable')],
    ];
    for (const [roots, rel, kind] of candidates) {
      for (const root of roots) {
        const exe = join(root, ...rel.split('/'));
        const file = await this.ctx.readFile(STEP, exe, MAX_EXE);
        if (!file) continue;
        const pe = readPeVersion(file.data);
        if ('error' in pe) {
          this.ctx.problem(STEP, exe, `${exe}: ${pe.error}`);
          continue;
        }
        const raw = pe.productVersion ?? pe.fixedVersion ?? '';
        const v = firstVersionIn(raw) ?? raw;
        let kk = kind;
        let version = v;
        if (kind.browser === 'firefox') {
          const prefs = await this.text(join(root, 'Mozilla Firefox', 'defaults', 'pref', 'channel-prefs.js'));
          kk = firefoxKind(v, prefs ? firefoxChannel(prefs) : /esr/i.test(raw) ? 'esr' : null);
        } else if (kind.browser === 'brave') {
          version = braveReleaseVersion(v);
        }
        this.add({ ...kk, version, source: `${exe}: version resource (ProductVersion ${raw})`, path: exe });
      }
    }
  }

  async darwin(): Promise<void> {
    const apps: [string, Kind][] = [
      ['Google Chrome.app', k('chrome', 'Google Chrome', 'stable')],
      ['Google Chrome Beta.app', k('chrome', 'Google Chrome Beta', 'beta')],
      ['Chromium.app', k('chromium', 'Chromium', 'stable')],
      ['Microsoft Edge.app', k('edge', 'Microsoft Edge', 'stable')],
      ['Firefox.app', k('firefox', 'Firefox', 'release')],
      ['Brave Browser.app', k('brave', 'Brave', 'release')],
      ['Opera.app', k('opera', 'Opera', 'stable')],
      ['Vivaldi.app', k('vivaldi', 'Vivaldi', 'stable')],
    ];
    const folders = ['/Applications', ...(this.opts.homes ?? []).map((h) => join(h, 'Applications'))];
    for (const folder of folders) {
      for (const [app, kind] of apps) {
        const plist = this.ctx.resolve(join(folder, app, 'Contents', 'Info.plist'));
        const xml = await this.plistXml(plist);
        if (xml === null) continue;
        let version: string | undefined;
        try {
          version = plistStrings(xml, ['CFBundleShortVersionString']).CFBundleShortVersionString;
        } catch (e) {
          if (!(e instanceof XmlParseError)) throw e;
          this.ctx.problem(STEP, plist, `${plist}: not a readable property list (${e.message})`);
          continue;
        }
        const v = version ? (firstVersionIn(version) ?? version) : null;
        if (!v) continue;
        let kk = kind;
        if (kind.browser === 'firefox') {
          const prefs = await this.text(
            join(folder, app, 'Contents', 'Resources', 'defaults', 'pref', 'channel-prefs.js'),
          );
          kk = firefoxKind(v, prefs ? firefoxChannel(prefs) : null);
        }
        this.add({
          ...kk,
          version: kind.browser === 'brave' ? braveReleaseVersion(v) : v,
          source: `${plist}: CFBundleShortVersionString ${version}`,
          path: join(folder, app),
        });
      }
    }
  }

  /** A plist as XML: read as it is, or converted by the system's plutil when it is binary. */
  async plistXml(path: string): Promise<string | null> {
    const file = await this.ctx.readFile(STEP, path, 4 * 1024 * 1024);
    if (!file) return null;
    if (file.data.subarray(0, 6).toString('latin1') !== 'bplist') return file.data.toString('utf8');
    const r = await this.tool('/usr/bin/plutil', ['-convert', 'xml1', '-o', '-', path], 8 * 1024 * 1024);
    if (!r.ok) {
      this.ctx.problem(STEP, path, `cannot convert the binary plist ${path}: ${r.error ?? 'plutil failed'}`);
      return null;
    }
    return r.stdout;
  }
}

/** The installed browsers this platform can tell, each once per channel and version. */
export async function findInstalledBrowsers(
  ctx: ScanContext,
  run: ToolRunner,
  opts: SoftwareOptions = {},
): Promise<FoundBrowser[]> {
  const finder = new Finder(ctx, run, opts);
  if (ctx.platform === 'win32') await finder.windows();
  else if (ctx.platform === 'darwin') await finder.darwin();
  else await finder.linux();
  return finder.found;
}
