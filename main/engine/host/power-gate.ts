import type { PowerEvent } from './protocol.js';

/** What the power events drive: the engine's sampling and the pushed idle source's lock flag. */
export interface PowerTarget {
  suspend(): void;
  resume(): void;
  setScreenLocked?(locked: boolean): void;
}

/**
 * Turns the OS's power events into at most one suspend() per sleep and one resume() per wake.
 * Operating systems repeat and reorder these (a resume with no suspend after a fast wake on
 * Windows, two suspends from lid close and the sleep timer): a resume without a suspend does
 * nothing, and a second suspend is ignored until the next resume.
 */
export class PowerGate {
  private suspended = false;
  private locked = false;

  constructor(private readonly target: PowerTarget) {}

  get isSuspended(): boolean {
    return this.suspended;
  }

  get isLocked(): boolean {
    return this.locked;
  }

  /** Applies one event; returns whether it changed anything. */
  handle(event: PowerEvent): boolean {
    switch (event) {
      case 'suspend':
        if (this.suspended) return false;
        this.suspended = true;
        this.target.suspend();
        return true;
      case 'resume':
        if (!this.suspended) return false;
        this.suspended = false;
        this.target.resume();
        return true;
      case 'lock-screen':
      case 'unlock-screen': {
        const locked = event === 'lock-screen';
        if (this.locked === locked) return false;
        this.locked = locked;
        this.target.setScreenLocked?.(locked);
        return true;
      }
    }
  }
}
