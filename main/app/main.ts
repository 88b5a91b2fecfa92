// The app's entry (built to out/main/index.js): the shell with the real Electron. Everything else is
// in shell.ts, which takes Electron as an argument so that a test can start it under Node.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as electron from 'electron';
import type { ElectronApi } from './electron-api.js';
import { startShell } from './shell.js';

// Annotated, not inferred: Electron's own definitions are checked against what the shell uses.
const api: ElectronApi = electron;
// The other build outputs (engine, preload, renderer) are siblings of out/main/.
startShell(api, join(dirname(fileURLToPath(import.meta.url)), '..'));
