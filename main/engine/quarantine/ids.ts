import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { QUARANTINE_ID, type QuarantineActor } from '../../../shared/quarantine.js';

/** `20261207T203011Z-9f3a0c21`: sorts by time, and is a valid file name on every system. */
export function newQuarantineId(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

export function isQuarantineId(id: unknown): boolean {
  return typeof id === 'string' && QUARANTINE_ID.test(id);
}

/** The user Idlewatch runs as; a name is not always known (a uid without a passwd entry). */
export function currentActor(via: QuarantineActor['via']): QuarantineActor {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'unknown';
  }
  return { user, via };
}
