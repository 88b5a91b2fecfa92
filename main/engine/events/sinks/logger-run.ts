import { spawn } from 'node:child_process';

/** How long one logger(1) run may take before it is killed and its events counted as dropped. */
export const LOGGER_TIMEOUT_MS = 5000;

export interface LoggerRun {
  ok: boolean;
  /** Why not, one line: logger's own message (it names the socket and the errno) or the exit. */
  error: string | null;
}

/**
 * Runs logger(1) with `args` (never through a shell) and `input` on its stdin, and says whether
 * it delivered: with `--socket-errors=on` logger exits non-zero when the socket is missing or
 * refuses the message, so a receiver that is down is a counted failure, not a silent loss.
 */
export function runLogger(command: string, args: readonly string[], input: string): Promise<LoggerRun> {
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const done = (r: LoggerRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(command, [...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ok: false, error: `${command} did not finish within ${LOGGER_TIMEOUT_MS / 1000} s` });
    }, LOGGER_TIMEOUT_MS);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 1000) stderr += d;
    });
    child.on('error', (e) => done({ ok: false, error: `could not run ${command}: ${e.message}` }));
    child.on('close', (code, signal) => {
      if (code === 0) done({ ok: true, error: null });
      else {
        const said = stderr.trim().split('\n')[0] ?? '';
        done({ ok: false, error: said || `${command} exited with ${signal ?? `code ${code}`}` });
      }
    });
    // A logger that died early closes its stdin: the write error is the exit's to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
