/**
 * Programs that run whatever script or code they are handed: an allowlist entry that pins one by
 * its path (and even its hash) vouches for every script it will ever run, a miner's included. So
 * an interpreter can be allowlisted only together with an argument pattern that names the script.
 *
 * Shared by the engine (the rule) and the window (which explains it before the engine refuses).
 * Matched by the executable's file name: exact on Linux and macOS, case-insensitive on Windows.
 */
import type { ArgPattern } from './allowlist.js';
import { argPatternMatches } from './arg-match.js';

/** Script interpreters, shells, runtimes and launchers that run any code given to them. */
const POSIX_NAMES: ReadonlySet<string> = new Set([
  'python',
  'pypy',
  'node',
  'nodejs',
  'deno',
  'bun',
  'java',
  'jshell',
  'bash',
  'sh',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'ash',
  'fish',
  'csh',
  'tcsh',
  'busybox',
  'perl',
  'ruby',
  'php',
  'php-cgi',
  'lua',
  'luajit',
  'tclsh',
  'wish',
  'rscript',
  'pwsh',
  'osascript',
  'env',
  'electron',
  'wine',
  'wine64',
  'dotnet',
  'mono',
  'qemu-x86_64',
]);

/** Version-suffixed names: python3, python3.12, python3.13t, perl5.36, php8.2, ruby3.1, lua5.4. */
const POSIX_VERSIONED = /^(?:python|pypy|perl|ruby|php|lua|tclsh|wish|node)\d+(?:\.\d+)*[a-z]?$/;

const WIN_NAMES: ReadonlySet<string> = new Set([
  'python',
  'pythonw',
  'py',
  'pyw',
  'pypy',
  'node',
  'deno',
  'bun',
  'java',
  'javaw',
  'powershell',
  'powershell_ise',
  'pwsh',
  'wscript',
  'cscript',
  'cmd',
  'mshta',
  'rundll32',
  'regsvr32',
  'msbuild',
  'installutil',
  'bash',
  'sh',
  'wsl',
  'perl',
  'ruby',
  'rubyw',
  'php',
  'php-cgi',
  'lua',
  'dotnet',
  'electron',
  'autohotkey',
  'autohotkey32',
  'autohotkey64',
  'autohotkeyu32',
  'autohotkeyu64',
  'autoit3',
  'autoit3_x64',
]);

const WIN_VERSIONED = /^(?:python|pythonw|perl|ruby|php)\d+(?:\.\d+)*[a-z]?$/;

/** The interpreter an executable path names, by its file name; null when it is not one. */
export function interpreterName(exe: string, platform: string): string | null {
  if (platform === 'win32') {
    const file = exe.split(/[\\/]/).pop() ?? '';
    const name = file.toLowerCase().replace(/\.exe$/, '');
    return WIN_NAMES.has(name) || WIN_VERSIONED.test(name) ? file : null;
  }
  const file = exe.split('/').pop() ?? '';
  return POSIX_NAMES.has(file) || POSIX_VERSIONED.test(file) ? file : null;
}

/**
 * Why an allowlist entry cannot apply as it stands, in one line; null when it can. An interpreter
 * needs an argument pattern, and one that names the script: a pattern that the interpreter's own
 * path, or its name with any argument, matches (`*`, `python`, `python3 *`) covers any script.
 */
export function entryProblem(entry: { exe: string; args: ArgPattern | null }, platform: string): string | null {
  const name = interpreterName(entry.exe, platform);
  if (name === null) return null;
  if (entry.args === null) {
    return `${entry.exe} is an interpreter (${name}) that runs any script it is given, so it needs an argument pattern naming the script (like "/home/me/jobs/train.py")`;
  }
  const bare = name.replace(/\.exe$/i, '');
  const probes = [entry.exe, name, bare, `${entry.exe} x`, `${name} x`, `${bare} x`, `"${entry.exe}" x`];
  const args = entry.args;
  if (probes.some((p) => argPatternMatches(args, p))) {
    return `the argument pattern ${JSON.stringify(args.pattern)} for ${entry.exe} matches any script the interpreter runs; name the script (like "/home/me/jobs/train.py")`;
  }
  return null;
}

/**
 * Whose rules a path follows, told from the path itself: the window knows the path an entry names,
 * not always the system it came from (an imported entry, a scan report from another machine).
 */
export function pathPlatform(exe: string): 'win32' | 'posix' {
  return /^[A-Za-z]:[\\/]|^\\\\/.test(exe) ? 'win32' : 'posix';
}
