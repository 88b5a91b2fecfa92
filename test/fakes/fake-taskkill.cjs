#!/usr/bin/env node
// Stand-in for Windows' taskkill.exe, used by test/actions-windows-kill.test.ts (copied into a temp
// folder and given to killProcess as its taskkill path). It acts on real (Linux) processes, so the
// kill logic is tested against processes that really exit or keep running. Environment:
//   FAKE_TASKKILL_LOG   file that gets one JSON line per run: the arguments
//   FAKE_TASKKILL_MODE  comma-separated:
//     polite-hang   the polite request (no /F) never answers
//     force-hang    the forced request (/F) never answers
//     denied        the forced request prints "ERROR: Access is denied." and exits 1
//   Otherwise a polite request does nothing and fails as it does for a console program, and /F
//   sends SIGKILL to every /PID given.
'use strict';

const fs = require('node:fs');

const args = process.argv.slice(2);
if (process.env.FAKE_TASKKILL_LOG) fs.appendFileSync(process.env.FAKE_TASKKILL_LOG, `${JSON.stringify(args)}\n`);
const modes = (process.env.FAKE_TASKKILL_MODE || '').split(',');
const force = args.includes('/F');
const pids = [];
for (let i = 0; i < args.length - 1; i++) if (args[i] === '/PID') pids.push(Number(args[i + 1]));

if (!force) {
  if (modes.includes('polite-hang')) setInterval(() => {}, 60_000);
  else {
    for (const p of pids)
      process.stdout.write(
        `ERROR: The process with PID ${p} could not be terminated.\nReason: This process can only be terminated forcefully (with /F option).\n`,
      );
    process.exit(1);
  }
} else if (modes.includes('force-hang')) {
  setInterval(() => {}, 60_000);
} else if (modes.includes('denied')) {
  process.stderr.write('ERROR: Access is denied.\n');
  process.exit(1);
} else {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
      process.stdout.write(`SUCCESS: The process with PID ${p} has been terminated.\n`);
    } catch {
      process.stdout.write(`ERROR: The process "${p}" not found.\n`);
    }
  }
  process.exit(0);
}
