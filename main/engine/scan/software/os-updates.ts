/**
 * When the operating system last installed updates, and what is waiting, from what a user may
 * read without asking anything on the network:
 *
 * - Debian and Ubuntu: apt's history (history.log and its rotated .gz files, decompressed here
 *   with a size cap), unattended-upgrades' log, dpkg's log; waiting updates from
 *   update-notifier's summary where Ubuntu keeps one;
 * - Fedora: dnf's rpm log;
 * - Windows: the installed updates (`Get-HotFix`);
 * - macOS: /Library/Receipts/InstallHistory.plist and softwareupdate's last check.
 *
 * What could not be read is said, with the reason, in `notes`.
 */
import { gunzipSync } from 'node:zlib';
import type { ScanOsUpdates, ScanStepId } from '../../../../shared/scan.js';
import { XmlParseError } from '../../platform/nvidia/xml-parse.js';
import { abortable, type ScanContext } from '../scan-context.js';
import type { ToolRunner } from '../windows-persistence.js';
import { plistRecords } from './plist.js';

const STEP: ScanStepId = 'software';
/** Updates older than this are stale: distributions publish security fixes every week or two. */
export const STALE_AFTER_DAYS = 35;
const DAY_MS = 86_400_000;
const MAX_LOG = 16 * 1024 * 1024;
const MAX_GZ = 4 * 1024 * 1024;
/** A rotated log decompresses to at most this; past it the file is not a log (a gzip bomb). */
const MAX_GUNZIPPED = 32 * 1024 * 1024;
const MAX_ROTATED = 6;
const TOOL_TIMEOUT_MS = 20_000;

/** The last time something was installed, per source. */
export interface UpdateEvent {
  atMs: number;
  what: string;
  source: string;
}

/** `YYYY-MM-DD  HH:MM:SS` as local time (apt and dpkg write local time without a zone). */
function localMs(date: string, time: string): number {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  const ms = new Date(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0).getTime();
  return Number.isFinite(ms) ? ms : Number.NaN;
}

/** The newest apt transaction that upgraded packages, from one history.log's text. */
export function lastAptUpgrade(text: string): { atMs: number; count: number } | null {
  let best: { atMs: number; count: number } | null = null;
  for (const block of text.split(/\n\s*\n/)) {
    const start = /^Start-Date:\s*(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2})/m.exec(block);
    const upgrade = /^Upgrade:\s*(.+)$/m.exec(block);
    if (!start || !upgrade) continue;
    const atMs = localMs(start[1] as string, start[2] as string);
    // Each package is `name:arch (old, new)`: count the closing parentheses.
    const count = (upgrade[1]?.match(/\)/g) ?? []).length;
    if (Number.isFinite(atMs) && (!best || atMs > best.atMs)) best = { atMs, count };
  }
  return best;
}

/** The newest `upgrade` line of a dpkg.log. */
export function lastDpkgUpgrade(text: string): number | null {
  let best: number | null = null;
  for (const m of text.matchAll(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) upgrade /gm)) {
    const at = localMs(m[1] as string, m[2] as string);
    if (Number.isFinite(at) && (best === null || at > best)) best = at;
  }
  return best;
}

/** unattended-upgrades' last run that installed something (it installs security updates by default). */
export function lastUnattendedUpgrade(text: string): number | null {
  let best: number | null = null;
  for (const m of text.matchAll(
    /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})[,.]\d+ INFO (?:All upgrades installed|Packages that were upgraded)/gm,
  )) {
    const at = localMs(m[1] as string, m[2] as string);
    if (Number.isFinite(at) && (best === null || at > best)) best = at;
  }
  return best;
}

/** The newest upgrade in dnf's rpm log (`2025-06-24T14:36:25+0000 SUBDEBUG Upgrade: …`). */
export function lastDnfUpgrade(text: string): number | null {
  let best: number | null = null;
  for (const m of text.matchAll(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})([+-]\d{2}):?(\d{2}) \w+ Upgraded?:/gm)) {
    const at = Date.parse(`${m[1]}${m[2]}:${m[3]}`);
    if (Number.isFinite(at) && (best === null || at > best)) best = at;
  }
  return best;
}

/** update-notifier's summary: "12 updates can be applied immediately. 5 of these updates are standard security updates." */
export function parseUpdatesAvailable(text: string): { pending: number; security: number } | null {
  const all = /(\d+) (?:updates?|packages?) can be (?:applied|updated|installed)/i.exec(text);
  if (!all && !/^0 updates/im.test(text)) return null;
  const pending = all ? Number(all[1]) : 0;
  const sec = /(\d+) (?:of these )?updates? (?:is a|are|is) (?:standard )?security updates?/i.exec(text);
  return { pending, security: sec ? Number(sec[1]) : 0 };
}

/** Get-HotFix's most recent entries: what was installed last, and the last security update. */
export const HOTFIX_SCRIPT =
  "Get-HotFix | Where-Object { $_.InstalledOn } | Sort-Object InstalledOn -Descending | Select-Object -First 20 | ForEach-Object { [pscustomobject]@{ id = $_.HotFixID; kind = $_.Description; on = $_.InstalledOn.ToString('o') } } | ConvertTo-Json -Compress";

