import { defineConfig } from '@playwright/test';
// @ts-expect-error -- plain ESM helper shared with scripts/test.mjs
import { CHROMIUM_ARGS, CHROMIUM_HELP, findChromium } from './scripts/find-chromium.mjs';

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
      args: CHROMIUM_ARGS,
    },
  },
});
