import { Engine } from '../engine/engine.js';
import { Monitor } from '../engine/monitor.js';
import { defaultDataDir } from '../engine/store/data-dir.js';
import { parseArgs, UsageError } from './args.js';
import { runProbe } from './probe.js';
import { runRecord } from './record.js';
import { runReplay } from './replay.js';
import { runScanCommand, SCAN_USAGE } from './scan.js';
import { runWatch } from './watch.js';

const USAGE = `Usage: idlewatch <command> [options]

Commands:
  watch                      live view: incidents, top processes by GPU then CPU, idle state, sources (q quits)
        [--interval MS] [--idle-threshold SEC] [--data-dir DIR]   (defaults from settings.json in the data folder)
  record --out FILE          write a trace (format v1; FILE ending in .gz is compressed)
         [--duration SEC]    stop after SEC seconds (default: until Ctrl-C)
         [--interval MS]     sampling period (default 1000)
         [--idle-threshold SEC]  seconds without input before the user counts as idle (default 60)
  probe [--json]             which collectors and idle sources work here, and why the others do not
  replay FILE [--json]       run a trace through the detection engine: incidents with their reasons
         [--sensitivity low|normal|high]  how readily processes are flagged (default normal)
${SCAN_USAGE}  help                       this text
`;

/** Resolves on the first Ctrl-C / SIGTERM; a second Ctrl-C exits at once. */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    let asked = false;
    const handler = (): void => {
      if (asked) process.exit(130);
      asked = true;
      resolve();
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'record': {
      const { flags } = parseArgs(rest, {
        out: 'string',
        duration: 'number',
        interval: 'number',
        'idle-threshold': 'number',
      });
      if (typeof flags.out !== 'string') throw new UsageError('record needs --out FILE');
      const duration = flags.duration as number | undefined;
      if (duration !== undefined && !(duration > 0))
        throw new UsageError('--duration must be a positive number of seconds');
      const interval = (flags.interval as number | undefined) ?? 1000;
      if (!(interval >= 100)) throw new UsageError('--interval must be at least 100 ms');
      const engine = new Engine({
        intervalMs: interval,
        idleThresholdSec: flags['idle-threshold'] as number | undefined,
      });
      return runRecord(engine, {
        out: flags.out,
        durationSec: duration ?? null,
        log: process.stderr,
        stopSignal: stopSignal(),
      });
    }
    case 'watch': {
      const { flags } = parseArgs(rest, { interval: 'number', 'idle-threshold': 'number', 'data-dir': 'string' });
      const interval = flags.interval as number | undefined;
      if (interval !== undefined && !(interval >= 250)) throw new UsageError('--interval must be at least 250 ms');
      const threshold = flags['idle-threshold'] as number | undefined;
      if (threshold !== undefined && !(threshold >= 10))
        throw new UsageError('--idle-threshold must be at least 10 seconds');
      const monitor = await Monitor.open({
        dataDir: (flags['data-dir'] as string | undefined) ?? defaultDataDir(),
        settings: {
          ...(interval !== undefined ? { samplingIntervalMs: interval } : {}),
          ...(threshold !== undefined ? { idleThresholdSec: threshold } : {}),
        },
      });
      return runWatch(monitor, { out: process.stdout, input: process.stdin, stopSignal: stopSignal() });
    }
    case 'probe': {
      const { flags } = parseArgs(rest, { json: 'boolean' });
      return runProbe(new Engine(), flags.json === true, process.stdout);
    }
    case 'scan': {
      const abort = new AbortController();
      void stopSignal().then(() => abort.abort());
      return runScanCommand(rest, { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
    }
    case 'replay': {
      const { flags, positionals } = parseArgs(rest, { json: 'boolean', sensitivity: 'string' });
      const [file, ...extra] = positionals;
      if (file === undefined) throw new UsageError('replay needs a trace FILE');
      if (extra.length > 0) throw new UsageError(`replay takes one FILE, got also "${extra.join(' ')}"`);
      const sensitivity = flags.sensitivity as string | undefined;
      if (sensitivity !== undefined && sensitivity !== 'low' && sensitivity !== 'normal' && sensitivity !== 'high') {
        throw new UsageError(`--sensitivity must be low, normal or high, got "${sensitivity}"`);
      }
      return runReplay({ file, json: flags.json === true, sensitivity, out: process.stdout, err: process.stderr });
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Long-lived children and timers are stopped by each command; exit explicitly so a stray
    // handle (a D-Bus call in flight) cannot keep the CLI alive.
    setImmediate(() => process.exit(code));
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`idlewatch: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`idlewatch: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
