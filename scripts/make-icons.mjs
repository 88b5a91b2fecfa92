// Draws the tray icons (and the Windows app icon) in pure Node: shapes rendered with 4×4
// supersampling, PNG written by hand (zlib deflate + CRC-32), ICO as PNG entries. Run it after a
// design change and commit assets/: `node scripts/make-icons.mjs [--out DIR]`.
//
// Each state has its own shape as well as its colour, so it reads without colour too:
//   watching  green eye           away      blue eye
//   alert     red disc with "!"   paused    grey disc with two bars
//   degraded  amber triangle with "!"
// macOS gets black-and-alpha *Template images (the menu bar tints them) plus a coloured
// alert-mac.png, because a template alert would not be red.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const TRAY_STATES = ['watching', 'away', 'alert', 'paused', 'degraded'];

// ---------------------------------------------------------------- PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** RGBA pixels (Uint8Array, width*height*4) → PNG file bytes (8-bit RGBA, filter 0). */
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** PNG bytes → { width, height, rgba } for 8-bit RGBA or RGB, non-interlaced; checks every CRC. */
export function decodePng(buf) {
  if (!Buffer.from(buf.subarray(0, 8)).equals(SIGNATURE)) throw new Error('not a PNG (bad signature)');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat = [];
  let ended = false;
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(buf.subarray(pos + 4, pos + 8 + len)) !== buf.readUInt32BE(pos + 8 + len)) {
      throw new Error(`bad CRC in ${type}`);
    }
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      colorType = data[9];
      if (data[8] !== 8 || (colorType !== 6 && colorType !== 2) || data[12] !== 0) {
        throw new Error('only 8-bit RGB/RGBA non-interlaced PNGs are supported');
      }
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    pos += 12 + len;
  }
  if (!ended || width === 0) throw new Error('truncated PNG');
  const bpp = colorType === 6 ? 4 : 3;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== (stride + 1) * height) throw new Error('PNG data has the wrong length');
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= bpp ? px[y * stride + x - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? px[(y - 1) * stride + x - bpp] : 0;
      let p;
      if (f === 0) p = 0;
      else if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) {
        const q = a + b - c;
        const pa = Math.abs(q - a);
        const pb = Math.abs(q - b);
        const pc = Math.abs(q - c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`unknown PNG filter ${f}`);
      px[y * stride + x] = (v + p) & 0xff;
    }
  }
  if (bpp === 4) return { width, height, rgba: new Uint8Array(px) };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(px.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** PNG images → one ICO file with PNG entries (Windows Vista and later read them). */
export function encodeIco(pngs) {
  const head = Buffer.alloc(6 + 16 * pngs.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(pngs.length, 4);
  let offset = head.length;
  pngs.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    head[e] = size >= 256 ? 0 : size;
    head[e + 1] = size >= 256 ? 0 : size;
    head.writeUInt16LE(1, e + 4); // planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(png.length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...pngs.map((p) => p.png)]);
}

/** ICO bytes → its entries ({ size, png }); throws unless every entry is a PNG. */
export function decodeIco(buf) {
  if (buf.readUInt16LE(0) !== 0 || buf.readUInt16LE(2) !== 1) throw new Error('not an ICO file');
  const n = buf.readUInt16LE(4);
  const out = [];
  for (let i = 0; i < n; i++) {
    const e = 6 + 16 * i;
    const size = buf[e] === 0 ? 256 : buf[e];
    const png = buf.subarray(buf.readUInt32LE(e + 12), buf.readUInt32LE(e + 12) + buf.readUInt32LE(e + 8));
    out.push({ size, png });
  }
  return out;
}

// ---------------------------------------------------------------- drawing

const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union =
  (...fs) =>
  (x, y) =>
    fs.some((f) => f(x, y));
/** An almond (the eye's outline): the lens between two circles, half-width w, half-height h. */
function almond(w, h) {
  const r = (w * w + h * h) / (2 * h);
  const d = r - h;
  return (x, y) => (x - 0.5) ** 2 + (y - 0.5 - d) ** 2 <= r * r && (x - 0.5) ** 2 + (y - 0.5 + d) ** 2 <= r * r;
}
function triangle(ax, ay, bx, by, cx, cy) {
  const side = (px, py, qx, qy, x, y) => (qx - px) * (y - py) - (qy - py) * (x - px);
  return (x, y) => {
    const s1 = side(ax, ay, bx, by, x, y);
    const s2 = side(bx, by, cx, cy, x, y);
    const s3 = side(cx, cy, ax, ay, x, y);
    return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
  };
}
const bang = (top, bottom, dotY, dotR) => union(rect(0.42, top, 0.58, bottom), disc(0.5, dotY, dotR));

const COLORS = {
  watching: [0x2f, 0xb8, 0x7a],
  away: [0x3d, 0x8b, 0xe0],
  alert: [0xe0, 0x3c, 0x3c],
  paused: [0x8a, 0x90, 0x99],
  degraded: [0xf0, 0xa2, 0x1a],
};
const WHITE = [0xff, 0xff, 0xff];
const INK = [0x15, 0x18, 0x1d];

/**
 * Layers of a state's glyph, painted in order. role: 'base' (the state colour; black in a
 * template), 'glyph' (drawn over the base; cut out of a template), 'ink' (dark; black in a template).
 */
function layers(state) {
  switch (state) {
    case 'watching':
    case 'away':
      return [
        { role: 'base', shape: almond(0.49, 0.33) },
        { role: 'glyph', shape: disc(0.5, 0.5, 0.22) },
        { role: 'ink', shape: disc(0.5, 0.5, 0.11) },
      ];
    case 'alert':
      return [
        { role: 'base', shape: disc(0.5, 0.5, 0.49) },
        { role: 'glyph', shape: bang(0.16, 0.6, 0.78, 0.085) },
      ];
    case 'paused':
      return [
        { role: 'base', shape: disc(0.5, 0.5, 0.49) },
        { role: 'glyph', shape: union(rect(0.29, 0.26, 0.44, 0.74), rect(0.56, 0.26, 0.71, 0.74)) },
      ];
    case 'degraded':
      return [
        { role: 'base', shape: triangle(0.5, 0.02, 0.99, 0.94, 0.01, 0.94) },
        { role: 'glyph', shape: bang(0.32, 0.66, 0.8, 0.075), color: INK },
      ];
    default:
      throw new Error(`unknown state ${state}`);
  }
}

const SS = 4; // samples per axis

/** Renders a state at `size` px: coloured, or as a macOS template (black + alpha). */
export function renderTrayIcon(state, size, template = false) {
  const ls = layers(state);
  const out = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const x = (px + (sx + 0.5) / SS) / size;
          const y = (py + (sy + 0.5) / SS) / size;
          let c = null;
          for (const l of ls) {
            if (!l.shape(x, y)) continue;
            if (template) c = l.role === 'glyph' ? null : [0, 0, 0];
            else c = l.color ?? (l.role === 'base' ? COLORS[state] : l.role === 'glyph' ? WHITE : INK);
          }
          if (c) {
            r += c[0];
            g += c[1];
            b += c[2];
            a++;
          }
        }
      }
      const i = (py * size + px) * 4;
      if (a > 0) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
        out[i + 3] = Math.round((a / (SS * SS)) * 255);
      }
    }
  }
  return out;
}

