// The tray icons: every file the model can name exists, is a valid image of the right size, and
// matches what scripts/make-icons.mjs draws (the committed files are not stale).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allTrayIconFiles, TRAY_STATES } from '../main/app/tray-model.js';
// @ts-expect-error -- plain ESM script without type declarations
import * as icons from '../scripts/make-icons.mjs';

interface Decoded {
  width: number;
  height: number;
  rgba: Uint8Array;
}
const decodePng = icons.decodePng as (b: Buffer) => Decoded;
const decodeIco = icons.decodeIco as (b: Buffer) => { size: number; png: Buffer }[];
const buildAssets = icons.buildAssets as (iconPng: Buffer) => Map<string, Buffer>;

const ASSETS = resolve(import.meta.dirname, '..', 'assets');

function checkPng(rel: string, size: number): Decoded {
  const file = join(ASSETS, rel);
  expect(existsSync(file), `${rel} exists`).toBe(true);
  const img = decodePng(readFileSync(file));
  expect([img.width, img.height], rel).toEqual([size, size]);
  // Not blank: some opaque pixels, some transparent ones (a glyph, not a square).
  const alphas = Array.from({ length: size * size }, (_, i) => img.rgba[i * 4 + 3] as number);
  expect(
    alphas.some((a) => a === 255),
    `${rel} has opaque pixels`,
  ).toBe(true);
  expect(
    alphas.some((a) => a === 0),
    `${rel} has transparent pixels`,
  ).toBe(true);
  return img;
}

describe('tray icons', () => {
  it('exist for every state and platform the model names, at 16 px with a 32 px @2x', () => {
    const named = allTrayIconFiles();
    expect(named).toHaveLength(TRAY_STATES.length * 3); // Linux PNG, Windows ICO, macOS template (alert: coloured)
    expect(named).toContain('tray/alert-mac.png');
    for (const rel of named) {
      if (rel.endsWith('.ico')) {
        const entries = decodeIco(readFileSync(join(ASSETS, rel)));
        expect(entries.map((e) => e.size)).toEqual([16, 32]);
        for (const e of entries) {
          const img = decodePng(e.png);
          expect([img.width, img.height]).toEqual([e.size, e.size]);
        }
      } else {
        checkPng(rel, 16);
        checkPng(rel.replace(/\.png$/, '@2x.png'), 32);
      }
    }
  });

  it('macOS templates are black and alpha only; the macOS alert stays red', () => {
    for (const s of TRAY_STATES) {
      const img = checkPng(`tray/${s}Template@2x.png`, 32);
      for (let i = 0; i < img.rgba.length; i += 4) {
        if (img.rgba[i + 3] === 0) continue;
        expect([img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]]).toEqual([0, 0, 0]);
      }
    }
    const alert = checkPng('tray/alert-mac@2x.png', 32);
    const c = (16 * 32 + 6) * 4; // left of the "!", inside the disc
    expect(alert.rgba[c]).toBeGreaterThan(200);
    expect(alert.rgba[c + 1]).toBeLessThan(100);
  });

  it('states differ from each other', () => {
    const pixels = TRAY_STATES.map((s) => Buffer.from(decodePng(readFileSync(join(ASSETS, `tray/${s}.png`))).rgba));
    expect(new Set(pixels.map((p) => p.toString('hex'))).size).toBe(TRAY_STATES.length);
  });

  it('the committed files are what make-icons.mjs draws', () => {
    const fresh = buildAssets(readFileSync(join(ASSETS, 'icon.png')));
    for (const [rel, bytes] of fresh) {
      const committed = readFileSync(join(ASSETS, rel));
      if (rel.endsWith('.ico')) {
        const a = decodeIco(committed);
        const b = decodeIco(bytes);
        expect(
          a.map((e) => e.size),
          rel,
        ).toEqual(b.map((e) => e.size));
        for (const [i, e] of a.entries()) {
          expect(Buffer.from(decodePng(e.png).rgba).equals(Buffer.from(decodePng(b[i]!.png).rgba)), rel).toBe(true);
        }
      } else {
        expect(Buffer.from(decodePng(committed).rgba).equals(Buffer.from(decodePng(bytes).rgba)), rel).toBe(true);
      }
    }
  });

  it('the Windows app icon holds a 256 px image for the installer', () => {
    const entries = decodeIco(readFileSync(join(ASSETS, 'icon.ico')));
    expect(entries.map((e) => e.size)).toEqual([256, 48, 32, 16]);
    expect(decodePng(entries[0]!.png).width).toBe(256);
  });

  it('the PNG reader rejects a corrupted file', () => {
    const bytes = Buffer.from(readFileSync(join(ASSETS, 'tray/alert.png')));
    const at = bytes.length - 20;
    bytes[at] = (bytes[at] as number) ^ 0xff;
    expect(() => decodePng(bytes)).toThrow(/CRC|length|invalid|incorrect/i);
  });
});
