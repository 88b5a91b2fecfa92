// `idlewatch daemon`: the live monitor without a window, for machines nobody watches a tray icon on.
// Detection, the incident history and the allowlist are the app's (EngineService); what it finds
// goes to stderr one line per event, to Prometheus (--metrics) and to a SIEM (--events).
import type { IncidentView } from '../../shared/ipc.js';
import {
  defaultDataDir,
  describeLockHolder,
  EngineService,
  type MetricsServer,
  parseListenAddress,
  SamplerLock,
  startMetricsServer,
} from '../engine/index.js';
import { parseArgs, UsageError } from './args.js';
import { attachEvents, type DaemonEvents, EVENTS_FLAGS, EVENTS_USAGE, parseEventsFlags } from './daemon-events.js';
import { safeText } from './format.js';
import { renderUnit, UNIT_KINDS, type UnitKind } from './service-units.js';

export const DAEMON_USAGE = `Usage: idlewatch daemon [--data-dir DIR] [--metrics ADDR:PORT] [--events SPEC] [--interval MS] [--idle-threshold SEC]
       idlewatch daemon --print-unit systemd-user|systemd-system|launchd [--exec PATH] [options]

The live monitor without a window: detection, the incident history and the allowlist of the data
folder, one log line per event on stderr. SIGTERM (or Ctrl-C) stops it; SIGHUP re-reads
settings.json (a bad file is reported and the running settings are kept). One sampler per data
folder: if the desktop app or another daemon already samples with it, the daemon says which and
exits 75.

  --data-dir DIR         the folder of settings, allowlist and incident history (default: the app's)
  --metrics ADDR:PORT    serve Prometheus metrics at http://ADDR:PORT/metrics (off by default; give
                         127.0.0.1:9464 for this machine only, 0.0.0.0:9464 for a scraper elsewhere)
  --metrics-top N        per-process series for the N busiest programs, 1 to 50 (default 10), plus
                         those with an open incident (at most 20 more)
${EVENTS_USAGE}  --interval MS          sampling period, at least 250 (default: settings.json)
  --idle-threshold SEC   seconds without input before the user counts as away, at least 10 (same)
  --scan-every HOURS     run the deep scan every HOURS hours (at least 1; default: never)
  --print-unit KIND      print a service definition that runs this daemon with the options given
                         here, and exit: systemd-user, systemd-system or launchd
  --exec PATH            with --print-unit: the idlewatch command to run (default: this one)
`;

/** The exit status when another process holds the data folder's sampler: "try again later". */
export const EXIT_LOCKED = 75;

/** How long a stop may take before the daemon exits anyway (SIGTERM must end it within 2 s). */
const STOP_DEADLINE_MS = 1500;

export interface DaemonIo {
  version: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the daemon should stop (SIGTERM, SIGINT). */
  stopSignal: Promise<void>;
  /** Registers the SIGHUP handler. */
  onReload(handler: () => void): void;
}

/**
 * What extensions of the daemon get once it runs: the SIEM event sinks (--events, docs/events.md)
 * attach to the service here, log through `log`, and register their cleanup with `onStop`.
 */
export interface DaemonContext {
  service: EngineService;
  dataDir: string;
  /** One line on stderr, with the time. */
  log(line: string): void;
  /** Run at stop, before the sampler lock is released; each is given the stop deadline. */
  onStop(fn: () => Promise<void> | void): void;
}

interface DaemonOptions {
  dataDir: string;
  version: string;
  metrics: { host: string; port: number } | null;
  intervalMs?: number;
  idleThresholdSec?: number;
  scanEveryHours?: number;
  metricsTop?: number;
  events?: DaemonEvents | null;
}

const FLAGS = {
  'data-dir': 'string',
  metrics: 'string',
  interval: 'number',
  'idle-threshold': 'number',
  'scan-every': 'number',
  'metrics-top': 'number',
  'print-unit': 'string',
  exec: 'string',
  ...EVENTS_FLAGS,
} as const;