/** Box-filter downscale of RGBA (alpha-weighted), for the app icon's small sizes. */
export function downscale({ width, height, rgba }, size) {
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const x0 = Math.floor((x * width) / size);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / size));
      const y0 = Math.floor((y * height) / size);
      const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / size));
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      let n = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const i = (yy * width + xx) * 4;
          const al = rgba[i + 3];
          r += rgba[i] * al;
          g += rgba[i + 1] * al;
          b += rgba[i + 2] * al;
          a += al;
          n++;
        }
      }
      const o = (y * size + x) * 4;
      if (a > 0) {
        out[o] = Math.round(r / a);
        out[o + 1] = Math.round(g / a);
        out[o + 2] = Math.round(b / a);
        out[o + 3] = Math.round(a / n);
      }
    }
  }
  return out;
}

/** Every file the script writes, relative to the assets folder, with its bytes. */
export function buildAssets(iconPng) {
  const files = new Map();
  const png = (state, size, template = false) => encodePng(size, size, renderTrayIcon(state, size, template));
  for (const s of TRAY_STATES) {
    files.set(`tray/${s}.png`, png(s, 16));
    files.set(`tray/${s}@2x.png`, png(s, 32));
    files.set(
      `tray/${s}.ico`,
      encodeIco([
        { size: 16, png: png(s, 16) },
        { size: 32, png: png(s, 32) },
      ]),
    );
    files.set(`tray/${s}Template.png`, png(s, 16, true));
    files.set(`tray/${s}Template@2x.png`, png(s, 32, true));
  }
  files.set('tray/alert-mac.png', png('alert', 16));
  files.set('tray/alert-mac@2x.png', png('alert', 32));
  // The Windows installer and exe icon, from the app icon (electron-builder wants 256 px in it).
  const icon = decodePng(iconPng);
  files.set(
    'icon.ico',
    encodeIco([256, 48, 32, 16].map((size) => ({ size, png: encodePng(size, size, downscale(icon, size)) }))),
  );
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const outDir = i > 0 ? resolve(process.argv[i + 1]) : join(root, 'assets');
  const files = buildAssets(readFileSync(join(root, 'assets', 'icon.png')));
  for (const [rel, bytes] of files) {
    mkdirSync(dirname(join(outDir, rel)), { recursive: true });
    writeFileSync(join(outDir, rel), bytes);
  }
  console.log(`wrote ${files.size} icons to ${outDir}`);
}
