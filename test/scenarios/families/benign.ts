/**
 * Benign scenarios: legitimate software that loads the GPU or CPU while nobody is at the machine,
 * written from how that software really behaves. Games and renders left running, video playback
 * with an idle inhibitor, Steam's shader pre-caching (fossilize_replay, started when the machine
 * is idle), scheduled backups, screensavers (which start on idle and stop on input, exactly like
 * an idle miner), Windows and macOS idle maintenance, streaming with a hardware encoder, a local
 * LLM server answering requests, long builds, sync clients, and the ordinary desktop alone.
 */
import { EXCUSE_BENIGN } from './benign-excuses.js';
import { IDLE_WORK } from './benign-idle-work.js';
import { LEFT_RUNNING } from './benign-left-running.js';
import type { Family } from './common.js';

export const BENIGN_FAMILIES: Family[] = [...LEFT_RUNNING, ...IDLE_WORK, ...EXCUSE_BENIGN];
