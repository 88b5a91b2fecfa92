/**
 * macOS LaunchAgents and LaunchDaemons: the plist parser (pure, tested on hand-made samples) and
 * the collection from /Library and each user's ~/Library (binary plists converted with
 * `plutil -convert xml1`, through runFile). Untested on a Mac: no such machine in this workplace.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseXml, type XmlElement } from '../platform/nvidia/xml-parse.js';
import type { CollectedEntry } from './persistence-types.js';
import { abortable, type ScanContext } from './scan-context.js';
import type { ToolRunner } from './windows-persistence.js';

export interface LaunchdJob {
  label: string | null;
  program: string | null;
  args: string[];
  runAtLoad: boolean;
  keepAlive: boolean;
  /** `Disabled` is true in the plist (launchd's own override database may still enable it). */
  disabled: boolean;
  /** How else it is started: StartInterval seconds, StartCalendarInterval, WatchPaths, QueueDirectories. */
  triggers: string[];
  /** 1-based line of the Program / ProgramArguments key in the XML, when found. */
  line: number | null;
}

/** Shell-quoted where needed, so the command check splits it back into the same words. */
export function joinArgs(args: readonly string[]): string {
  return args.map((a) => (a === '' || /[\s"'\\$`;&|<>()]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a)).join(' ');
}

function dictEntries(dict: XmlElement): Map<string, XmlElement> {
  const map = new Map<string, XmlElement>();
  const kids = dict.children;
  for (let i = 0; i + 1 < kids.length; i++) {
    const k = kids[i];
    if (k?.name === 'key') {
      const v = kids[i + 1];
      if (v) map.set(k.text.trim(), v);
      i++;
    }
  }
  return map;
}

/** True for <true/>, and for a KeepAlive dictionary (conditional keep-alive is still keep-alive). */
function truthy(el: XmlElement | undefined): boolean {
  return el?.name === 'true' || el?.name === 'dict';
}

/** Reads a launchd job from plist XML; throws XmlParseError on malformed XML. */
export function parseLaunchdPlist(xml: string): LaunchdJob {
  const root = parseXml(xml);
  const dict =
    root.name === 'plist' ? root.children.find((c) => c.name === 'dict') : root.name === 'dict' ? root : undefined;
  if (!dict) {
    return {
      label: null,
      program: null,
      args: [],
      runAtLoad: false,
      keepAlive: false,
      disabled: false,
      triggers: [],
      line: null,
    };
  }
  const e = dictEntries(dict);
  const str = (k: string): string | null => {
    const v = e.get(k);
    return v?.name === 'string' ? v.text : null;
  };
  const argsEl = e.get('ProgramArguments');
  const args = argsEl?.name === 'array' ? argsEl.children.filter((c) => c.name === 'string').map((c) => c.text) : [];
  const keyAt = ['<key>ProgramArguments</key>', '<key>Program</key>']
    .map((k) => xml.indexOf(k))
    .filter((i) => i >= 0)
    .sort((a, b) => a - b)[0];
  const triggers: string[] = [];
  const interval = e.get('StartInterval');
  if (interval?.name === 'integer' && /^\d+$/.test(interval.text.trim())) {
    triggers.push(`every ${interval.text.trim()} s (StartInterval)`);
  }
  if (e.has('StartCalendarInterval')) triggers.push('on a schedule (StartCalendarInterval)');
  if (e.has('WatchPaths')) triggers.push('whenever a watched file changes (WatchPaths)');
  if (e.has('QueueDirectories')) triggers.push('whenever a watched folder has files (QueueDirectories)');
  return {
    label: str('Label'),
    program: str('Program'),
    args,
    runAtLoad: truthy(e.get('RunAtLoad')),
    keepAlive: truthy(e.get('KeepAlive')),
    disabled: e.get('Disabled')?.name === 'true',
    triggers,
    line: keyAt === undefined ? null : xml.slice(0, keyAt).split('\n').length,
  };
}

/** The command a job runs: Program (when given) is what runs, ProgramArguments its argv. */
export function launchdCommand(job: LaunchdJob): string {
  if (job.program) return joinArgs([job.program, ...job.args.slice(1)]);
  return joinArgs(job.args);
}

/** Folders every user (and every program any user runs) can write to. */
const SHARED_WRITABLE = /^\/(?:private\/)?(?:tmp|var\/tmp|var\/folders)\/|^\/Users\/Shared\//;

/**
 * Why a kept-alive job's program can be replaced by someone other than the account it runs as:
 * it lies in a folder every user can write, in a user's home while the job runs as root or as
 * every user, or a file or folder on its path is writable by all or (for a system job) owned by
 * someone other than root. Empty when none of these holds, or the program is not an absolute path.
 */
export async function writableProgram(
  ctx: ScanContext,
  program: string,
  scope: 'daemon' | 'system-agent' | 'user-agent',
): Promise<{ severity: 'high' | 'medium'; reasons: string[] } | null> {
  if (!program.startsWith('/')) return null;
  const runs =
    scope === 'daemon' ? 'as root' : scope === 'system-agent' ? 'for every user who logs in' : 'for its user';
  const lead = `kept alive (KeepAlive: restarted whenever it exits) ${runs}, from ${program}`;
  if (SHARED_WRITABLE.test(program)) {
    return { severity: 'high', reasons: [`${lead}, a folder every user and every program can write to`] };
  }
  const home = /^\/Users\/([^/]+)\//.exec(program);
  if (home && scope !== 'user-agent') {
    return {
      severity: 'high',
      reasons: [`${lead}, in ${home[1]}'s home folder: any program ${home[1]} runs can replace what it starts`],
    };
  }
  // The file and each folder above it: writable by all (without the sticky bit), or not root's.
  let path = posix.normalize(program);
  for (;;) {
    const st = await ctx.fs.lstat(ctx.resolve(path)).catch(() => null);
    if (st && st.kind !== 'link') {
      const worldWritable = (st.mode & 0o002) !== 0 && (st.kind !== 'dir' || (st.mode & 0o1000) === 0);
      if (worldWritable) {
        return { severity: 'high', reasons: [`${lead}; ${path} can be written by every user`] };
      }
      if (scope !== 'user-agent' && st.uid !== 0) {
        return {
          severity: 'medium',
          reasons: [`${lead}; ${path} belongs to user id ${st.uid}, not root: that account can replace what it starts`],
        };
      }
    }
    if (path === '/') return null;
    path = posix.dirname(path);
  }
}

/** System-wide agents and daemons, and root's own agents (root's home is /var/root). */
const SYSTEM_DIRS = ['/Library/LaunchAgents', '/Library/LaunchDaemons', '/var/root/Library/LaunchAgents'];

export async function collectLaunchd(ctx: ScanContext, run: ToolRunner): Promise<CollectedEntry[]> {
  const dirs = [...SYSTEM_DIRS];
  for (const user of (await ctx.listDir('persistence', ctx.resolve('/Users'))) ?? []) {
    if (user !== 'Shared' && !user.startsWith('.')) dirs.push(`/Users/${user}/Library/LaunchAgents`);
  }
  const out: CollectedEntry[] = [];
  for (const dir of dirs) {
    for (const name of (await ctx.listDir('persistence', ctx.resolve(dir), 'launchd')) ?? []) {
      if (!name.endsWith('.plist')) continue;
      ctx.checkAbort();
      const file = ctx.resolve(posix.join(dir, name));
      const read = await ctx.readFile('persistence', file, undefined, 'launchd');
      if (!read) continue;
      const buf = read.data;
      let xml = buf.toString('utf8');
      const binary = buf.subarray(0, 6).toString('latin1') === 'bplist';
      if (binary) {
        const r = await abortable(
          run('plutil', ['-convert', 'xml1', '-o', '-', '--', file], { timeoutMs: 10_000 }),
          ctx.signal,
        );
        if (!r.ok) {
          ctx.problem('persistence', file, `cannot convert the binary plist ${file}: ${r.error ?? 'plutil failed'}`);
          continue;
        }
        xml = r.stdout;
      }
      let job: LaunchdJob;
      try {
        job = parseLaunchdPlist(xml);
      } catch (e) {
        ctx.problem('persistence', file, `cannot read ${file}: ${(e as Error).message}`);
        continue;
      }
      const command = launchdCommand(job);
      if (command === '') continue;
      const program = job.program ?? job.args[0] ?? null;
      const scope = dir.endsWith('Daemons') ? 'daemon' : dir.startsWith('/Library/') ? 'system-agent' : 'user-agent';
      const writable = job.keepAlive && program ? await writableProgram(ctx, program, scope) : null;
      // A binary plist has no lines: a line number of plutil's XML would point nowhere in the file.
      const line = binary ? null : job.line;
      const lineText = line === null ? command : (xml.split('\n')[line - 1] ?? '').trim();
      out.push({
        kind: 'launchd',
        file,
        line,
        text: lineText,
        command,
        location: job.label,
        runAs: dir.startsWith('/Users/')
          ? (dir.split('/')[2] ?? null)
          : dir.endsWith('Daemons') || dir.startsWith('/var/root/')
            ? 'root'
            : 'each user who logs in',
        fileState: {
          size: buf.length,
          mtimeMs: read.mtimeMs,
          sha256: createHash('sha256').update(buf).digest('hex'),
        },
        home:
          dir.startsWith('/Users/') || dir.startsWith('/var/root/')
            ? dir.replace(/\/Library\/LaunchAgents$/, '')
            : null,
        shellScript: false,
        notes: [
          job.runAtLoad ? 'starts at login/boot (RunAtLoad)' : '',
          job.keepAlive ? 'restarted whenever it exits (KeepAlive)' : '',
          ...job.triggers.map((t) => `started ${t}`),
          job.disabled ? 'marked Disabled in the plist (launchctl can still enable it)' : '',
          binary ? 'binary plist (read through plutil)' : '',
        ].filter(Boolean),
        ...(writable
          ? {
              judged: writable.reasons,
              judgedSeverity: writable.severity,
              rule: 'keepalive-writable' as const,
              program,
            }
          : {}),
      });
    }
  }
  return out;
}
