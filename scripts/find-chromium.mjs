// Finds a Chromium for the end-to-end tests and the frame benchmark (an env variable, the system
// package, or Playwright's own download; null when there is none), and the flags to launch it with.
import { existsSync } from 'node:fs';

export const CHROMIUM_HELP =
  'No Chromium found for the end-to-end tests: install one (Debian/Ubuntu: apt-get install chromium) or set IDLEWATCH_CHROMIUM=/path/to/chrome.';

/**
 * Flags for a headless Chromium in tests and benchmarks: root in CI needs --no-sandbox; the rest
 * keep it off a closed network (no background fetches, updates, sync or first-run pages).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function findChromium() {
  const fromEnv = process.env.IDLEWATCH_CHROMIUM || process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  for (const p of [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ]) {
    if (existsSync(p)) return p;
  }
  try {
    const { chromium } = await import('@playwright/test');
    const own = chromium.executablePath();
    if (own && existsSync(own)) return own;
  } catch {
    // Playwright's own browser is not installed.
  }
  return null;
}
