import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { trackOwnChild } from './own-children.js';

/**
 * Splits a stream into lines with a hard cap on line length: a child that prints without
 * newlines must not grow our memory. Over-long lines are dropped whole and counted.
 */
export class LineSplitter {
  private partial = '';
  /** True while skipping the rest of a line that already went over the cap. */
  private discarding = false;
  private readonly decoder = new StringDecoder('utf8');
  dropped = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineLength: number,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      const line = this.partial + piece;
      this.partial = '';
      if (line.length > this.maxLineLength) {
        this.dropped++;
        continue;
      }
      this.onLine(stripCr(line));
    }
    if (this.discarding) return;
    const rest = text.slice(start);
    if (this.partial.length + rest.length > this.maxLineLength) {
      this.partial = '';
      this.discarding = true;
      this.dropped++;
      return;
    }
    this.partial += rest;
  }

  /**
   * Drops a last line that had no newline. A streaming tool that died mid-line left half a row
   * (`…, 100` cut to `…, 10`) that would parse as plausible data, so stdout tails are discarded.
   */
  discardTail(): void {
    if (this.partial !== '' || this.discarding) this.dropped++;
    this.partial = '';
    this.discarding = false;
    this.decoder.end();
  }

  /** Emits a last line that had no newline (a tool killed mid-line, a file without a final newline). */
  end(): void {
    const tail = this.partial + this.decoder.end();
    const wasDiscarding = this.discarding;
    this.partial = '';
    this.discarding = false;
    if (wasDiscarding || tail === '') return;
    if (tail.length > this.maxLineLength) {
      this.dropped++;
      return;
    }
    this.onLine(stripCr(tail));
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** What one run of the child ended with; handed to onExit/describeExit. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (missing, not executable). */
  spawnError?: string;
  /** Set when we killed it because it printed nothing on stdout for this long. */
  silentForMs?: number;
  /** First few stderr lines of the run: tools put the reason they failed first. */
  stderrHead: string[];
  /** Last few stdout lines of the run: some tools (nvidia-smi) print their errors on stdout. */
  stdoutTail: string[];
  /** Number of stdout lines the run printed. */
  lines: number;
  ranMs: number;
}

export type ChildState =
  | { state: 'idle' }
  | { state: 'running'; pid: number | undefined; sinceMs: number }
  | { state: 'restarting'; lastError: string; attempt: number; retryAtMs: number }
  | { state: 'stopped'; lastError?: string };

export interface LongLivedChildOptions {
  file: string;
  /** Re-evaluated before each (re)start, so a caller can fall back to other arguments. */
  args: readonly string[] | (() => readonly string[]);
  /** Name used in error sentences; defaults to the program's base name. */
  label?: string;
  env?: NodeJS.ProcessEnv;
  onLine: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Called after every run ends, before the restart is scheduled (not after stop()). */
  onExit?: (exit: ChildExit) => void;
  /** Turns an exit into the sentence kept as lastError; the default names the exit code and first stderr line. */
  describeExit?: (exit: ChildExit) => string;
  /** Longest stdout/stderr line kept; longer lines are dropped and counted. Default 16 KiB. */
  maxLineLength?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run that lasted this long counts as healthy and resets the backoff. */
  healthyAfterMs?: number;
  /** Kill and restart a child that printed no stdout line for this long; 0 turns the watchdog off. */
  silenceTimeoutMs?: number;
  now?: () => number;
}

const STDERR_HEAD_LINES = 5;
const STDOUT_TAIL_LINES = 5;
const KILL_GRACE_MS = 1500;

interface Run {
  child: ChildProcess | undefined;
  startedAt: number;
  lastOutputAt: number;
  lines: number;
  stderrHead: string[];
  stdoutTail: string[];
  spawnError?: string;
  silentForMs?: number;
  finished: boolean;
  closed: Promise<void>;
  markClosed: () => void;
}

/**
 * Keeps one monitoring program running for as long as we want it (nvidia-smi loops, typeperf):
 * no shell, output split into bounded lines, restarts with exponential backoff when it exits,
 * errors or goes silent, and a state a collector can turn into a health sentence.
 */
export class LongLivedChild {
  private readonly o: Required<
    Pick<
      LongLivedChildOptions,
      'maxLineLength' | 'initialBackoffMs' | 'maxBackoffMs' | 'healthyAfterMs' | 'silenceTimeoutMs' | 'now' | 'label'
    >
  > &
    LongLivedChildOptions;
  private run: Run | undefined;
  private st: ChildState = { state: 'idle' };
  private backoffMs: number;
  private attempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = false;
  private failure: { error: string; atMs: number } | undefined;
  /** Lines dropped for being over the length cap, over all runs. */
  droppedLines = 0;
  /** Number of times the program was started. */
  starts = 0;

  constructor(options: LongLivedChildOptions) {
    this.o = {
      maxLineLength: 16 * 1024,
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
      healthyAfterMs: 60_000,
      silenceTimeoutMs: 0,
      now: Date.now,
      label: basename(options.file),
      ...options,
    };
    this.backoffMs = this.o.initialBackoffMs;
  }

  state(): ChildState {
    return this.st;
  }

  /**
   * How the last run ended and when, kept after the restart: a child that keeps dying right
   * after it starts is mostly seen 'running', and this is what says why.
   */
  lastFailure(): { error: string; atMs: number } | undefined {
    return this.failure;
  }

