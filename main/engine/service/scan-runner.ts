/**
 * One deep scan at a time, for the window and the tray: progress as it runs, cancel, the last
 * report kept. A cancelled or failed scan keeps what it had done (its steps marked cancelled or not
 * run) when it got that far, else the previous report stays. Cancel ends the scan as the app sees
 * it within CANCEL_DEADLINE_MS whatever the scan is doing: a scan that does not settle by then is
 * let go, so a stuck scan can never hold "one scan at a time" and refuse every later one.
 */
import type { ScanState } from '../../../shared/ipc.js';
import type { RemoveResult, ScanProgress, ScanReport, ScanStepId } from '../../../shared/scan.js';
import { type DeepScanOptions, markStopped, partialReportOf } from '../scan/deep-scan.js';
import { renderScanHtml } from '../scan/html-report.js';
import type { QuarantineStore } from '../quarantine/store.js';
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
  /** How long after Cancel the runner stops waiting for the scan; default CANCEL_DEADLINE_MS. */
  cancelDeadlineMs?: number;
  /** Where removals keep what they remove; without one, nothing is removed. */
  quarantine?: QuarantineStore;
}

/** Cancel must end a scan within 2 s; the isolated scan itself is ended well before this. */
export const CANCEL_DEADLINE_MS = 1500;

interface Run {
  abort: AbortController;
  /** The report of the steps done so far, from the scan's onPartial. */
  partial: ScanReport | null;
  /** The step running now, from progress: it is the one a cancelled scan was in. */
  step: ScanStepId | null;
  deadline: NodeJS.Timeout | null;
}

export class ScanRunner {
  private running: Run | null = null;
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
    const run: Run = { abort: new AbortController(), partial: null, step: null, deadline: null };
    this.running = run;
    this.error = null;
    this.progress = null;
    this.lastProgressAt = 0;
    this.emit();
    void this.run(run);
    return true;
  }

  cancel(): boolean {
    const run = this.running;
    if (!run) return false;
    if (run.abort.signal.aborted) return true;
    run.abort.abort();
    run.deadline = setTimeout(() => {
      // The scan did not answer: it is let go (an isolated one has been ended by now), and what
      // it had done is kept.
      this.finish(run, { ok: false, error: 'cancelled', partial: null });
    }, this.opts.cancelDeadlineMs ?? CANCEL_DEADLINE_MS);
    return true;
  }

  /** Resolves when the running scan (if any) has ended. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }

  /** The last report as HTML, with what was quarantined from its findings. */
  async html(): Promise<string | null> {
    const report = this.report;
    if (!report) return null;
    const listing = await this.opts.quarantine?.list().catch(() => null);
    const quarantined = (listing?.items ?? []).filter((i) => i.reportStartedAt === report.startedAt);
    return renderScanHtml(report, this.opts.quarantine ? { quarantined: quarantined.reverse() } : undefined);
  }

  /** The last finished report (the quarantine handlers act on its findings). */
  lastReport(): ScanReport | null {
    return this.report;
  }

  /**
   * Removes the line behind one persistence finding of the last report (the user confirmed in the
   * UI); the file as it was goes to the quarantine.
   */
  async removePersistence(findingId: string): Promise<RemoveResult> {
    const finding = this.report?.findings.find((f) => f.id === findingId);
    if (!finding) {
      return {
        ok: false,
        code: 'unknown-finding',
        reason: `no finding ${JSON.stringify(findingId)} in the last scan report: run the scan again`,
      };
    }
    const quarantine = this.opts.quarantine;
    if (!quarantine) {
      return { ok: false, code: 'failed', reason: 'the quarantine is not available, so nothing is removed' };
    }
    return removePersistenceEntry(finding, {
      confirm: true,
      quarantine,
      reportStartedAt: this.report?.startedAt ?? null,
    });
  }

  private async run(run: Run): Promise<void> {
    const signal = run.abort.signal;
    try {
      const report = await this.opts.scan({
        ...this.opts.options(),
        signal,
        onProgress: (p) => {
          if (this.running !== run) return;
          run.step = p.phase === 'done' ? null : p.step;
          this.onProgress(p);
        },
        onPartial: (r) => {
          run.partial = r;
        },
      });
      if (signal.aborted) this.finish(run, { ok: false, error: 'cancelled', partial: null });
      else this.finish(run, { ok: true, report });
    } catch (e) {
      const error = signal.aborted ? 'cancelled' : e instanceof Error ? e.message : String(e);
      this.finish(run, { ok: false, error, partial: partialReportOf(e) });
    }
  }

  /** Ends `run` once (the deadline and the scan itself may both try). */
  private finish(
    run: Run,
    outcome: { ok: true; report: ScanReport } | { ok: false; error: string; partial: ScanReport | null },
  ): void {
    if (this.running !== run) return;
    if (run.deadline) clearTimeout(run.deadline);
    this.running = null;
    this.progress = null;
    if (outcome.ok) {
      this.report = outcome.report;
      this.finishedAt = this.now();
    } else {
      this.error = outcome.error;
      const partial = outcome.partial ?? run.partial;
      if (partial) {
        const why = outcome.error === 'cancelled' ? 'the scan was cancelled' : `the scan failed (${outcome.error})`;
        this.report = markStopped(partial, run.step, why);
        this.finishedAt = this.now();
      }
    }
    this.emit();
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
