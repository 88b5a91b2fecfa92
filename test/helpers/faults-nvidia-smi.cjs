#!/usr/bin/env node
// Wraps test/fakes/fake-nvidia-smi.cjs (path in FAKE_SMI_DELEGATE) with two faults that hit
// children already running, as a failing driver does mid-stream. Copied as `nvidia-smi` by
// test/faults-collectors.test.ts; the mode is the first word of FAKE_SMI_CONTROL, read per write:
//   spew  every write becomes output nvidia-smi never prints as data: an error line, bytes that
//         are not UTF-8 (NULs included), a row whose numbers overflow a double, and a line longer
//         than the reader's cap. The child stays alive and chatty, so no watchdog fires.
//   cut   the next write stops halfway through a line and the child is SIGKILLed.
// Every other mode is the delegate's own (replay, hang, die, ...).
'use strict';

const fs = require('node:fs');

function mode() {
  try {
    return (
      fs
        .readFileSync(process.env.FAKE_SMI_CONTROL || '', 'utf8')
        .trim()
        .split(/\s+/)[0] || 'replay'
    );
  } catch {
    return 'replay';
  }
}

const SPEW = Buffer.concat([
  Buffer.from('Unable to determine the device handle for GPU0000:01:00.0: Unknown Error\n'),
  Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]),
  Buffer.from(`0, GPU-0, NVIDIA, ${'9'.repeat(400)}, 1, 2, 3, 4, 5, 6\n`),
  Buffer.from(`    0    4242     C     ${'9'.repeat(400)}     1      -      -      -      -    xmrig\n`),
  Buffer.from(`${'x'.repeat(20_000)}\n`),
]);

const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  const m = mode();
  if (m === 'spew') return write(SPEW, ...rest);
  if (m === 'cut') {
    const text = String(chunk);
    write(text.slice(0, Math.max(1, Math.floor(text.length / 2))), () => process.kill(process.pid, 'SIGKILL'));
    return true;
  }
  return write(chunk, ...rest);
};

require(process.env.FAKE_SMI_DELEGATE || '');
