/**
 * The scan's own thread or process (built as scan-worker.js beside the CLI and the engine; see
 * scan-isolated.ts). It waits for one `start`, runs the deep scan, sends progress, the report of
 * each finished step and the result, and ends. `cancel` asks the scan to stop; the host ends this
 * thread or process if that takes too long, so nothing here has to be quick about it.
 */
import { parentPort } from 'node:worker_threads';
import { Allowlist } from '../allowlist/allowlist.js';
import { partialReportOf, runDeepScan } from './deep-scan.js';
import { isAbortError } from './scan-context.js';
import type { ScanWorkerCommand, ScanWorkerMessage } from './scan-isolated.js';

interface Channel {
  send(m: ScanWorkerMessage): Promise<void>;
  onCommand(listener: (c: ScanWorkerCommand) => void): void;
  close(): void;
}

function channel(): Channel | null {
  const port = parentPort;
  if (port) {
    return {
      send: async (m) => port.postMessage(m),
      onCommand: (listener) => port.on('message', listener),
      close: () => port.close(),
    };
  }
  const send = process.send?.bind(process);
  if (send) {
    // Started by a host that went away (killed, crashed): no one is left to read the report.
    process.on('disconnect', () => process.exit(0));
    // Ctrl-C in a terminal reaches the whole process group: the host cancels this scan and keeps
    // what it found, which it could not if the signal killed this process first.
    process.on('SIGINT', () => {});
    return {
      // Resolved once the message is handed to the system, so the last one is not lost at exit.
      send: (m) => new Promise((resolve) => send(m, undefined, undefined, () => resolve())),
      onCommand: (listener) => process.on('message', (m) => listener(m as ScanWorkerCommand)),
      close: () => process.disconnect(),
    };
  }
  return null;
}

function serve(ch: Channel): void {
  let scan: AbortController | null = null;
  ch.onCommand((c) => {
    if (c.type === 'cancel') {
      scan?.abort();
      return;
    }
    if (c.type !== 'start' || scan) return;
    const ac = new AbortController();
    scan = ac;
    void (async () => {
      const { allowlistDir, ...options } = c.options;
      let allowlist: Allowlist | null = null;
      if (allowlistDir) {
        // The host loaded it already; a failure here means it changed since, and findings are then
        // reported without it rather than not at all.
        allowlist = await Allowlist.load(allowlistDir).catch(() => null);
      }
      let last: ScanWorkerMessage;
      try {
        const report = await runDeepScan({
          ...options,
          allowlist,
          signal: ac.signal,
          onProgress: (progress) => void ch.send({ type: 'progress', progress }),
          onPartial: (report) => void ch.send({ type: 'partial', report }),
        });
        last = { type: 'done', report };
      } catch (e) {
        last = isAbortError(e)
          ? { type: 'cancelled', report: partialReportOf(e) }
          : { type: 'failed', message: e instanceof Error ? e.message : String(e) };
      }
      await ch.send(last);
      ch.close();
    })();
  });
}

const ch = channel();
if (ch) serve(ch);
