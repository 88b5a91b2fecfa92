// `npm start`: builds the app and launches it in Electron. The Electron runtime downloads on
// first start; where it cannot (offline, a locked-down network), say so briefly and point to the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

function fail(why) {
  console.error(
    `\nIdlewatch could not start: the Electron runtime is not installed and could not be downloaded (${why}).\n` +
      'The monitor works without it: try `npm run cli -- watch`, `npm run cli -- probe` or `npm run cli -- record --out trace.jsonl`.',
  );
  process.exit(1);
}

let electronDir;
try {
  electronDir = dirname(require.resolve('electron/package.json'));
} catch {
  fail('the electron package is missing: run npm install');
}

/** The runtime is there when path.txt names an executable that exists. */
function runtimePath() {
  try {
    const exe = join(electronDir, 'dist', readFileSync(join(electronDir, 'path.txt'), 'utf8'));
    return existsSync(exe) ? exe : null;
  } catch {
    return null;
  }
}

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

let electron = runtimePath();
if (!electron) {
  console.log('Downloading the Electron runtime (first start only)…');
  // Run the package's own installer with its output captured, so a failure reads as one line.
  const dl = spawnSync(process.execPath, [join(electronDir, 'install.js')], { encoding: 'utf8', timeout: 10 * 60_000 });
  electron = runtimePath();
  if (!electron) {
    const text = `${dl.stderr ?? ''}\n${dl.stdout ?? ''}`;
    const line =
      text
        .split('\n')
        .map((l) => l.trim())
        .find(
          (l) =>
            /error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|fetch failed|status/i.test(l) && !l.startsWith('at '),
        ) ?? (dl.error ? dl.error.message : `installer exited with code ${dl.status}`);
    fail(line.slice(0, 200));
  }
}
const child = spawn(electron, [root], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
