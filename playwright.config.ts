import { defineConfig } from '@playwright/test';
// @ts-expect-error -- plain ESM helper shared with scripts/test.mjs
import { CHROMIUM_HELP, findChromium } from './scripts/find-chromium.mjs';

const executablePath: string | null = await findChromium();
if (!executablePath) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  workers: 1,
  reporter: process.env.CI ? 'list' : [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath,
      // Root in CI needs --no-sandbox; the rest keep a headless Chromium off a closed network.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
