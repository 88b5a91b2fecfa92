import { LongLivedChild } from '../../util/long-lived-child.js';
import { type CounterFrame, parseSamplerLine, type SamplerHello } from './counter-parse.js';

export interface CounterStreamOptions {
  file: string;
  args: readonly string[];
  /** The sampler's period (Get-Counter -SampleInterval, whole seconds). */
  periodMs: number;
  env?: NodeJS.ProcessEnv;
  backoffMs?: { initial: number; max: number };
  /** A frame older than this is not used. Default 3 periods + 5 s. */
  staleAfterMs?: number;
  /** Kill a sampler that printed nothing for this long. Default max(30 s, 6 periods). */
  silenceTimeoutMs?: number;
  now?: () => number;
}

export type CounterSet = 'process' | 'processor' | 'gpuEngine' | 'gpuMemory';

export const COUNTER_SET_NAMES: Record<CounterSet, string> = {
  process: 'Process',
  processor: 'Processor',
  gpuEngine: 'GPU Engine',
  gpuMemory: 'GPU Process Memory',
};

export type StreamHealth = { ok: true; detail: string } | { ok: false; detail: string; starting: boolean };

/**
 * The one long-lived sampler the Windows collectors share (processes, system CPU, GPU): started
 * by the first collector that starts and stopped by the last that stops. It keeps only the latest
 * frame, so its memory does not grow with time.
 */
export class CounterStream {
  private readonly child: LongLivedChild;
  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private users = 0;
  private startedAt = 0;
  private latest: { frame: CounterFrame; at: number } | null = null;
  private hello: SamplerHello | null = null;
  private garbage: { text: string; at: number } | null = null;
  /** Increases with every frame accepted, so a reader can tell a new frame from the one it used. */
  seq = 0;

  constructor(opts: CounterStreamOptions) {
    this.now = opts.now ?? Date.now;
    this.staleAfterMs = opts.staleAfterMs ?? 3 * opts.periodMs + 5000;
    this.child = new LongLivedChild({
      file: opts.file,
      args: opts.args,
      label: 'PowerShell counter sampler',
      ...(opts.env ? { env: opts.env } : {}),
      onLine: (line) => this.onLine(line),
      // One line carries every process and GPU engine of a sample: hundreds of KB on a big machine.
      maxLineLength: 8 * 1024 * 1024,
      initialBackoffMs: opts.backoffMs?.initial ?? 1000,
      maxBackoffMs: opts.backoffMs?.max ?? 60_000,
      silenceTimeoutMs: opts.silenceTimeoutMs ?? Math.max(30_000, 6 * opts.periodMs),
      now: this.now,
    });
  }

  acquire(): void {
    if (this.users++ === 0) {
      this.startedAt = this.now();
      this.child.start();
    }
  }

  async release(): Promise<void> {
    if (this.users === 0) return;
    if (--this.users === 0) {
      await this.child.stop();
      this.latest = null;
      this.garbage = null;
    }
  }

  get starts(): number {
    return this.child.starts;
  }

  /** The latest frame, or null when there is none younger than the stale limit. */
  frame(): CounterFrame | null {
    const l = this.latest;
    if (!l || this.now() - l.at > this.staleAfterMs) return null;
    return l.frame;
  }

  /** Whether `set` is being measured, and if not a sentence saying why. */
  health(set: CounterSet): StreamHealth {
    const name = COUNTER_SET_NAMES[set];
    if (this.users === 0) return { ok: false, detail: 'not started', starting: true };
    const st = this.child.state();
    const fresh = this.frame();
    if (!fresh) {
      if (st.state === 'restarting') {
        return {
          ok: false,
          detail: `the PowerShell counter sampler is restarting (attempt ${st.attempt}): ${st.lastError}`,
          starting: false,
        };
      }
      const failure = this.child.lastFailure();
      const since = this.now() - (this.latest?.at ?? this.startedAt);
      if (since <= this.staleAfterMs && !failure) {
        return { ok: false, detail: 'waiting for the first sample from Get-Counter', starting: true };
      }
      const why = this.garbage
        ? `it printed "${this.garbage.text}"`
        : failure
          ? failure.error
          : `no sample for ${Math.round(since / 1000)} s`;
      return { ok: false, detail: `no usable sample from the PowerShell counter sampler: ${why}`, starting: false };
    }
    if (!fresh.has[set]) {
      const err = fresh.errors[0];
      const culture = this.hello?.uiCulture ?? this.hello?.culture ?? null;
      const foreign = culture !== null && !/^en(-|$)/i.test(culture);
      const lang = foreign
        ? ` (this Windows runs in ${culture}: Get-Counter only takes counter names in the system's language, and Idlewatch asks for the English ones)`
        : '';
      return {
        ok: false,
        detail: `the "${name}" performance counters are unavailable${lang}${err ? `: ${err.slice(0, 200)}` : ''}`,
        starting: false,
      };
    }
    const sec = Math.max(0, Math.round((this.now() - (this.latest?.at ?? 0)) / 1000));
    return { ok: true, detail: `"${name}" counters through Get-Counter (last sample ${sec} s ago)` };
  }

  private onLine(line: string): void {
    const parsed = parseSamplerLine(line);
    if (parsed.kind === 'hello') this.hello = parsed.hello;
    else if (parsed.kind === 'garbage') {
      if (parsed.text !== '') this.garbage = { text: parsed.text, at: this.now() };
    } else {
      this.latest = { frame: parsed.frame, at: this.now() };
      this.garbage = null;
      this.seq++;
    }
  }
}
