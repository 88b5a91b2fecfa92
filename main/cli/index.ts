import { version } from '../../package.json';
import { defaultDataDir, Engine, Monitor } from '../engine/index.js';
import { asksForHelp, parseArgs, UsageError } from './args.js';
import { DAEMON_USAGE, runDaemonCommand } from './daemon.js';
import { BLOCK_DOMAINS_USAGE, HOSTS_APPLY_USAGE, runBlockDomains, runHostsApply } from './block-domains.js';
import { runProbe } from './probe.js';
import { FIX_USAGE, QUARANTINE_USAGE, runFixCommand, runQuarantineCommand } from './quarantine.js';
import { runRecord } from './record.js';
import { runReplay } from './replay.js';
import { runScanCommand, SCAN_USAGE } from './scan.js';
import { runWatch } from './watch.js';

interface Command {
  /** One line in the overall usage. */
  summary: string;
  /** What `idlewatch COMMAND --help` prints. */
  usage: string;
  run(args: string[]): Promise<number>;
}

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

const COMMANDS: Record<string, Command> = {
  watch: {
    summary: 'live view: incidents, busiest processes by GPU then CPU, idle state, sources',
    usage: `Usage: idlewatch watch [--interval MS] [--idle-threshold SEC] [--data-dir DIR]

A live view, refreshed every interval: incidents found since it started, the busiest processes by
GPU then CPU, whether you are away, and which data sources do not work. q or Ctrl-C quits.

  --interval MS          sampling period, at least 250 (default: settings.json in the data folder)
  --idle-threshold SEC   seconds without input before you count as away, at least 10 (same default)
  --data-dir DIR         the folder of settings, allowlist and incident history (default: the app's)
`,
    async run(args) {
      const { flags, positionals } = parseArgs(args, {
        interval: 'number',
        'idle-threshold': 'number',
        'data-dir': 'string',
      });
      if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}" (watch takes only options)`);
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
    },
  },
  record: {
    summary: 'write a trace of what the collectors see to a file, for replay',
    usage: `Usage: idlewatch record --out FILE [--duration SEC] [--interval MS] [--idle-threshold SEC]

Writes a trace (format v1) from the live collectors until the duration ends or Ctrl-C.

  --out FILE             the trace to write; a name ending in .gz is gzip-compressed. Its folder
                         must exist
  --duration SEC         stop after SEC seconds (default: until Ctrl-C)
  --interval MS          sampling period, at least 100 (default 1000)
  --idle-threshold SEC   seconds without input before you count as away (default 60)
`,
    async run(args) {
      const { flags, positionals } = parseArgs(args, {
        out: 'string',
        duration: 'number',
        interval: 'number',
        'idle-threshold': 'number',
      });
      if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}" (the file goes after --out)`);
      if (typeof flags.out !== 'string') throw new UsageError('--out FILE is required');
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
    },
  },
  replay: {
    summary: 'run a recorded trace through the detection engine: incidents and their reasons',
    usage: `Usage: idlewatch replay FILE [--json] [--sensitivity low|normal|high]

Runs a trace (plain, or gzip when its name ends in .gz) through the detection engine and lists the
incidents with their reasons. A malformed trace: one line naming the line that is wrong, exit 2.

  --json                          the replay output of the trace format spec, on stdout
  --sensitivity low|normal|high   how readily processes are flagged (default normal)
`,
    async run(args) {
      const { flags, positionals } = parseArgs(args, { json: 'boolean', sensitivity: 'string' });
      const [file, ...extra] = positionals;
      if (file === undefined) throw new UsageError('no trace FILE given');
      if (extra.length > 0) throw new UsageError(`one FILE at a time, got also "${extra.join(' ')}"`);
      const sensitivity = flags.sensitivity as string | undefined;
      if (sensitivity !== undefined && sensitivity !== 'low' && sensitivity !== 'normal' && sensitivity !== 'high') {
        throw new UsageError(`--sensitivity must be low, normal or high, got "${sensitivity}"`);
      }
      return runReplay({ file, json: flags.json === true, sensitivity, out: process.stdout, err: process.stderr });
    },
  },
  probe: {
    summary: 'which collectors and idle sources work here, and why the others do not',
    usage: `Usage: idlewatch probe [--json]

Lists every data source for this platform (processes, system CPU, GPUs, idle detection): which
work here and, for each that does not, why.

  --json   the same as JSON on stdout
`,
    async run(args) {
      const { flags, positionals } = parseArgs(args, { json: 'boolean' });
      if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}" (probe takes only options)`);
      return runProbe(new Engine(), flags.json === true, process.stdout);
    },
  },
  'block-domains': {
    summary: 'send mining-pool domains nowhere in the hosts file (on, off, status)',
    usage: BLOCK_DOMAINS_USAGE,
    run(args) {
      return runBlockDomains(args, { stdout: process.stdout, stderr: process.stderr });
    },
  },
  'hosts-apply': {
    summary: 'the one step block-domains runs with administrator rights',
    usage: HOSTS_APPLY_USAGE,
    run(args) {
      return runHostsApply(args, { stdout: process.stdout, stderr: process.stderr });
    },
  },
  daemon: {
    summary: 'the live monitor as a service: no window, log lines on stderr, Prometheus metrics',
    usage: DAEMON_USAGE,
    run(args) {
      return runDaemonCommand(args, {
        version,
        stdout: process.stdout,
        stderr: process.stderr,
        stopSignal: stopSignal(),
        onReload: (handler) => process.on('SIGHUP', handler),
      });
    },
  },
  scan: {
    summary: 'deep scan: processes, executables, miner signatures, connections, autostart entries',
    usage: SCAN_USAGE,
    run(args) {
      const abort = new AbortController();
      void stopSignal().then(() => abort.abort());
      return runScanCommand(args, { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
    },
  },
  fix: {
    summary: "a scan finding's suggested fix (remove a persistence line, quarantine a program); undoable",
    usage: FIX_USAGE,
    run(args) {
      const abort = new AbortController();
      void stopSignal().then(() => abort.abort());
      return runFixCommand(args, { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
    },
  },
  quarantine: {
    summary: 'what Idlewatch removed: list, restore ID, delete ID',
    usage: QUARANTINE_USAGE,
    run(args) {
      return runQuarantineCommand(args, { stdout: process.stdout, stderr: process.stderr });
    },
  },
};

/** The summaries start in one column, past the longest command name. */
const NAME_WIDTH = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;

const USAGE = `Usage: idlewatch <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(NAME_WIDTH)}${c.summary}`)
  .join('\n')}
  ${'help'.padEnd(NAME_WIDTH)}this text; idlewatch help COMMAND: that command's options

Options:
  -h, --help   this text; after a command, that command's options
  --version    the version of Idlewatch

Run \`idlewatch <command> --help\` for a command's options.
`;

/** The command a usage error is about, when the arguments name one. */
function commandOf(argv: string[]): string | null {
  const first = argv[0];
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : null;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    // No command is a usage error, but the whole text is what helps here.
    process.stderr.write(USAGE);
    return 2;
  }
  if (first === '--help' || first === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (first === '--version') {
    process.stdout.write(`idlewatch ${version}\n`);
    return 0;
  }
  if (first === 'help') {
    const [topic, ...extra] = rest;
    if (extra.length > 0) throw new UsageError(`help takes one COMMAND, got also "${extra.join(' ')}"`);
    if (topic === undefined) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (!Object.hasOwn(COMMANDS, topic)) throw new UsageError(`unknown command "${topic}"`);
    process.stdout.write(COMMANDS[topic]!.usage);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, first)) {
    throw new UsageError(first.startsWith('-') ? `unknown option ${first}` : `unknown command "${first}"`);
  }
  const command = COMMANDS[first]!;
  if (asksForHelp(rest)) {
    process.stdout.write(command.usage);
    return 0;
  }
  return command.run(rest);
}

/** Resolves once everything written to stdout and stderr has been handed to the OS. */
function drained(): Promise<void> {
  const flush = (s: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (!s.writableNeedDrain) resolve();
      else {
        s.once('drain', () => resolve());
        s.once('error', () => resolve());
      }
    });
  return Promise.all([flush(process.stdout), flush(process.stderr)]).then(() => undefined);
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
    // Long-lived children and timers are stopped by each command; exit explicitly so a stray
    // handle (a D-Bus call in flight) cannot keep the CLI alive. But only once stdout and stderr
    // have drained: to a pipe they are asynchronous, and exiting at once cut `replay --json | …`
    // off at 64 KiB.
    void drained().then(() => process.exit(code));
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      // One line saying what was wrong, and where the options are: the whole usage would bury it.
      const command = commandOf(argv);
      const prefix = command ? `idlewatch ${command}` : 'idlewatch';
      const help = command ? `idlewatch ${command} --help` : 'idlewatch --help';
      process.stderr.write(`${prefix}: ${e.message}\n`);
      if (e.pointToHelp) process.stderr.write(`run \`${help}\` for usage\n`);
      process.exit(2);
    }
    process.stderr.write(`idlewatch: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
