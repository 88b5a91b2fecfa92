import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { trackOwnChild } from './own-children.js';

/** Result of a one-shot command. Never a shell: arguments go to the program verbatim. */
export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** Exit code, or null when killed (timeout) or it could not start. */
  code: number | null;
  /** Set when the program could not run or was killed: a sentence naming the program. */
  error?: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs: number;
  /** Cap on captured output, so a runaway tool cannot grow our memory. Default 4 MiB. */
  maxBuffer?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a program with a hard timeout; resolves (never rejects) with what happened. */
export function runFile(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: opts.maxBuffer ?? 4 * 1024 * 1024,
        windowsHide: true,
        encoding: 'utf8',
        env: opts.env ?? process.env,
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ ok: true, stdout, stderr, code: 0, timedOut: false });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown; signal?: string };
        const timedOut = Boolean(e.killed) && e.signal === 'SIGKILL';
        let error: string;
        if (e.code === 'ENOENT') error = `${file} not found`;
        else if (e.code === 'EACCES') error = `${file} is not executable (permission denied)`;
        else if (timedOut) error = `${file} did not answer within ${opts.timeoutMs} ms`;
        else if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') error = `${file} printed more than expected`;
        else if (typeof e.code === 'number') error = `${file} exited with code ${e.code}${firstLine(stderr || stdout)}`;
        else error = `${file} failed: ${e.message}`;
        resolve({
          ok: false,
          stdout: stdout ?? '',
          stderr: stderr ?? '',
          code: typeof e.code === 'number' ? e.code : null,
          error,
          timedOut,
        });
      },
    );
    trackOwnChild(child);
  });
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line ? `: ${line.trim().slice(0, 200)}` : '';
}

/**
 * Finds an executable on PATH without a shell (`which` semantics). Returns its full path or null.
 * On Windows it also tries PATHEXT extensions.
 */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | null {
  if (isAbsolute(name)) return isExecutable(name) ? name : null;
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of envPath.split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
