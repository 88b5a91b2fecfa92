// The engine process: an Electron utility process (forked by engine-launch.ts) that runs the engine
// service off the main process, so sampling, detection and scans never block the tray or the window.
// It imports nothing from electron; it talks to the app over process.parentPort with the protocol of
// main/engine/host/.
import {
  currentPlatform,
  defaultDataDir,
  desktopIdleSources,
  type EnginePort,
  EngineService,
  type EngineToMain,
  firstReadable,
  PushedIdleSource,
  reportCrashes,
  runEngineHost,
} from '../engine/index.js';

const parent = process.parentPort;
if (!parent) {
  console.error('engine-process: not started as an Electron utility process (no parentPort)');
  process.exit(2);
}

// parentPort hands listeners a MessageEvent; the host wants the data.
const port: EnginePort = {
  postMessage: (m: EngineToMain) => parent.postMessage(m),
  on: (_event, listener) => parent.on('message', (e) => listener(e.data)),
};
const exit = (code: number): void => {
  setImmediate(() => process.exit(code));
};
reportCrashes(port, exit);

// Idle sources, best first: Electron's powerMonitor readings pushed by the app, then the engine's own
// desktop sources. The pushed source refuses itself on Wayland (where Electron reads 0 forever) and
// once its zeros disagree with the desktop's own sources, so those take over there.
const own = desktopIdleSources(currentPlatform(), process.env);
const pushed = new PushedIdleSource({ crossCheck: firstReadable(own) });

void runEngineHost(
  port,
  () =>
    EngineService.open({
      dataDir: process.env.IDLEWATCH_DATA_DIR || defaultDataDir(),
      idleSources: [pushed, ...own],
      // The Electron main process forked this one: its window, GPU and utility processes are Idlewatch too.
      appRootPid: process.ppid,
      // One sampler per data folder: while `idlewatch daemon` samples with it, this engine waits and
      // shows the incidents the daemon records (main/engine/service/sampler-gate.ts).
      samplerLock: 'app',
      // Backups an older Idlewatch left beside edited files move into the quarantine on start.
      legacyBackupRoot: '/',
    }),
  { idle: pushed, exit },
);