  /** Starts the program; a second call while it runs (or waits to restart) does nothing. */
  start(): void {
    if (this.st.state === 'running' || this.st.state === 'restarting') return;
    this.stopped = false;
    this.backoffMs = this.o.initialBackoffMs;
    this.attempt = 0;
    this.launch();
  }

  /** Kills the child (TERM, then KILL after a grace period) and cancels restarts. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.clearWatchdog();
    const lastError = this.st.state === 'restarting' ? this.st.lastError : undefined;
    this.st = lastError ? { state: 'stopped', lastError } : { state: 'stopped' };
    const run = this.run;
    if (!run || run.finished || !run.child) return;
    const child = run.child;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    killer.unref();
    await Promise.race([run.closed, delay(KILL_GRACE_MS * 2)]);
    clearTimeout(killer);
  }

  private launch(): void {
    if (this.stopped) return;
    const now = this.o.now();
    let markClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    const run: Run = {
      child: undefined,
      startedAt: now,
      lastOutputAt: now,
      lines: 0,
      stderrHead: [],
      stdoutTail: [],
      finished: false,
      closed,
      markClosed,
    };
    this.run = run;
    this.starts++;
    const args = typeof this.o.args === 'function' ? this.o.args() : this.o.args;
    let child: ChildProcess;
    try {
      child = spawn(this.o.file, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: this.o.env ?? process.env,
        windowsHide: true,
        shell: false,
      });
    } catch (err) {
      run.spawnError = (err as Error).message;
      this.finish(run, null, null);
      return;
    }
    run.child = child;
    trackOwnChild(child);
    this.st = { state: 'running', pid: child.pid, sinceMs: now };

    const out = new LineSplitter((line) => {
      run.lines++;
      run.lastOutputAt = this.o.now();
      run.stdoutTail.push(line);
      if (run.stdoutTail.length > STDOUT_TAIL_LINES) run.stdoutTail.shift();
      this.callSafely(() => this.o.onLine(line));
    }, this.o.maxLineLength);
    const err = new LineSplitter((line) => {
      if (run.stderrHead.length < STDERR_HEAD_LINES && line.trim() !== '') run.stderrHead.push(line.trim());
      const onStderr = this.o.onStderrLine;
      if (onStderr) this.callSafely(() => onStderr(line));
    }, this.o.maxLineLength);

    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        // Never started: Node may not emit 'close' for a failed spawn, so finish here.
        run.spawnError = spawnErrorText(e);
        this.finish(run, null, null);
      }
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      out.discardTail();
      err.end(); // an error message without a final newline is still worth showing
      this.droppedLines += out.dropped + err.dropped;
      this.finish(run, code, signal);
    });
    this.armWatchdog(run, this.o.silenceTimeoutMs);
  }

  private finish(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.finished) return;
    run.finished = true;
    run.markClosed();
    if (this.run === run) this.clearWatchdog();
    const now = this.o.now();
    const exit: ChildExit = {
      code,
      signal,
      stderrHead: run.stderrHead,
      stdoutTail: run.stdoutTail,
      lines: run.lines,
      ranMs: now - run.startedAt,
    };
    if (run.spawnError !== undefined) exit.spawnError = run.spawnError;
    if (run.silentForMs !== undefined) exit.silentForMs = run.silentForMs;
    if (this.stopped) return;
    const onExit = this.o.onExit;
    if (onExit) this.callSafely(() => onExit(exit));
    // onExit may have stopped us (a caller deciding the tool is unsupported here).
    if (this.stopped) return;
    const toSentence = this.o.describeExit;
    let lastError = describeExitDefault(this.o.label, exit);
    if (toSentence) {
      this.callSafely(() => {
        lastError = toSentence(exit);
      });
    }
    this.failure = { error: lastError, atMs: now };
    if (exit.ranMs >= this.o.healthyAfterMs) this.backoffMs = this.o.initialBackoffMs;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs);
    this.attempt++;
    this.st = { state: 'restarting', lastError, attempt: this.attempt, retryAtMs: now + wait };
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.launch();
    }, wait);
    // A restart pending must not keep a CLI or a test runner alive on its own.
    this.restartTimer.unref();
  }

  private armWatchdog(run: Run, inMs: number): void {
    if (this.o.silenceTimeoutMs <= 0) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (run.finished || this.run !== run) return;
      const silent = this.o.now() - run.lastOutputAt;
      if (silent >= this.o.silenceTimeoutMs) {
        run.silentForMs = silent;
        run.child?.kill('SIGKILL');
      } else {
        this.armWatchdog(run, this.o.silenceTimeoutMs - silent);
      }
    }, inMs);
    this.watchdog.unref();
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  /** A throwing callback must not take the stream (or the app) down with it. */
  private callSafely(fn: () => void): void {
    try {
      fn();
    } catch {
      // The callback owner reports its own failures; a line it could not handle is simply lost.
    }
  }
}

export function describeExitDefault(label: string, exit: ChildExit): string {
  if (exit.spawnError !== undefined) return `${label} could not start: ${exit.spawnError}`;
  if (exit.silentForMs !== undefined) return `${label} printed nothing for ${formatSeconds(exit.silentForMs)}`;
  const why = exit.stderrHead[0] ? `: ${exit.stderrHead[0].slice(0, 200)}` : '';
  if (exit.signal) return `${label} was killed by ${exit.signal}${why}`;
  if (exit.code === 0) return `${label} exited${why}`;
  return `${label} exited with code ${exit.code ?? 'unknown'}${why}`;
}

function spawnErrorText(e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') return 'program not found';
  if (e.code === 'EACCES') return 'permission denied';
  return e.message;
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
