/**
 * One deep scan at a time, for the window and the tray: progress as it runs, cancel, the last
 * report kept (a cancelled or failed scan leaves the previous report as it was, never a partial one).
 */
import type { ScanState } from '../../../shared/ipc.js';
import type { RemoveResult, ScanProgress, ScanReport } from '../../../shared/scan.js';
import type { DeepScanOptions } from '../scan/deep-scan.js';
import { renderScanHtml } from '../scan/html-report.js';
import { removePersistenceEntry } from '../scan/persistence-remove.js';

export type ScanFn = (opts: DeepScanOptions) => Promise<ScanReport>;

export interface ScanRunnerOptions {
  scan: ScanFn;
  /** Options for every scan (allowlist, data folder, root...); signal and onProgress are the runner's. */
  options: () => DeepScanOptions;
  onChange: (state: ScanState) => void;
  now?: () => number;
  /** Progress events closer together than this are merged (a scan of 1,000 processes reports often). */
  progressEveryMs?: number;
}

export class ScanRunner {
  private running: AbortController | null = null;
  private progress: ScanProgress | null = null;
  private report: ScanReport | null = null;
  private finishedAt: number | null = null;
  private error: string | null = null;
  private lastProgressAt = 0;
  private readonly now: () => number;

  constructor(private readonly opts: ScanRunnerOptions) {
    this.now = opts.now ?? Date.now;
  }

  state(): ScanState {
    return {
      running: this.running !== null,
      progress: this.progress ? { ...this.progress } : null,
      report: this.report,
      finishedAt: this.finishedAt,
      error: this.error,
    };
  }

  /** Starts a scan; false (and nothing changes) when one is already running. */
  start(): boolean {
    if (this.running) return false;
    const ac = new AbortController();
    this.running = ac;
    this.error = null;
    this.progress = null;
    this.lastProgressAt = 0;
    this.emit();
    void this.run(ac);
    return true;
  }

  cancel(): boolean {
    if (!this.running) return false;
    this.running.abort();
    return true;
  }

  /** Resolves when the running scan (if any) has ended. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }

  html(): string | null {
    return this.report ? renderScanHtml(this.report) : null;
  }

  /** Removes the line behind one persistence finding of the last report (the user confirmed in the UI). */
  async removePersistence(findingId: string): Promise<RemoveResult> {
    const finding = this.report?.findings.find((f) => f.id === findingId);
    if (!finding) {
      return {
        ok: false,
        code: 'unknown-finding',
        reason: `no finding ${JSON.stringify(findingId)} in the last scan report: run the scan again`,
      };
    }
    return removePersistenceEntry(finding, { confirm: true });
  }

  private async run(ac: AbortController): Promise<void> {
    try {
      const report = await this.opts.scan({
        ...this.opts.options(),
        signal: ac.signal,
        onProgress: (p) => this.onProgress(p),
      });
      if (ac.signal.aborted) throw new Error('cancelled');
      this.report = report;
      this.finishedAt = this.now();
    } catch (e) {
      this.error = ac.signal.aborted ? 'cancelled' : e instanceof Error ? e.message : String(e);
    } finally {
      this.running = null;
      this.progress = null;
      this.emit();
    }
  }

  private onProgress(p: ScanProgress): void {
    this.progress = p;
    const at = this.now();
    // Step boundaries always go out; in-step progress at most every progressEveryMs.
    if (p.phase !== 'progress' || at - this.lastProgressAt >= (this.opts.progressEveryMs ?? 100)) {
      this.lastProgressAt = at;
      this.emit();
    }
  }

  private emit(): void {
    try {
      this.opts.onChange(this.state());
    } catch {
      // a listener's bug must not break the scan
    }
  }
}
