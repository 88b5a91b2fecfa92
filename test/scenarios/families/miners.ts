/**
 * Miner scenarios, written from what crypto-jacking software does on real machines: GPU miners
 * (T-Rex, lolMiner, GMiner builds) and xmrig-based CPU miners that wait for the user to go idle
 * (xmrig's own pause-on-active, wrapper scripts polling xprintidle, Task Scheduler "on idle"
 * triggers), pause within a second or two of input, throttle to stay unnoticed, hide in temp and
 * dot-folders, take system names (kswapd0, kdevtmpfsi, svchost.exe in AppData), run from deleted
 * or memfd executables, or run inside a browser tab.
 */
import type { Family } from './common.js';
import { ADVERSARIAL_MINERS } from './miners-adversarial.js';
import { DISGUISED_MINERS } from './miners-disguise.js';
import { EXCUSE_MINERS } from './miners-excuses.js';
import { TIMING_MINERS } from './miners-timing.js';

export const MINER_FAMILIES: Family[] = [
  ...TIMING_MINERS,
  ...DISGUISED_MINERS,
  ...EXCUSE_MINERS,
  ...ADVERSARIAL_MINERS,
];
