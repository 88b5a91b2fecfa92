/**
 * Property tests for DRM fdinfo (main/engine/platform/linux/drm/fdinfo-parse.ts): keys and values
 * a driver prints, and the ones that break a parser that indexes plain objects.
 * Each property states what must hold for ANY input (no throw but the documented error type,
 * numbers finite, no prototype pollution, bounded time) and, where a valid input can be
 * generated, that it is read back exactly even when garbage is mixed in. Seed, run counts and
 * shared arbitraries: ./common.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientMemoryMiB, type DrmFdinfo, parseFdinfo } from '../../main/engine/platform/linux/drm/fdinfo-parse.js';
import { anyText, bigDecimal, expectPrototypeUntouched, PROTO_NAMES, PURE } from './common.js';

// ---------------------------------------------------------------------------------------------
// DRM fdinfo
// ---------------------------------------------------------------------------------------------

/** Names a driver could print (see PROTO_NAMES in ./common.ts for the hostile ones). */
const ENGINE_NAMES = ['gfx', 'compute', 'render', 'video', 'video-enhance', 'copy', 'enc', 'dec', 'rcs', 'ccs'];
const REGION_NAMES = ['vram', 'vram0', 'gtt', 'cpu', 'system', 'local0', 'stolen-system0', 'memory'];
const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, kB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

function expectSaneFdinfo(info: DrmFdinfo | null): void {
  if (!info) return;
  expect(typeof info.driver).toBe('string');
  for (const rec of [info.engines, info.cycles, info.totalCycles, info.memory, info.legacyPercent]) {
    for (const [k, v] of Object.entries(rec)) expect(Number.isFinite(v), `${k}: ${v}`).toBe(true);
  }
  for (const v of Object.values(info.capacity)) expect(Number.isFinite(v) && v > 0).toBe(true);
  for (const v of Object.values(info.memory)) expect(v).toBeGreaterThanOrEqual(0);
  const mem = clientMemoryMiB(info);
  if (mem !== null) expect(Number.isFinite(mem)).toBe(true);
}

describe('DRM fdinfo', () => {
  it('a generated client is read exactly, in any line order and with either separator', () => {
    const engineArb = fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...ENGINE_NAMES, ...PROTO_NAMES.filter((n) => n !== '__proto__')),
        ns: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
        unit: fc.constantFrom(' ns', 'ns', ''),
        capacity: fc.option(fc.integer({ min: 1, max: 16 }), { nil: null }),
      }),
      { maxLength: 5, selector: (e) => e.name },
    );
    const regionArb = fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...REGION_NAMES, ...PROTO_NAMES.filter((n) => n !== '__proto__')),
        kinds: fc.uniqueArray(
          fc.record({
            prefix: fc.constantFrom('drm-resident-', 'drm-total-', 'drm-memory-'),
            n: fc.nat({ max: 10_000_000 }),
            unit: fc.constantFrom(...Object.keys(UNITS)),
          }),
          { minLength: 1, maxLength: 3, selector: (k) => k.prefix },
        ),
      }),
      { maxLength: 4, selector: (r) => r.name },
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
        engineArb,
        regionArb,
        fc.constantFrom(':\t', ': ', ':', ':  \t'),
        fc.nat(),
        (driver, engines, regions, sep, shuffleSeed) => {
          const lines = [`drm-driver${sep}${driver}`, 'pos:\t0', 'flags:\t02100002', 'mnt_id:\t24', 'ino:\t1077'];
          for (const e of engines) {
            lines.push(`drm-engine-${e.name}${sep}${e.ns}${e.unit}`);
            if (e.capacity !== null) lines.push(`drm-engine-capacity-${e.name}${sep}${e.capacity}`);
          }
          for (const r of regions) {
            for (const k of r.kinds) lines.push(`${k.prefix}${r.name}${sep}${k.n}${k.unit ? ` ${k.unit}` : ''}`);
          }
          // A deterministic shuffle: preference between memory keys must not depend on line order.
          const shuffled = lines
            .map((l, i) => ({ l, k: (i * 2_654_435_761 + shuffleSeed) % 4_294_967_291 }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.l);
          const info = parseFdinfo(`${shuffled.join('\n')}\n`);
          expectPrototypeUntouched();
          expect(info).not.toBeNull();
          expect(info?.driver).toBe(driver);
          expect(info?.engines).toEqual(Object.fromEntries(engines.map((e) => [e.name, Number(e.ns)])));
          expect(info?.capacity).toEqual(
            Object.fromEntries(engines.filter((e) => e.capacity !== null).map((e) => [e.name, e.capacity])),
          );
          const expectedMemory: Record<string, number> = {};
          for (const r of regions) {
            const pick =
              r.kinds.find((k) => k.prefix === 'drm-resident-') ??
              r.kinds.find((k) => k.prefix === 'drm-total-') ??
              r.kinds.find((k) => k.prefix === 'drm-memory-');
            if (pick) expectedMemory[r.name] = (pick.n * (UNITS[pick.unit] ?? Number.NaN)) / 1024 ** 2;
          }
          expect(info?.memory).toEqual(expectedMemory);
        },
      ),
      PURE,
    );
  });

  it('random keys and values (huge, negative, unitless, odd units, prototype names): finite numbers, no pollution', () => {
    const name = fc.oneof(
      fc.constantFrom(...PROTO_NAMES, ...ENGINE_NAMES, ...REGION_NAMES),
      fc.stringMatching(/^[\w-]{0,12}$/),
    );
    const key = fc.oneof(
      fc.constantFrom('drm-driver', 'drm-pdev', 'drm-client-id', 'pasid', 'pdev', 'gfx0', 'compute0'),
      fc
        .tuple(
          fc.constantFrom(
            'drm-engine-',
            'drm-engine-capacity-',
            'drm-cycles-',
            'drm-total-cycles-',
            'drm-total-',
            'drm-resident-',
            'drm-memory-',
            'drm-shared-',
            'drm-',
          ),
          name,
        )
        .map(([p, n]) => p + n),
      name.map((n) => `${n} mem`),
      anyText(20),
    );
    const value = fc.oneof(
      fc
        .tuple(
          fc.oneof(bigDecimal, fc.constantFrom('-1', '-0', '0.5', '1e9', '', 'NaN', 'Infinity', '0x10')),
          fc.constantFrom(
            '',
            ' ns',
            'ns',
            ' KiB',
            ' kB',
            ' MiB',
            ' GiB',
            ' TiB',
            '%',
            ' %',
            ' constructor',
            ' toString',
            ' valueOf',
            ' __proto__',
          ),
        )
        .map(([n, u]) => n + u),
      fc.stringMatching(/^[a-z0-9_.:-]{0,12}$/),
      anyText(20),
    );
    const line = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(key, fc.constantFrom(':\t', ': ', ':'), value).map(([k, s, v]) => k + s + v) },
      { weight: 1, arbitrary: anyText(40) },
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.boolean(), (lines, withDriver) => {
        const text = (withDriver ? ['drm-driver:\tamdgpu', ...lines] : lines).join('\n');
        let info: DrmFdinfo | null = null;
        try {
          info = parseFdinfo(text);
        } finally {
          expectPrototypeUntouched();
        }
        expectSaneFdinfo(info);
        if (withDriver && info) expect(info.driver.length).toBeGreaterThan(0);
      }),
      PURE,
    );
  });
});
