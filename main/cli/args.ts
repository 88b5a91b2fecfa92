/** A small, strict argument parser: unknown flags are errors that name the flag. */
export class UsageError extends Error {
  override name = 'UsageError';
  /**
   * Whether the one-line message is followed by a pointer to the command's --help. A path that
   * does not exist is the user's input, but the options the help lists would not fix it.
   */
  readonly pointToHelp: boolean;

  constructor(message: string, opts: { pointToHelp?: boolean } = {}) {
    super(message);
    this.pointToHelp = opts.pointToHelp ?? true;
  }
}

/** Whether the arguments ask for help; anything after `--` is an argument, never a request. */
export function asksForHelp(argv: string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

export interface FlagSpec {
  [flag: string]: 'string' | 'number' | 'boolean';
}

export interface Parsed {
  flags: Record<string, string | number | boolean | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const type = spec[name];
    if (!type) throw new UsageError(`unknown option --${name}`);
    if (type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    if (type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
      flags[name] = n;
    } else {
      flags[name] = value;
    }
  }
  return { flags, positionals };
}
