/**
 * The engine's public surface: everything the CLI (main/cli/) and the Electron shell (main/app/)
 * may use. They import from here and nowhere deeper (biome.json enforces it), so what lies behind
 * this file can be moved and split without touching them. The engine itself never imports electron.
 */
export { Allowlist } from './allowlist/allowlist.js';
export { DELETED_SUFFIX } from './allowlist/exe-path.js';
export { replayFile } from './detect/replay.js';
export { currentPlatform, Engine } from './engine.js';
export { type EngineChild, EngineClient } from './host/engine-client.js';
export { type EnginePort, reportCrashes, runEngineHost } from './host/engine-host.js';
export type { EngineToMain, HostNotification, PowerEvent } from './host/protocol.js';
export {
  blockDomainsOff,
  blockDomainsOn,
  type HostsBlockOptions,
  type HostsBlockResult,
  type HostsBlockStatus,
  hostsBlockStatus,
} from './hosts/block-domains.js';
export { BlockListError, loadBlockList } from './hosts/block-list.js';
export { browserPoliciesOff, browserPoliciesOn, browserPolicyStatus } from './hosts/browser-policy.js';
export { applyPreparedHosts, HostsApplyError } from './hosts/hosts-apply.js';
export { hostsFilePath } from './hosts/hosts-path.js';
export { firstReadable, PushedIdleSource } from './idle/pushed-idle.js';
export type { EngineMetrics, MetricsOptions } from './metrics/exporter.js';
export { type ListenAddress, parseListenAddress } from './metrics/listen-address.js';
export { type MetricsServer, startMetricsServer } from './metrics/server.js';
export { Monitor } from './monitor.js';
export { killProcess } from './actions/process-actions.js';
export { type FixOutcome, type FixPlan, fixFinding, planFix } from './quarantine/fix-finding.js';
export { killAndQuarantine } from './quarantine/kill-quarantine.js';
export { importLegacyBackups, legacyBackupFolders } from './quarantine/legacy-backups.js';
export {
  MAX_QUARANTINE_FILE,
  type QuarantineFileRequest,
  type QuarantineLineRequest,
  type QuarantineOrigin,
  QuarantineStore,
} from './quarantine/store.js';
export { userWritableReason } from './quarantine/user-writable.js';
export { desktopIdleSources } from './platform/select.js';
export type { DeepScanOptions } from './scan/deep-scan.js';
export { renderScanHtml } from './scan/html-report.js';
export { localTime } from './scan/report-text.js';
export { isAbortError } from './scan/scan-context.js';
export { runDeepScanIsolated } from './scan/scan-isolated.js';
export { EngineService } from './service/engine-service.js';
export { writeFileAtomic } from './store/atomic-write.js';
export { defaultDataDir } from './store/data-dir.js';
export { describeHolder as describeLockHolder, type LockHolder, SamplerLock } from './store/sampler-lock.js';
export { TraceEncoder } from './trace/trace-encoder.js';
export { TraceFileWriter } from './trace/trace-file-writer.js';
export { TraceError } from './trace/trace-reader.js';
export { EventFeed } from './events/feed.js';
export type { IdlewatchEvent } from './events/schema.js';
export type { EventSink, SinkStats } from './events/sinks/sink.js';
export { FACILITIES, type Facility } from './events/sinks/syslog-priority.js';
export {
  type EventSinkSettings,
  type EventStream,
  type EventsSpec,
  openEventSink,
  parseEventsSpec,
  parseFacility,
  sinkNotReady,
  streamEvents,
} from './events/spec.js';