export function parseHotFixes(json: string): { id: string; kind: string; atMs: number }[] {
  const text = json.trim();
  if (text === '') return [];
  const raw: unknown = JSON.parse(text);
  const list = Array.isArray(raw) ? raw : [raw];
  const out: { id: string; kind: string; atMs: number }[] = [];
  for (const x of list) {
    if (typeof x !== 'object' || x === null) continue;
    const r = x as Record<string, unknown>;
    const atMs = typeof r.on === 'string' ? Date.parse(r.on) : Number.NaN;
    if (typeof r.id === 'string' && Number.isFinite(atMs)) {
      out.push({ id: r.id.slice(0, 40), kind: typeof r.kind === 'string' ? r.kind.slice(0, 60) : '', atMs });
    }
  }
  return out.sort((a, b) => b.atMs - a.atMs);
}

/** The newest install by Apple's software update in InstallHistory.plist's records. */
export function lastAppleUpdate(records: readonly Record<string, string>[]): UpdateEvent | null {
  let best: UpdateEvent | null = null;
  for (const r of records) {
    if (r.processName !== 'softwareupdated' && r.processName !== 'Software Update') continue;
    const atMs = r.date ? Date.parse(r.date) : Number.NaN;
    if (!Number.isFinite(atMs) || (best && atMs <= best.atMs)) continue;
    const what = `${r.displayName ?? 'an update'}${r.displayVersion ? ` ${r.displayVersion}` : ''}`.slice(0, 120);
    best = { atMs, what, source: '/Library/Receipts/InstallHistory.plist' };
  }
  return best;
}

class UpdateReader {
  readonly events: UpdateEvent[] = [];
  readonly notes: string[] = [];
  pending: number | null = null;
  pendingSecurity: number | null = null;

  constructor(
    readonly ctx: ScanContext,
    readonly run: ToolRunner,
  ) {}

  /** A log's text, or null when it is absent (a problem is noted when it exists but cannot be read). */
  async log(path: string): Promise<string | null> {
    const file = await this.ctx.readFile(STEP, this.ctx.resolve(path), path.endsWith('.gz') ? MAX_GZ : MAX_LOG);
    if (!file) return null;
    if (!path.endsWith('.gz')) return file.data.toString('utf8');
    try {
      return gunzipSync(file.data, { maxOutputLength: MAX_GUNZIPPED }).toString('utf8');
    } catch (e) {
      this.ctx.problem(STEP, path, `cannot decompress ${path}: ${(e as Error).message.slice(0, 120)}`);
      return null;
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await abortable(this.ctx.fs.lstat(this.ctx.resolve(path)), this.ctx.signal).catch(() => null)) !== null;
  }

  async linux(): Promise<void> {
    const apt = await this.exists('/var/log/apt');
    if (apt) {
      // Newest first: the live log, then history.log.1.gz, …; the first that has an upgrade wins.
      const files = ['/var/log/apt/history.log'];
      for (let i = 1; i <= MAX_ROTATED; i++) files.push(`/var/log/apt/history.log.${i}.gz`);
      for (const f of files) {
        const text = await this.log(f);
        const up = text ? lastAptUpgrade(text) : null;
        if (up) {
          this.events.push({ atMs: up.atMs, what: `${up.count} packages upgraded`, source: f });
          break;
        }
      }
      const ua = await this.log('/var/log/unattended-upgrades/unattended-upgrades.log');
      const uaAt = ua ? lastUnattendedUpgrade(ua) : null;
      if (uaAt !== null) {
        this.events.push({
          atMs: uaAt,
          what: 'security updates installed by unattended-upgrades',
          source: '/var/log/unattended-upgrades/unattended-upgrades.log',
        });
      }
      const dpkg = await this.log('/var/log/dpkg.log');
      const dpkgAt = dpkg ? lastDpkgUpgrade(dpkg) : null;
      if (dpkgAt !== null) this.events.push({ atMs: dpkgAt, what: 'a package upgraded', source: '/var/log/dpkg.log' });
      if (this.events.length > 0 && uaAt === null) {
        this.notes.push(
          "apt's history does not say which upgrades carried security fixes (only unattended-upgrades' log does, and it is absent here)",
        );
      }
      const summary = await this.log('/var/lib/update-notifier/updates-available');
      const parsed = summary ? parseUpdatesAvailable(summary) : null;
      if (parsed) {
        this.pending = parsed.pending;
        this.pendingSecurity = parsed.security;
      } else {
        this.notes.push(
          "waiting updates: not read; only Ubuntu's update-notifier keeps a summary (/var/lib/update-notifier/updates-available), and otherwise apt's package lists (tens of MB) would have to be compared with every installed version; `apt list --upgradable` tells",
        );
      }
    }
    const dnf = await this.log('/var/log/dnf.rpm.log');
    const dnfAt = dnf ? lastDnfUpgrade(dnf) : null;
    if (dnfAt !== null) this.events.push({ atMs: dnfAt, what: 'packages upgraded', source: '/var/log/dnf.rpm.log' });
    if (dnf !== null || (await this.exists('/var/lib/dnf'))) {
      this.notes.push(
        "waiting updates: not read on Fedora; dnf would have to fetch its metadata from the network (`dnf check-update --security` tells); dnf's history database is SQLite and only its rpm log is read",
      );
    }
    if (!apt && dnf === null && this.events.length === 0) {
      this.notes.push('no package-manager log this version reads was found (apt, dpkg, unattended-upgrades, dnf)');
    }
  }

