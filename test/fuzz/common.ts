/**
 * Shared pieces of the parser property tests in this folder (one file per parser): the fixed
 * seed and run counts, a temporary folder for properties that read files, the arbitraries more
 * than one parser is fed, and the Object.prototype pollution check.
 *
 * Fixed seed: CI must fail or pass the same way on every run. A failure prints the seed and
 * the shrunk counterexample; paste it into a unit test when fixing the parser.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect } from 'vitest';

export const SEED = 20_261_126;
/** Pure parsers are cheap: many runs. Properties that touch the disk get fewer. */
export const PURE = { seed: SEED, numRuns: 300 } as const;
export const DISK = { seed: SEED, numRuns: 60 } as const;

/**
 * A temporary folder for one test file, removed after its tests; call it at the top level of the
 * file. `tmpFile` writes a new file in it under a unique name.
 */
export function fuzzTmpDir(): { dir: string; tmpFile: (name: string, content: string | Uint8Array) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'iw-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let fileNo = 0;
  function tmpFile(name: string, content: string | Uint8Array): string {
    const path = join(dir, `${fileNo++}-${name}`);
    writeFileSync(path, content);
    return path;
  }
  return { dir, tmpFile };
}

/** Any string, lone surrogates included (JS strings are UTF-16: a parser can be handed one). */
export const anyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 4 }),
  );

/** Decimal integers of every size a kernel or driver could print, and some it never would. */
export const bigDecimal = fc.oneof(
  fc.nat({ max: 1000 }).map(String),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  fc.integer({ min: 310, max: 420 }).map((n) => '9'.repeat(n)), // parses to Infinity with Number()
);

export const isCount = (n: number): boolean => Number.isFinite(n) && Number.isInteger(n) && n >= 0;

/** Names that break a parser that indexes plain objects. */
export const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];

const prototypeSnapshot = Object.getOwnPropertyNames(Object.prototype).sort();

/** Fails if a parse added anything to Object.prototype, and removes it so later tests are not poisoned. */
export function expectPrototypeUntouched(): void {
  const now = Object.getOwnPropertyNames(Object.prototype).sort();
  const added = now.filter((k) => !prototypeSnapshot.includes(k));
  for (const k of added) delete (Object.prototype as Record<string, unknown>)[k];
  expect(added, 'Object.prototype was polluted').toEqual([]);
}
