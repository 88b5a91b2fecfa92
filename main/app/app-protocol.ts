/**
 * The app:// protocol's file lookup and response headers. Pure (no electron): protocol.ts registers
 * the handler. The window is served from app://idlewatch/ rather than file:// so that the page has
 * a real origin of its own (file:// pages can read other local files and share one origin).
 */
import { extname, join, normalize, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './ipc-guard.js';

/** The same policy as renderer/index.html's meta tag, also sent as a header (it covers the whole response). */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** The file under `root` an app:// URL names, or null (another host, a path escaping root, a bad escape). */
export function resolveAppFile(root: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const rel = normalize(path).replace(/^([/\\])+/, '') || 'index.html';
  const file = join(root, rel);
  const base = root.endsWith(sep) ? root : root + sep;
  return file.startsWith(base) ? file : null;
}

/** Headers for a served file: its type, the CSP, no sniffing. */
export function appHeaders(file: string): Record<string, string> {
  return {
    'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
  };
}