  async windows(): Promise<void> {
    const r = await abortable(
      this.run(
        'powershell.exe',
        ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', HOTFIX_SCRIPT],
        {
          timeoutMs: TOOL_TIMEOUT_MS,
          maxBuffer: 1024 * 1024,
        },
      ),
      this.ctx.signal,
    );
    if (!r.ok) {
      this.notes.push(`the installed updates could not be listed (Get-HotFix): ${r.error ?? 'failed'}`);
    } else {
      let fixes: ReturnType<typeof parseHotFixes> = [];
      try {
        fixes = parseHotFixes(r.stdout);
      } catch {
        this.notes.push('Get-HotFix printed something that is not JSON; the update history is unknown');
      }
      const last = fixes[0];
      const lastSecurity = fixes.find((f) => /security/i.test(f.kind));
      if (lastSecurity) {
        this.events.push({
          atMs: lastSecurity.atMs,
          what: `${lastSecurity.id} (${lastSecurity.kind})`,
          source: 'Get-HotFix',
        });
      } else if (last) {
        this.events.push({ atMs: last.atMs, what: `${last.id} (${last.kind})`, source: 'Get-HotFix' });
      } else if (fixes.length === 0) {
        this.notes.push('Get-HotFix lists no installed update with a date');
      }
    }
    this.notes.push(
      "waiting updates: not read; only Windows Update's own search knows them, and it asks Microsoft's servers (this scan makes no network requests)",
    );
  }

  async darwin(): Promise<void> {
    const path = '/Library/Receipts/InstallHistory.plist';
    const file = await this.ctx.readFile(STEP, this.ctx.resolve(path), MAX_LOG);
    if (file) {
      try {
        const xml = await this.xmlOf(path, file.data);
        const ev = xml ? lastAppleUpdate(plistRecords(xml)) : null;
        if (ev) this.events.push(ev);
        else if (xml) this.notes.push(`${path} records no install by Software Update`);
      } catch (e) {
        if (!(e instanceof XmlParseError)) throw e;
        this.notes.push(`${path} is not a readable property list (${e.message})`);
      }
    } else {
      this.notes.push(`${path} could not be read`);
    }
    const prefs = '/Library/Preferences/com.apple.SoftwareUpdate.plist';
    const pf = await this.ctx.readFile(STEP, this.ctx.resolve(prefs), 1024 * 1024);
    const xml = pf ? await this.xmlOf(prefs, pf.data).catch(() => null) : null;
    const n = xml
      ? /<key>LastRecommendedUpdatesAvailable<\/key>\s*<integer>(\d+)<\/integer>/.exec(xml)?.[1]
      : undefined;
    if (n !== undefined) {
      this.pending = Number(n);
      this.notes.push(
        'waiting updates: as counted by softwareupdate at its last background check; it does not say which are security updates',
      );
    } else {
      this.notes.push(`waiting updates: not read (${prefs} has no LastRecommendedUpdatesAvailable)`);
    }
  }

  private async xmlOf(path: string, data: Buffer): Promise<string | null> {
    if (data.subarray(0, 6).toString('latin1') !== 'bplist') return data.toString('utf8');
    const r = await abortable(
      this.run('/usr/bin/plutil', ['-convert', 'xml1', '-o', '-', this.ctx.resolve(path)], {
        timeoutMs: TOOL_TIMEOUT_MS,
        maxBuffer: MAX_LOG,
      }),
      this.ctx.signal,
    );
    if (!r.ok) {
      this.notes.push(`cannot convert the binary plist ${path}: ${r.error ?? 'plutil failed'}`);
      return null;
    }
    return r.stdout;
  }
}

/** The OS update state at `nowMs`; its dates are local time where the logs write local time. */
export async function readOsUpdates(ctx: ScanContext, run: ToolRunner, nowMs: number): Promise<ScanOsUpdates> {
  const reader = new UpdateReader(ctx, run);
  if (ctx.platform === 'win32') await reader.windows();
  else if (ctx.platform === 'darwin') await reader.darwin();
  else await reader.linux();
  const last = reader.events.reduce<UpdateEvent | null>((a, b) => (!a || b.atMs > a.atMs ? b : a), null);
  const state = last === null ? 'unknown' : nowMs - last.atMs > STALE_AFTER_DAYS * DAY_MS ? 'stale' : 'recent';
  return {
    state,
    lastInstalled: last ? new Date(last.atMs).toISOString() : null,
    source: last?.source ?? null,
    what: last?.what ?? null,
    pendingSecurity: reader.pendingSecurity,
    pending: reader.pending,
    notes: reader.notes,
  };
}
