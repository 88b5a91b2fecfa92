import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { LineSplitter } from '../../util/long-lived-child.js';

export interface PsHelperOptions {
  file: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Longest wait for one answer once the helper is up. Default 20 s (a WMI query can be slow). */
  requestTimeoutMs?: number;
  /** Extra time the first answer of a run may take (PowerShell start and Add-Type compile). Default 30 s. */
  startTimeoutMs?: number;
  /** Wait before a failed helper is started again: doubles from `initial` to `max`. Default 1 s → 60 s. */
  backoffMs?: { initial: number; max: number };
  label?: string;
  now?: () => number;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const MAX_LINE = 4 * 1024 * 1024;
/** A run that lasted this long was healthy: the next failure starts the backoff over. */
const HEALTHY_AFTER_MS = 60_000;

/**
 * A long-lived PowerShell answering one JSON line per request line (commands.ts helperScript):
 * idle time for the CLI and process identities for the process collector, so neither starts a
 * PowerShell per call (each start costs 200–500 ms of CPU). Requests are answered in order; one
 * that times out kills the helper (a stuck WMI query would block every later one), and the next
 * request starts a fresh one after a backoff. Never a shell; the script is fixed.
 */
export class PsHelper {
  private readonly o: Required<Omit<PsHelperOptions, 'env'>> & { env?: NodeJS.ProcessEnv };
  private child: ChildProcess | null = null;
  private startedAt = 0;
  private ready = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private refs = 0;
  private backoffMs: number;
  private retryAt = 0;
  private failure: { error: string; atMs: number } | null = null;
  private stderrHead: string[] = [];
  /** Number of times the helper was started. */
  starts = 0;

  constructor(opts: PsHelperOptions) {
    this.o = {
      requestTimeoutMs: 20_000,
      startTimeoutMs: 30_000,
      backoffMs: { initial: 1000, max: 60_000 },
      label: basename(opts.file),
      now: Date.now,
      ...opts,
    };
    this.backoffMs = this.o.backoffMs.initial;
  }

  /** Each user retains the helper while it may send requests; the last release stops it. */
  retain(): void {
    this.refs++;
  }

  async release(): Promise<void> {
    this.refs = Math.max(0, this.refs - 1);
    if (this.refs === 0) await this.kill('stopped');
  }

  /** Why the last run failed, if it did. */
  lastFailure(): { error: string; atMs: number } | null {
    return this.failure;
  }

  /** Sends `line(id)` and resolves with the JSON answer carrying that id; rejects with a sentence. */
  request(line: (id: number) => string): Promise<Record<string, unknown>> {
    const now = this.o.now();
    if (!this.child) {
      if (now < this.retryAt) {
        const why = this.failure?.error ?? 'failed';
        return Promise.reject(new Error(`${why} (next try in ${Math.ceil((this.retryAt - now) / 1000)} s)`));
      }
      this.launch();
    }
    const child = this.child;
    if (!child?.stdin) return Promise.reject(new Error(this.failure?.error ?? `${this.o.label} could not start`));
    const id = this.nextId++;
    let text: string;
    try {
      text = line(id);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return new Promise((resolve, reject) => {
      const wait = this.o.requestTimeoutMs + (this.ready ? 0 : this.o.startTimeoutMs);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.o.label} did not answer within ${Math.round(wait / 1000)} s`));
        // Answers come in order: a stuck request blocks every later one. Start over.
        void this.kill(`${this.o.label} did not answer within ${Math.round(wait / 1000)} s`);
      }, wait);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      child.stdin?.write(`${text}\n`);
    });
  }

  private launch(): void {
    this.starts++;
    this.ready = false;
    this.stderrHead = [];
    this.startedAt = this.o.now();
    let child: ChildProcess;
    try {
      child = spawn(this.o.file, this.o.args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: this.o.env ?? process.env,
        windowsHide: true,
        shell: false,
      });
    } catch (e) {
      this.failed(`${this.o.label} could not start: ${(e as Error).message}`);
      return;
    }
    this.child = child;
    const out = new LineSplitter((l) => this.onLine(l), MAX_LINE);
    const err = new LineSplitter((l) => {
      if (this.stderrHead.length < 3 && l.trim() !== '') this.stderrHead.push(l.trim().slice(0, 200));
    }, 16 * 1024);
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    // A write after the helper died (EPIPE) is reported by the exit, not thrown.
    child.stdin?.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        const why = e.code === 'ENOENT' ? 'program not found' : e.message;
        this.onExit(child, `${this.o.label} could not start: ${why}`);
      }
    });
    child.on('close', (code, signal) => {
      err.end();
      const why = this.stderrHead[0] ? `: ${this.stderrHead[0]}` : '';
      this.onExit(
        child,
        signal ? `${this.o.label} was killed by ${signal}${why}` : `${this.o.label} exited with code ${code}${why}`,
      );
    });
  }

  private onLine(line: string): void {
    const text = line.trim();
    if (!text.startsWith('{')) return; // a banner or a stray warning: not an answer
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (v.hello === 1) {
      this.ready = true;
      return;
    }
    const id = typeof v.id === 'number' ? v.id : null;
    const p = id === null ? undefined : this.pending.get(id);
    if (!p || id === null) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.ready = true;
    if (v.ok === true) p.resolve(v);
    else p.reject(new Error(typeof v.error === 'string' ? v.error.slice(0, 300) : 'request failed'));
  }

  private onExit(child: ChildProcess, why: string): void {
    if (this.child !== child) return;
    this.child = null;
    this.failed(why);
  }

  private failed(why: string): void {
    const now = this.o.now();
    if (now - this.startedAt >= HEALTHY_AFTER_MS) this.backoffMs = this.o.backoffMs.initial;
    this.failure = { error: why, atMs: now };
    this.retryAt = now + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.backoffMs.max);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
      this.pending.delete(id);
    }
  }

  private async kill(why: string): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (why !== 'stopped') this.failed(why);
    else {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.o.label} stopped`));
        this.pending.delete(id);
      }
    }
    if (child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    child.stdin?.end();
    child.kill('SIGKILL');
    await Promise.race([closed, new Promise<void>((r) => setTimeout(r, 3000).unref())]);
  }
}
