import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Incident } from '../../shared/detection.js';

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A complete Incident as the detector produces it. */
export function incident(over: Partial<Incident> = {}): Incident {
  return {
    pid: 4242,
    startT: 1000,
    name: 'xmrig',
    exe: '/tmp/.x/xmrig',
    cmdline: '/tmp/.x/xmrig -o pool.example:3333',
    user: 'amy',
    severity: 'high',
    score: 0.93,
    firstAt: 61_000,
    lastAt: 180_000,
    reasons: [{ rule: 'gpu-while-idle', detail: 'GPU 95% for 120 s while idle 75 s' }],
    idleGpuSec: 114,
    idleCpuSec: 12.5,
    allowlisted: false,
    ...over,
  };
}

/** Leftover temp files of atomic writes (there must be none after a failed save). */
export function tempLeftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.tmp'));
}
