import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './args.js';
import { safeText } from './format.js';

/** Most --web-root folders one scan takes. */
const MAX_WEB_ROOTS = 64;

/**
 * Takes every `--web-root DIR` (or `--web-root=DIR`) out of the arguments: the one option that may
 * be given more than once. Each must be a folder. The rest goes to the ordinary parser.
 */
export async function takeWebRoots(argv: readonly string[]): Promise<{ rest: string[]; webRoots: string[] }> {
  const rest: string[] = [];
  const given: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--web-root' || a.startsWith('--web-root=')) {
      const v = a === '--web-root' ? argv[++i] : a.slice('--web-root='.length);
      if (v === undefined || v === '') throw new UsageError('--web-root needs a folder');
      given.push(v);
    } else rest.push(a);
  }
  if (given.length > MAX_WEB_ROOTS) throw new UsageError(`at most ${MAX_WEB_ROOTS} --web-root folders`);
  const webRoots: string[] = [];
  for (const g of given) {
    const dir = resolve(g);
    if (!(await stat(dir).catch(() => null))?.isDirectory()) {
      throw new UsageError(`--web-root ${safeText(g, 300)} is not a folder`, { pointToHelp: false });
    }
    webRoots.push(dir);
  }
  return { rest, webRoots };
}
