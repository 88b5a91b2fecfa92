// Command-line options shared by the bench drivers (overhead, stream, daemon-cost, replay-24h).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `--name N` as a number, or `fallback` when absent. Durations, counts and intervals are never
 * negative; some (rounds, hours) must also be above zero: `min` says which.
 */
export function numberArg(name: string, fallback: number, min: 'non-negative' | 'positive' = 'non-negative'): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0 || (min === 'positive' && v === 0)) {
    throw new Error(`--${name} must be a ${min} number`);
  }
  return v;
}

/**
 * Where the JSON result goes: `--json FILE`, else bench/results/<name> of the repository. Bench
 * files are built into out/bench/, two levels below the repository root, like this module.
 */
export function jsonOutArg(name: string): string {
  const i = process.argv.indexOf('--json');
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(i >= 0 ? process.argv[i + 1]! : join(here, '..', '..', 'bench', 'results', name));
}
