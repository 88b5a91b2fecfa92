/**
 * Asking for administrator rights, the platform's way, for one fixed operation: `idlewatch
 * hosts-apply PREPARED SHA256` (hosts-apply.ts re-checks everything on the privileged side). The
 * app itself never runs as root; only that one short command does. Every argument goes to the
 * program as it is, never through a shell of ours: on macOS the one shell command osascript needs
 * is built from single-quoted words, on Windows the arguments are quoted for CreateProcess and the
 * PowerShell script is a fixed text with single-quoted literals.
 */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Platform } from '../../../shared/trace.js';
import { type RunOptions, type RunResult, runFile } from '../util/exec.js';

/** How the unprivileged side starts the CLI: the program and the arguments before the command. */
export interface SelfCommand {
  program: string;
  args: string[];
  /** Environment the elevated command needs (Electron's binary as Node); set through `env`, not inherited. */
  env?: Record<string, string>;
}

export type ElevationOutcome =
  | { kind: 'done' }
  /** The user dismissed or refused the prompt. */
  | { kind: 'refused'; message: string }
  /** No way to ask here (no pkexec, no polkit agent). */
  | { kind: 'unavailable'; message: string }
  /** The privileged command ran and failed; `message` says why where it could tell. */
  | { kind: 'failed'; message: string };

export interface Elevator {
  /** "pkexec", "a UAC prompt", "an administrator password prompt (osascript)". */
  readonly how: string;
  /** Why it cannot ask here (pkexec not installed), or null when it can. */
  readonly unavailable: string | null;
  run(commandArgs: readonly string[]): Promise<ElevationOutcome>;
}

export type Runner = (file: string, args: readonly string[], opts: RunOptions) => Promise<RunResult>;

/** The prompt waits for a person: a generous limit, but not forever. */
const PROMPT_TIMEOUT_MS = 5 * 60_000;

/** The built CLI beside this bundle (out/cli/idlewatch.js), found from the engine's or the CLI's own folder. */
export function locateCli(start: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'cli', 'idlewatch.js'), join(dir, 'out', 'cli', 'idlewatch.js')]) {
      if (existsSync(candidate)) return candidate;
    }
    if (dir.endsWith(`${join('out', 'cli')}`) && existsSync(join(dir, 'idlewatch.js')))
      return join(dir, 'idlewatch.js');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The CLI as this process would start it: Node (or Electron's binary run as Node) and the built script. */
export function selfCommand(cli: string | null = locateCli()): SelfCommand | null {
  if (!cli) return null;
  if (process.versions.electron) return { program: process.execPath, args: [cli], env: { ELECTRON_RUN_AS_NODE: '1' } };
  return { program: process.execPath, args: [cli] };
}

function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return (lines[lines.length - 1] ?? '').replace(/^idlewatch( hosts-apply)?: /, '').slice(0, 300);
}

