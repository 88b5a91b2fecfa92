#!/usr/bin/env node
// Synthetic stand-in for nvidia-smi, used by test/nvidia-collector.test.ts. Tests copy it to a
// temp dir as `nvidia-smi` and put that dir first on PATH. It answers the commands the
// collector runs from real captures, or misbehaves, as told by environment variables:
//   FAKE_SMI_CONTROL       file whose first word is the mode; re-read every period, so a test can
//                          change behaviour under running loops:
//                          replay | hang | garbage | fail | die | silent | pmon-unsupported
//   FAKE_SMI_QUERY_GPU     --query-gpu capture WITH its header (fields are picked per request;
//                          a field the capture lacks is rejected like a real old driver does)
//   FAKE_SMI_COMPUTE_APPS  --query-compute-apps capture with header
//   FAKE_SMI_PMON          pmon capture; FAKE_SMI_PMON_FRAMES: how many frames it holds (default 1)
//   FAKE_SMI_PMON_MS       pmon period in ms (default: the -d seconds)
//   FAKE_SMI_XML           nvidia-smi -q -x capture
//   FAKE_SMI_LOG           file that gets one line per invocation: the arguments, space-separated
'use strict';

const fs = require('node:fs');

const args = process.argv.slice(2);
const env = process.env;
const DRIVER_FAILED =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";

if (env.FAKE_SMI_LOG) fs.appendFileSync(env.FAKE_SMI_LOG, `${args.join(' ')}\n`);

function mode() {
  if (!env.FAKE_SMI_CONTROL) return 'replay';
  try {
    return fs.readFileSync(env.FAKE_SMI_CONTROL, 'utf8').trim().split(/\s+/)[0] || 'replay';
  } catch {
    return 'replay';
  }
}

function driverFailed() {
  // Like the real tool: the message goes to stdout, exit code 9.
  process.stdout.write(`${DRIVER_FAILED}\n\n`);
  process.exit(9);
}

function hangForever() {
  setInterval(() => {}, 60_000);
}

const normalize = (h) => h.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
const ALIASES = { used_memory: 'used_gpu_memory', gpu_name: 'name', gpu_uuid: 'uuid' };

/** Picks the requested fields out of a header-carrying capture, as `--format=<format>` would print them. */
function answerQuery(file, fields, format) {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const header = (lines[0] || '').split(',').map(normalize);
  const columns = fields.map((f) => {
    let i = header.indexOf(f);
    if (i === -1 && ALIASES[f]) i = header.indexOf(ALIASES[f]);
    if (i === -1) {
      for (const [alias, real] of Object.entries(ALIASES)) if (real === f) i = header.indexOf(alias);
    }
    if (i === -1) {
      process.stdout.write(`Field "${f}" is not a valid field to query.\n\n`);
      process.exit(2);
    }
    return i;
  });
  const noUnits = format.includes('nounits');
  const out = [];
  if (!format.includes('noheader')) out.push(fields.join(', '));
  for (const line of lines.slice(1)) {
    const cells = line.split(', ');
    out.push(
      columns
        .map((i) => {
          const v = (cells[i] || '').trim();
          return noUnits ? v.replace(/^(-?[\d.]+) (MiB|%|W|MHz|us)$/, '$1') : v;
        })
        .join(', '),
    );
  }
  return out;
}

function optionValue(name) {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

function loop(periodMs, emit) {
  const tick = () => {
    const m = mode();
    if (m === 'die' || m === 'fail') driverFailed();
    if (m === 'silent' || m === 'hang') return;
    emit();
  };
  tick();
  setInterval(tick, periodMs);
}

function pmon() {
  if (mode() === 'pmon-unsupported') {
    process.stdout.write('Not supported on the device(s)\nFailed to process command line\n');
    process.exit(255);
  }
  const text = fs.readFileSync(env.FAKE_SMI_PMON, 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const dataRows = lines.filter((l) => !l.startsWith('#')).length;
  const frames = Number(env.FAKE_SMI_PMON_FRAMES || 1);
  const perFrame = Math.max(1, Math.round(dataRows / frames));
  // Chunks of one frame's rows each; header lines travel inside the chunk they sit in,
  // which puts the Windows capture's repeated headers mid-frame, as captured.
  const chunks = [];
  let current = [];
  let rows = 0;
  for (const line of lines) {
    current.push(line);
    if (!line.startsWith('#') && ++rows % perFrame === 0) {
      chunks.push(current);
      current = [];
    }
  }
  if (current.length > 0) chunks.push(current);
  const periodMs = Number(env.FAKE_SMI_PMON_MS || 0) || Number(optionValue('-d') || 1) * 1000;
  let next = 0;
  loop(periodMs, () => {
    const chunk = chunks[next % chunks.length];
    next++;
    // One write per period, as pmon prints a period's rows in one burst.
    process.stdout.write(`${chunk.join('\n')}\n`);
  });
}

function main() {
  const m = mode();
  if (m === 'hang') return hangForever();
  if (m === 'garbage') {
    process.stdout.write('Welcome to FakeGPU Tool v0.1!\nThere is nothing here you would want to parse.\n');
    return process.exit(0);
  }
  if (m === 'fail' || m === 'die') return driverFailed();

  if (args[0] === 'pmon') return pmon();
  if (args.includes('-q') && args.includes('-x')) {
    process.stdout.write(fs.readFileSync(env.FAKE_SMI_XML, 'utf8'));
    return process.exit(0);
  }
  const format = (args.find((a) => a.startsWith('--format=')) || '--format=csv').slice('--format='.length);
  const gpuQuery = args.find((a) => a.startsWith('--query-gpu='));
  if (gpuQuery) {
    const fields = gpuQuery.slice('--query-gpu='.length).split(',');
    const lms = optionValue('-lms');
    const answer = () => answerQuery(env.FAKE_SMI_QUERY_GPU, fields, format);
    if (lms === undefined) {
      process.stdout.write(`${answer().join('\n')}\n`);
      return process.exit(0);
    }
    const first = answer();
    return loop(Number(lms), () => process.stdout.write(`${first.join('\n')}\n`));
  }
  const appsQuery = args.find((a) => a.startsWith('--query-compute-apps='));
  if (appsQuery) {
    const fields = appsQuery.slice('--query-compute-apps='.length).split(',');
    if (env.FAKE_SMI_COMPUTE_APPS) {
      const out = answerQuery(env.FAKE_SMI_COMPUTE_APPS, fields, format);
      if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
    }
    return process.exit(0);
  }
  process.stdout.write("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n");
  process.exit(2);
}

main();