export async function runDaemonCommand(args: string[], io: DaemonIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, FLAGS);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}" (daemon takes only options)`);
  const metricsArg = flags.metrics as string | undefined;
  let metrics: DaemonOptions['metrics'] = null;
  if (metricsArg !== undefined) {
    const parsed = parseListenAddress(metricsArg);
    if (!parsed.ok) throw new UsageError(`--metrics ${parsed.error}`);
    metrics = parsed.value;
  }
  const interval = flags.interval as number | undefined;
  if (interval !== undefined && !(interval >= 250)) throw new UsageError('--interval must be at least 250 ms');
  const threshold = flags['idle-threshold'] as number | undefined;
  if (threshold !== undefined && !(threshold >= 10))
    throw new UsageError('--idle-threshold must be at least 10 seconds');
  const top = flags['metrics-top'] as number | undefined;
  if (top !== undefined && !(Number.isInteger(top) && top >= 1 && top <= 50))
    throw new UsageError('--metrics-top must be a whole number from 1 to 50');
  if (top !== undefined && metrics === null) throw new UsageError('--metrics-top goes with --metrics');
  const scanEvery = flags['scan-every'] as number | undefined;
  if (scanEvery !== undefined && !(scanEvery >= 1)) throw new UsageError('--scan-every must be at least 1 hour');
  const events = parseEventsFlags(flags);

  const unit = flags['print-unit'] as string | undefined;
  if (unit !== undefined) {
    if (!(UNIT_KINDS as readonly string[]).includes(unit))
      throw new UsageError(`--print-unit must be one of ${UNIT_KINDS.join(', ')}, got "${unit}"`);
    io.stdout.write(renderUnit(unit as UnitKind, { exec: execCommand(flags.exec as string | undefined), args }));
    return 0;
  }
  if (flags.exec !== undefined) throw new UsageError('--exec goes with --print-unit');

  return runDaemon(
    {
      dataDir: (flags['data-dir'] as string | undefined) ?? defaultDataDir(),
      version: io.version,
      metrics,
      intervalMs: interval,
      idleThresholdSec: threshold,
      scanEveryHours: scanEvery,
      metricsTop: top,
      events,
    },
    io,
  );
}

/**
 * The command a service definition runs: node and this script by absolute path (a service manager's
 * PATH rarely has a user's node), or what --exec says.
 */
function execCommand(exec: string | undefined): string[] {
  if (exec !== undefined) return [exec];
  const script = process.argv[1];
  return script ? [process.execPath, script] : [process.execPath];
}

