#!/usr/bin/env node
// Synthetic stand-in for `nvidia-smi -q -x`, used by test/scan-gpu-node-nvidia-smi.test.ts (which
// copies it into a temp dir as `nvidia-smi`, first on PATH). Environment:
//   FAKE_SMI_MODE     xml (default) | hang | hang-child (starts a helper, then hangs) | garbage |
//                     stderr-warning | text (print FAKE_SMI_TEXT)
//   FAKE_SMI_XML      the capture to print for xml / stderr-warning
//   FAKE_SMI_TEXT     literal stdout for `text`
//   FAKE_SMI_PIDFILE  file that gets one line per run: this process's pid (so a test can end a hung one)
'use strict';

const fs = require('node:fs');

const env = process.env;
if (env.FAKE_SMI_PIDFILE) fs.appendFileSync(env.FAKE_SMI_PIDFILE, `${process.pid}\n`);
const args = process.argv.slice(2);
if (!(args.includes('-q') && args.includes('-x'))) {
  process.stdout.write("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n");
  process.exit(2);
}
const mode = env.FAKE_SMI_MODE || 'xml';
if (mode === 'hang') {
  setInterval(() => {}, 60_000);
} else if (mode === 'hang-child') {
  // A tool that starts a helper of its own and then hangs: both must be stopped at the timeout.
  const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], {
    stdio: 'ignore',
  });
  if (env.FAKE_SMI_PIDFILE) fs.appendFileSync(env.FAKE_SMI_PIDFILE, `${c.pid}\n`);
  setInterval(() => {}, 60_000);
} else if (mode === 'garbage') {
  process.stdout.write('Welcome to FakeGPU Tool v0.1!\nThere is nothing here you would want to parse.\n');
  process.exit(0);
} else if (mode === 'text') {
  process.stdout.write(env.FAKE_SMI_TEXT || '');
  process.exit(0);
} else {
  if (mode === 'stderr-warning') process.stderr.write('WARNING: infoROM is corrupted at gpu 0000:00:1E.0\n');
  process.stdout.write(fs.readFileSync(env.FAKE_SMI_XML, 'utf8'));
  process.exit(0);
}
