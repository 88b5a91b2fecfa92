// `npm start`: builds the app and launches it in Electron. The Electron runtime downloads on
// first start; where it cannot (offline, a locked-down network), say so and point to the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const build = spawnSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

let electron;
try {
  // Resolving the package downloads the runtime on first use.
  electron = createRequire(import.meta.url)('electron');
} catch (e) {
  const why = String(e?.message ?? e).split('\n')[0];
  console.error(
    `\nIdlewatch could not start: the Electron runtime is not installed and could not be downloaded (${why}).\n` +
      'The monitor works without it: try `npm run cli -- watch`, `npm run cli -- probe` or `npm run cli -- record --out trace.jsonl`.\n',
  );
  process.exit(1);
}
const child = spawn(electron, [root], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
