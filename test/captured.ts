import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Real outputs of GPU and system tools captured on other people's machines (see
 * test/fixtures/captured/SOURCES.md for where each one came from). They are committed, so a plain
 * clone tests against all of them and nothing is skipped for a missing folder.
 */
export const CAPTURED = join(REPO_ROOT, 'test', 'fixtures', 'captured');

export function captured(...parts: string[]): string {
  return join(CAPTURED, ...parts);
}
