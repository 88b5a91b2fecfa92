import { SCAN_FORMAT, SCAN_VERSION, type ScanReport } from '../../shared/scan.js';

/** A scan report with nothing found, for tests that need one; `over` sets what the test is about. */
export function emptyScanReport(over: Partial<ScanReport> = {}): ScanReport {
  return {
    format: SCAN_FORMAT,
    version: SCAN_VERSION,
    startedAt: new Date().toISOString(),
    durationMs: 5,
    platform: 'linux',
    root: '/',
    findings: [],
    processes: [],
    connections: [],
    persistence: [],
    gpu: { devices: [], processes: [], tools: [], driverVersion: null },
    browsers: [],
    hidden: null,
    domainList: { source: 'test', count: 0 },
    steps: [],
    problems: [],
    summary: { high: 0, medium: 0, low: 0, allowlisted: 0 },
    ...over,
  };
}
