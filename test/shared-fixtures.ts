import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Real captured outputs live beside the checkout in `../shared/fixtures` (see its SOURCES.md).
 * They are referenced by path, never copied. IDLEWATCH_SHARED_FIXTURES overrides the location.
 */
export const SHARED_FIXTURES = process.env.IDLEWATCH_SHARED_FIXTURES ?? resolve(REPO_ROOT, '..', 'shared', 'fixtures');

export const hasSharedFixtures = existsSync(join(SHARED_FIXTURES, 'SOURCES.md'));

/** Message used by tests that skip when the captures are absent. */
export const SHARED_FIXTURES_MISSING = `skipped: real captures not found at ${SHARED_FIXTURES} (clone the project's shared/ folder beside the repo, or set IDLEWATCH_SHARED_FIXTURES)`;

export function sharedFixture(...parts: string[]): string {
  return join(SHARED_FIXTURES, ...parts);
}

if (!hasSharedFixtures) {
  // One clear line in the test output, instead of silent skips.
  console.warn(SHARED_FIXTURES_MISSING);
}