/** The argv of the elevated command: `env NAME=VALUE …` first where it needs an environment. */
function commandLine(self: SelfCommand, commandArgs: readonly string[]): string[] {
  const env = Object.entries(self.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const base = [self.program, ...self.args, ...commandArgs];
  return env.length > 0 ? ['/usr/bin/env', ...env, ...base] : base;
}

/** Linux: pkexec (polkit) asks for an administrator's password; 126 = refused, 127 = could not ask. */
export function pkexecElevator(self: SelfCommand, opts: { pkexec?: string | null; run?: Runner } = {}): Elevator {
  const pkexec = opts.pkexec === undefined ? onPath('pkexec') : opts.pkexec;
  const run = opts.run ?? runFile;
  return {
    how: 'pkexec',
    unavailable: pkexec ? null : 'pkexec (polkit) is not installed',
    async run(commandArgs) {
      if (!pkexec) {
        return {
          kind: 'unavailable',
          message:
            'pkexec (polkit) is not installed, so Idlewatch cannot ask for administrator rights here; install polkit, or run `sudo idlewatch block-domains …` in a terminal',
        };
      }
      const r = await run(pkexec, commandLine(self, commandArgs), { timeoutMs: PROMPT_TIMEOUT_MS });
      if (r.ok) return { kind: 'done' };
      if (r.code === 126)
        return { kind: 'refused', message: 'the administrator prompt was dismissed or refused (pkexec exit 126)' };
      if (r.code === 127) {
        return {
          kind: 'unavailable',
          message: `pkexec could not ask for the password (exit 127: no polkit authentication agent in this session${r.stderr.trim() ? `: ${lastLine(r.stderr)}` : ''})`,
        };
      }
      if (r.code === null) return { kind: 'unavailable', message: r.error ?? 'pkexec could not be run' };
      return { kind: 'failed', message: lastLine(r.stderr) || r.error || `pkexec exited with code ${r.code}` };
    },
  };
}

/** One word for /bin/sh: single-quoted, with each ' written as '\''. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** macOS: osascript's `do shell script … with administrator privileges` shows the system's password prompt. */
export function osascriptElevator(self: SelfCommand, opts: { osascript?: string; run?: Runner } = {}): Elevator {
  const osascript = opts.osascript ?? '/usr/bin/osascript';
  const run = opts.run ?? runFile;
  return {
    how: 'an administrator password prompt (osascript)',
    unavailable: existsSync(osascript) ? null : `${osascript} is missing`,
    async run(commandArgs) {
      const shell = commandLine(self, commandArgs).map(shQuote).join(' ');
      // An AppleScript string literal: backslashes and double quotes escaped, nothing else special.
      const literal = `"${shell.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      const r = await run(osascript, ['-e', `do shell script ${literal} with administrator privileges`], {
        timeoutMs: PROMPT_TIMEOUT_MS,
      });
      if (r.ok) return { kind: 'done' };
      if (/-128\)|User canceled/i.test(r.stderr))
        return { kind: 'refused', message: 'the administrator prompt was cancelled' };
      if (r.code === null) return { kind: 'unavailable', message: r.error ?? 'osascript could not be run' };
      return { kind: 'failed', message: lastLine(r.stderr) || `osascript exited with code ${r.code}` };
    },
  };
}

/** One argument for CreateProcess's command-line parsing (the MSVC rules). */
export function winQuote(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === '\\') slashes++;
    else if (ch === '"') {
      out += `${'\\'.repeat(slashes * 2 + 1)}"`;
      slashes = 0;
    } else {
      out += `${'\\'.repeat(slashes)}${ch}`;
      slashes = 0;
    }
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

/** A PowerShell single-quoted literal. */
function psLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Windows: a UAC prompt through `Start-Process -Verb RunAs`, waiting for the elevated helper and
 * passing its exit code on. A dismissed prompt throws in PowerShell: exit 126, as pkexec says it.
 * The elevated process does not inherit our environment, so Electron's binary gets its one
 * variable from cmd.exe's `set`.
 */
export function uacElevator(
  self: SelfCommand,
  opts: { powershell?: string; systemRoot?: string; run?: Runner } = {},
): Elevator {
  const systemRoot = opts.systemRoot ?? process.env.SystemRoot ?? 'C:\\Windows';
  const powershell = opts.powershell ?? `${systemRoot}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`;
  const run = opts.run ?? runFile;
  return {
    how: 'a UAC prompt',
    unavailable: null,
    async run(commandArgs) {
      let file = self.program;
      let argLine = [...self.args, ...commandArgs].map(winQuote).join(' ');
      const env = Object.entries(self.env ?? {});
      if (env.length > 0) {
        file = `${systemRoot}\\System32\\cmd.exe`;
        const sets = env.map(([k, v]) => `set ${k}=${v}&&`).join(' ');
        argLine = `/d /s /c "${sets} ${winQuote(self.program)} ${argLine}"`;
      }
      const script = [
        "$ErrorActionPreference = 'Stop'",
        `try { $p = Start-Process -FilePath ${psLiteral(file)} -ArgumentList ${psLiteral(argLine)} -Verb RunAs -Wait -PassThru -WindowStyle Hidden } catch { [Console]::Error.WriteLine($_.Exception.Message); exit 126 }`,
        'exit $p.ExitCode',
      ].join('; ');
      const r = await run(
        powershell,
        ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script],
        {
          timeoutMs: PROMPT_TIMEOUT_MS,
        },
      );
      if (r.ok) return { kind: 'done' };
      if (r.code === 126)
        return {
          kind: 'refused',
          message: `the UAC prompt was dismissed or refused${r.stderr.trim() ? ` (${lastLine(r.stderr)})` : ''}`,
        };
      if (r.code === null) return { kind: 'unavailable', message: r.error ?? 'PowerShell could not be run' };
      return { kind: 'failed', message: `the elevated helper exited with code ${r.code}` };
    },
  };
}

/** This platform's way to ask, or null when the CLI cannot be found to run elevated. */
export function platformElevator(platform: Platform, self: SelfCommand | null = selfCommand()): Elevator | null {
  if (!self) return null;
  if (platform === 'win32') return uacElevator(self);
  if (platform === 'darwin') return osascriptElevator(self);
  return pkexecElevator(self);
}
