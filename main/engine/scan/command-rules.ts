/**
 * Judging the command a persistence entry runs (a crontab line, an ExecStart=, a Run value):
 * programs started from temporary or hidden folders, miner signatures, mining-pool hosts, code
 * downloaded and run on the spot, library preloading. Pure functions of strings: the command is
 * only ever read, never run.
 */
import type { Severity } from '../../../shared/detection.js';
import type { Platform } from '../../../shared/trace.js';
import { firstArg, minerSignature } from '../detect/identity.js';
import { baseName, plainName, systemNameImpostor } from '../detect/provenance.js';
import { type DomainList, findListedHosts } from '../detect/mining-domains.js';
import { locationFindings } from './path-rules.js';

export interface CommandVerdict {
  severity: Severity;
  reasons: string[];
  /** The full path of the program it starts, when one could be told (for the allowlist check). */
  program: string | null;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

export function maxSeverity(a: Severity | null, b: Severity): Severity {
  return a === null || SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a;
}

// ---------------------------------------------------------------------------------------------
// POSIX shell words, as far as a one-line check needs them.

/**
 * Splits a shell line into simple commands of words; quotes are honoured, expansions left as text,
 * redirections (`>/dev/null`, `2>&1`, `&>log`) dropped with their targets.
 */
export function shellCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  /** The next word is a redirection's target, not an argument. */
  let target = false;
  const endWord = (): void => {
    if (inWord && !target) words.push(word);
    if (inWord) target = false;
    word = '';
    inWord = false;
  };
  const endCommand = (): void => {
    endWord();
    target = false;
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word += end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      inWord = true;
      i = end < 0 ? line.length : end;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        word += line[j];
        j++;
      }
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[i + 1];
      inWord = true;
      i++;
    } else if (c === '#' && !inWord) {
      break; // a comment runs to the end of the line
    } else if (c === '>' || c === '<' || (c === '&' && line[i + 1] === '>')) {
      // An fd number just before the operator (2>) belongs to it.
      if (/^\d+$/.test(word)) {
        word = '';
        inWord = false;
      }
      endWord();
      let j = i + 1;
      while (j < line.length && /[<>&|]/.test(line[j] as string)) j++;
      const op = line.slice(i, j);
      if (op.endsWith('&') && /[\d-]/.test(line[j] ?? '')) {
        while (j < line.length && /[\d-]/.test(line[j] as string)) j++; // 2>&1: the target is an fd
      } else {
        target = true;
      }
      i = j - 1;
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === ';' || c === '&' || c === '|' || c === '(' || c === ')' || c === '`' || c === '\n') {
      endCommand();
    } else if (c === '$' && line[i + 1] === '(') {
      endCommand();
      i++;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** Programs that run the program or command given as an argument. */
const WRAPPERS = new Set([
  'nohup',
  'exec',
  'setsid',
  'sudo',
  'doas',
  'env',
  'nice',
  'ionice',
  'timeout',
  'command',
  'builtin',
  'time',
  'chrt',
  'taskset',
  'stdbuf',
  'flock',
  'runuser',
  'chronic',
  'xargs',
]);
const INTERPRETERS = /^(?:sh|bash|dash|zsh|ksh|ash|busybox|python[\d.]*|perl|ruby|node|nodejs|php[\d.]*|lua)$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

export interface ShellRun {
  /** A path the command executes: the program, or a script an interpreter runs. */
  path: string;
  /** Sourced (`. file`, `source file`): read into the shell, not executed as a program. */
  sourced: boolean;
}

/** The program words of a shell line and the scripts its interpreters run; `sh -c '…'` is looked into. */
export function shellRuns(line: string, depth = 0): ShellRun[] {
  const runs: ShellRun[] = [];
  for (const words of shellCommands(line)) {
    let i = 0;
    while (i < words.length) {
      const w = words[i] as string;
      if (ASSIGNMENT.test(w)) {
        i++;
        continue;
      }
      if (WRAPPERS.has(baseName(w, 'linux'))) {
        i++;
        // Options of the wrapper, and the duration/priority arguments some of them take.
        while (
          i < words.length &&
          (/^-/.test(words[i] as string) ||
            /^\d+[smhd]?$/.test(words[i] as string) ||
            ASSIGNMENT.test(words[i] as string))
        )
          i++;
        continue;
      }
      break;
    }
    const prog = words[i];
    if (prog === undefined) continue;
    if (prog === '.' || prog === 'source') {
      const file = words[i + 1];
      if (file) runs.push({ path: file, sourced: true });
      continue;
    }
    runs.push({ path: prog, sourced: false });
    if (!INTERPRETERS.test(baseName(prog, 'linux'))) continue;
    for (let j = i + 1; j < words.length; j++) {
      const a = words[j] as string;
      if (a === '-c') {
        const script = words[j + 1];
        if (script && depth < 3) runs.push(...shellRuns(script, depth + 1));
        break;
      }
      if (a.startsWith('-')) continue;
      runs.push({ path: a, sourced: false });
      break;
    }
  }
  return runs;
}

/** `~/x`, `$HOME/x`, `${HOME}/x` with the entry owner's home, when known. */
export function expandHome(path: string, home: string | null): string {
  if (!home) return path;
  return path.replace(/^(?:~|\$HOME|\$\{HOME\})(?=\/|$)/, home);
}

// ---------------------------------------------------------------------------------------------

/** Downloading code and running it at once; in a scheduled job this is how droppers re-infect. */
const DOWNLOAD_EXEC: { re: RegExp; text: string }[] = [
  {
    re: /\b(?:curl|wget|fetch|tftp)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:\/\S*\/)?(?:ba|da|z|k)?sh\b/i,
    text: 'downloads a script and pipes it into a shell',
  },
  {
    re: /\bbase64\s+(?:-d|--decode)\b[^|;\n]*\|\s*(?:\/\S*\/)?(?:ba|da|z)?sh\b/i,
    text: 'decodes hidden (base64) code and runs it',
  },
  {
    re: /\b(?:curl|wget)\b[^;&\n]*(?:-o|-O|--output)\s*\S+[^;\n]*(?:&&|;)\s*(?:chmod\s+\+?[0-7]*x|(?:ba|da)?sh\s)/i,
    text: 'downloads a program and runs it',
  },
  {
    re: /\b(?:downloadstring|downloadfile|invoke-webrequest|iwr|invoke-restmethod|irm)\b[\s\S]*?\b(?:iex|invoke-expression)\b|\b(?:iex|invoke-expression)\b[\s\S]*?\b(?:downloadstring|net\.webclient)\b/i,
    text: 'downloads PowerShell code and runs it',
  },
  {
    re: /\s-(?:e|en|enc|enco|encod|encode|encodedcommand)\s+[A-Za-z0-9+/=]{40,}/i,
    text: 'runs encoded (hidden) PowerShell code',
  },
  { re: /\bcertutil(?:\.exe)?\b[^\n]*-urlcache\b/i, text: 'downloads a file with certutil' },
  { re: /\bbitsadmin(?:\.exe)?\b[^\n]*\/transfer\b/i, text: 'downloads a file with bitsadmin' },
  {
    re: /\bmshta(?:\.exe)?\s+["']?(?:https?|javascript|vbscript):/i,
    text: 'runs a script with mshta (from the web or inline)',
  },
];

/**
 * Tuning the machine for RandomX the way miner kits do it at boot, from a job or a unit rather than
 * a sysctl.d or modprobe.d file (those the tamper step reads): huge pages and CPU-register writes.
 */
const MINER_TUNING: { re: RegExp; severity: Severity; text: string }[] = [
  {
    re: /\bvm[./]nr_(?:overcommit_)?hugepages\s*=\s*["']?\+?0*[1-9]/,
    severity: 'medium',
    text: 'reserves huge pages (vm.nr_hugepages), as RandomX miners do to mine faster',
  },
  {
    re: /\b(?:echo|printf)\s+["']?\+?0*[1-9]\d*["']?\s*(?:>|\|\s*(?:sudo\s+)?tee\b[^;&|\n]*?)\s*\S*\/nr_(?:overcommit_)?hugepages\b/,
    severity: 'medium',
    text: 'reserves huge pages (writes nr_hugepages), as RandomX miners do to mine faster',
  },
  {
    re: /\b(?:modprobe|insmod)\b[^;&|\n]*\bmsr\b[^;&|\n]*\ballow[_-]writes=["']?on\b|\becho\s+["']?on["']?\s*(?:>|\|\s*(?:sudo\s+)?tee\b[^;&|\n]*?)\s*\S*\/sys\/module\/msr\/parameters\/allow_writes\b/,
    severity: 'medium',
    text: "allows writes to CPU registers (msr allow_writes=on), as XMRig's MSR mod needs",
  },
  {
    re: /(?:^|[\s;&|/])wrmsr\s/,
    severity: 'low',
    text: "writes CPU registers (wrmsr), as XMRig's MSR mod does; some laptop power tweaks do too",
  },
];

export interface CommandCheckOptions {
  platform: Platform;
  domains: DomainList;
  /** Home of the user the entry runs as, for `~` and `$HOME`. */
  home: string | null;
  /** Shell rc files: only lines that launch something suspicious count, sourced dot-files are normal. */
  shellRc?: boolean;
}

/** Judges one command; null when nothing about it is suspicious. */
export function checkCommand(command: string, opts: CommandCheckOptions): CommandVerdict | null {
  const reasons: string[] = [];
  let severity: Severity | null = null;
  const add = (s: Severity, why: string): void => {
    severity = maxSeverity(severity, s);
    if (!reasons.includes(why)) reasons.push(why);
  };
  const win = opts.platform === 'win32';
  const runs: ShellRun[] = win ? windowsPaths(command) : shellRuns(command);
  const absolute = (path: string): boolean =>
    win ? /^[a-z]:[\\/]|^\\\\/i.test(path) || /^%\w+%/.test(path) : path.startsWith('/');
  // The first program named by its full path is the one worth checking (`cd / && /x/y` runs /x/y).
  const executed = runs.filter((r) => !r.sourced);
  const program =
    executed.find((r) => absolute(win ? r.path : expandHome(r.path, opts.home)))?.path ?? executed[0]?.path ?? null;
  for (const r of runs) {
    const path = win ? r.path : expandHome(r.path, opts.home);
    if (!absolute(path)) continue;
    const expanded = win ? expandWinVars(path) : path;
    for (const f of locationFindings(expanded, opts.platform)) {
      // Shell start-up files source dot-files by design (. ~/.bashrc): only running from temp counts there.
      if (f.kind === 'hidden' && (r.sourced || (opts.shellRc && r.path !== program))) continue;
      add(f.kind === 'cache' ? 'medium' : 'high', `${r.sourced ? 'reads in' : 'runs'} ${path} from ${f.where}`);
    }
  }
  const prog = program ?? '';
  const progPath = win ? expandWinVars(prog) : expandHome(prog, opts.home);
  // /etc/init.d/cron is the service script of cron, not a program posing as it.
  const impostor =
    prog && absolute(progPath) && !progPath.startsWith('/etc/')
      ? systemNameImpostor({ name: baseName(progPath, opts.platform), exe: progPath }, opts.platform)
      : null;
  if (impostor) {
    add('high', `runs ${prog}, named like the system program ${impostor.posedAs}, which lives in ${impostor.expected}`);
  }
  const sig = minerSignature(
    {
      pid: 0,
      ppid: null,
      name: prog ? plainName(baseName(prog, opts.platform)) : '',
      exe: prog || null,
      cmdline: command,
      user: null,
      startT: 0,
    },
    opts.platform,
  );
  if (sig?.strength === 'strong') add('high', `miner signature: ${sig.detail}`);
  else if (sig?.strength === 'name') add('medium', `miner signature: ${sig.detail}`);
  for (const h of findListedHosts(command, opts.domains))
    add('high', `names a mining domain: ${h.host} (listed as ${h.domain})`);
  for (const d of DOWNLOAD_EXEC) if (d.re.test(command)) add('medium', d.text);
  if (!win) for (const t of MINER_TUNING) if (t.re.test(command)) add(t.severity, t.text);
  if (/\bLD_PRELOAD\s*=/.test(command))
    add('high', 'sets LD_PRELOAD, which loads a library into every program it starts');
  if (severity === null) return null;
  // For the allowlist: a full path only (a %VARIABLE% stands for a folder that differs per user).
  return { severity, reasons, program: prog && absolute(progPath) && !prog.startsWith('%') ? progPath : null };
}

/**
 * Windows: the program (first argument) and every other absolute path in the command, since
 * rundll32, regsvr32, wscript and cmd /c run the file they are given.
 */
export function windowsPaths(command: string): ShellRun[] {
  const out: ShellRun[] = [];
  const first = firstArg(command);
  if (first) out.push({ path: first, sourced: false });
  for (const m of command.matchAll(/"((?:[a-z]:\\|%\w+%\\)[^"]+)"|((?:[a-z]:\\|%\w+%\\)[^\s"',;]+)/gi)) {
    const p = (m[1] ?? m[2] ?? '').replace(/,\w*$/, '');
    if (p && !out.some((r) => r.path === p)) out.push({ path: p, sourced: false });
  }
  return out;
}

/** %APPDATA%, %TEMP%, … as paths the location rules recognise (the user's folder stands in for any user). */
function expandWinVars(path: string): string {
  return path.replace(/^%(\w+)%/i, (whole, name: string) => {
    switch (name.toLowerCase()) {
      case 'appdata':
        return 'C:\\Users\\user\\AppData\\Roaming';
      case 'localappdata':
        return 'C:\\Users\\user\\AppData\\Local';
      case 'temp':
      case 'tmp':
        return 'C:\\Users\\user\\AppData\\Local\\Temp';
      case 'programdata':
      case 'allusersprofile':
        return 'C:\\ProgramData';
      case 'public':
        return 'C:\\Users\\Public';
      case 'systemroot':
      case 'windir':
        return 'C:\\Windows';
      case 'userprofile':
        return 'C:\\Users\\user';
      default:
        return whole;
    }
  });
}