async function runDaemon(opts: DaemonOptions, io: DaemonIo): Promise<number> {
  const log = (line: string): void => {
    io.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });

  // SIGHUP is handled from the start: its default action would end the process, and a reload asked
  // for while the engine starts is done once it runs.
  let reload: (() => void) | null = null;
  let reloadAsked = false;
  io.onReload(() => {
    if (reload) reload();
    else reloadAsked = true;
  });

  const taken = await SamplerLock.acquire(opts.dataDir, 'daemon');
  if (!taken.ok) {
    io.stderr.write(
      `idlewatch daemon: ${describeLockHolder(taken.holder)} is already monitoring with the data folder ${opts.dataDir}; stop it or give another --data-dir\n`,
    );
    return EXIT_LOCKED;
  }
  const lock: SamplerLock = taken.lock;
  const cleanups: (() => Promise<void> | void)[] = [];
  let metricsServer: MetricsServer | null = null;
  let service: EngineService | null = null;
  let scanTimer: NodeJS.Timeout | null = null;
  const releaseOnExit = (): void => lock.releaseSync();
  process.once('exit', releaseOnExit);

  try {
    service = await EngineService.open({
      dataDir: opts.dataDir,
      settings: {
        ...(opts.intervalMs !== undefined ? { samplingIntervalMs: opts.intervalMs } : {}),
        ...(opts.idleThresholdSec !== undefined ? { idleThresholdSec: opts.idleThresholdSec } : {}),
      },
    });
    const s = service.settings;
    log(
      `idlewatch daemon started (pid ${process.pid}): data folder ${opts.dataDir}, a sample every ${s.samplingIntervalMs} ms, away after ${s.idleThresholdSec} s without input`,
    );
    for (const p of service.status().problems) log(`problem: ${p.file}: ${p.problem}`);
    followService(service, log);
    const ctx: DaemonContext = {
      service,
      dataDir: opts.dataDir,
      log,
      onStop: (fn) => {
        cleanups.push(fn);
      },
    };
    // SIEM event sinks (--events) attach to `ctx` here, before sampling starts, so that nothing the
    // first samples raise is missed.
    if (opts.events) await attachEvents(ctx, opts.events, opts.version);
    await service.start();
    const error = service.status().error;
    if (error) log(`error: ${error}`);
    if (opts.metrics) {
      metricsServer = await startMetricsServer(service, opts.metrics, {
        version: opts.version,
        topProcesses: opts.metricsTop,
      });
      log(`metrics: http://${metricsServer.address}/metrics`);
    }
    if (opts.scanEveryHours !== undefined) {
      const svc = service;
      scanTimer = setInterval(() => {
        // A scan still running (a slow disk) is left to finish; the next one waits for the next turn.
        void Promise.resolve(svc.handlers['scan:state']()).then((s) => {
          if (!s.running) return svc.handlers['scan:start']();
        });
      }, opts.scanEveryHours * 3600_000);
    }
  } catch (e) {
    // Could not open the data, start sampling or serve metrics: one line, the lock freed, exit 1.
    await metricsServer?.close();
    await service?.stop().catch(() => undefined);
    await lock.release();
    process.removeListener('exit', releaseOnExit);
    io.stderr.write(`idlewatch daemon: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }

  // A lost lock ends the daemon with status 1, so that its service manager starts it again: the
  // new one takes the lock if it is free, or waits with 75 while the other holder samples.
  let lockLost = false;
  lock.watch((now) => {
    lockLost = true;
    log(
      now
        ? `error: the sampler lock was taken by ${describeLockHolder(now)}; stopping`
        : `error: the sampler lock ${lock.path} was removed; stopping`,
    );
    process.kill(process.pid, 'SIGTERM');
  });

  const running = service;
  let reloading = Promise.resolve();
  reload = () => {
    reloading = reloading.then(async () => {
      const r = await running.reloadSettings();
      if (r.ok)
        log(
          `settings reloaded: a sample every ${r.settings.samplingIntervalMs} ms, away after ${r.settings.idleThresholdSec} s, sensitivity ${r.settings.sensitivity}`,
        );
      else log(`settings not reloaded, the running ones are kept: ${r.error}`);
    });
  };
  if (reloadAsked) reload();

  await io.stopSignal;
  log('stopping');
  if (scanTimer) clearInterval(scanTimer);
  const stopped = (async () => {
    await reloading.catch(() => undefined);
    await metricsServer?.close();
    for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
    await running.stop();
  })();
  const late = await Promise.race([
    stopped.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), STOP_DEADLINE_MS).unref()),
  ]);
  await lock.release();
  process.removeListener('exit', releaseOnExit);
  if (late) {
    log(`stopped without waiting for the engine (it took over ${STOP_DEADLINE_MS} ms)`);
    return 1;
  }
  log('stopped');
  return lockLost ? 1 : 0;
}

/** Logs what the service tells: incidents raised and escalated, status errors, sources that change. */
function followService(service: EngineService, log: (line: string) => void): void {
  let lastError: string | null = null;
  const health = new Map<string, string>();
  let lastScan: number | null = null;
  service.onEvent((channel, payload) => {
    switch (channel) {
      case 'incident:changed': {
        const { incident, change } = payload as { incident: IncidentView; change: string };
        if (change === 'raised' || change === 'escalated') log(incidentLine(incident, change));
        break;
      }
      case 'engine:status': {
        const error = (payload as { error: string | null }).error;
        if (error !== lastError) log(error ? `error: ${error}` : 'error cleared');
        lastError = error;
        break;
      }
      case 'scan:state': {
        const s = payload as { running: boolean; finishedAt: number | null; error: string | null; report: unknown };
        if (!s.running && s.finishedAt !== null && s.finishedAt !== lastScan) {
          lastScan = s.finishedAt;
          const r = s.report as { summary: { high: number; medium: number; low: number } } | null;
          log(
            s.error
              ? `deep scan did not finish: ${s.error}`
              : `deep scan finished: ${r?.summary.high ?? 0} high, ${r?.summary.medium ?? 0} medium, ${r?.summary.low ?? 0} low`,
          );
        }
        break;
      }
      case 'settings:changed':
        break;
      default:
        break;
    }
  });
  service.onNotify((n) => log(`notification (${n.severity}): ${safeText(n.title, 120)}: ${safeText(n.body, 300)}`));
  // Source health changes are seen on samples; the sources list is read only when a sample arrives.
  const check = (): void => {
    for (const s of service.current.sources()) {
      const before = health.get(s.id);
      if (before === s.health) continue;
      health.set(s.id, s.health);
      if (before === undefined && s.health === 'ok') continue;
      log(
        s.health === 'ok'
          ? `source ${s.id} is up: ${safeText(s.detail, 200)}`
          : `source ${s.id} is ${s.health === 'degraded' ? 'down' : 'unavailable'}: ${safeText(s.detail, 200)}`,
      );
    }
  };
  service.onEvent((channel) => {
    if (channel === 'engine:sample') check();
  });
}

function incidentLine(i: IncidentView, change: string): string {
  const rules = i.reasons.map((r) => r.rule).join(', ');
  const exe = i.exe ? `, ${safeText(i.exe, 200)}` : '';
  const allow = i.allowlisted
    ? ' (allowlisted)'
    : i.allowlistedBut
      ? ` (allowlisted, but ${safeText(i.allowlistedBut, 120)})`
      : '';
  return `incident ${change}: ${i.severity} ${safeText(i.name, 64)} (pid ${i.pid}${exe})${allow}: ${rules}`;
}
