/**
 * Presence on Windows, through the long-lived PowerShell helper: SHQueryUserNotificationState for
 * a fullscreen app (Direct3D fullscreen, a fullscreen window, presentation mode) and XInput's
 * packet numbers for a gamepad. One `presence` request answers both; the two sources ask within
 * the same tick, so the answer is shared for `shareMs`.
 */
import type { Availability } from '../collector.js';
import type { FullscreenRead, FullscreenSource, InputActivitySource } from '../idle.js';
import { presenceRequest } from './commands.js';
import type { PsHelper } from './ps-helper.js';

/** QUNS values (shellapi.h) that mean something has the whole screen. */
const QUNS_FULLSCREEN: ReadonlyMap<number, string> = new Map([
  [2, 'a fullscreen app (QUNS_BUSY)'],
  [3, 'a fullscreen Direct3D app (QUNS_RUNNING_D3D_FULL_SCREEN)'],
  [4, 'presentation mode (QUNS_PRESENTATION_MODE)'],
  [7, 'a fullscreen Store app (QUNS_APP)'],
]);

export interface PresenceAnswer {
  quns: number;
  fgWindow: number;
  fgPid: number;
  fgName: string | null;
  /** `i:packet;` per connected controller; `-` when XInput is missing. */
  pads: string;
}

export class WindowsPresenceReader {
  private retained = false;
  private last: { atMs: number; answer: Promise<PresenceAnswer> } | null = null;

  constructor(
    private readonly helper: PsHelper,
    readonly supported: boolean,
    private readonly now: () => number = Date.now,
    private readonly shareMs = 500,
  ) {}

  read(): Promise<PresenceAnswer> {
    if (!this.supported) return Promise.reject(new Error('presence is read through Windows APIs'));
    const t = this.now();
    if (this.last && t - this.last.atMs >= 0 && t - this.last.atMs < this.shareMs) return this.last.answer;
    if (!this.retained) {
      this.retained = true;
      this.helper.retain();
    }
    const answer = this.helper.request((id) => presenceRequest(id)).then(parseAnswer);
    this.last = { atMs: t, answer };
    answer.catch(() => {
      if (this.last?.answer === answer) this.last = null;
    });
    return answer;
  }

  async close(): Promise<void> {
    this.last = null;
    if (!this.retained) return;
    this.retained = false;
    await this.helper.release();
  }
}

export function parseAnswer(a: Record<string, unknown>): PresenceAnswer {
  const int = (k: string): number => {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`the presence answer has no ${k}`);
    return v;
  };
  const name = typeof a.fgName === 'string' ? a.fgName.replace(/\p{Cc}/gu, '').slice(0, 64) : null;
  const pads = typeof a.pads === 'string' ? a.pads.slice(0, 200) : '-';
  return { quns: int('quns'), fgWindow: int('fgWindow'), fgPid: int('fgPid'), fgName: name || null, pads };
}

export class WindowsFullscreenSource implements FullscreenSource {
  readonly id = 'fullscreen.windows';
  readonly label = 'Fullscreen app (SHQueryUserNotificationState)';

  constructor(private readonly reader: WindowsPresenceReader) {}

  async available(): Promise<Availability> {
    if (!this.reader.supported) return { ok: false, reason: 'SHQueryUserNotificationState is a Windows API' };
    try {
      const a = await this.reader.read();
      if (a.quns < 0) return { ok: false, reason: 'SHQueryUserNotificationState failed in this session' };
      return { ok: true, detail: 'SHQueryUserNotificationState through the PowerShell helper' };
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  async read(): Promise<FullscreenRead> {
    const a = await this.reader.read();
    if (a.quns < 0) throw new Error('SHQueryUserNotificationState failed');
    const window = a.fgWindow !== 0 ? `0x${a.fgWindow.toString(16)}` : null;
    if (!QUNS_FULLSCREEN.has(a.quns)) return { fullscreen: false, window, pid: null, app: null };
    return { fullscreen: true, window, pid: a.fgPid > 0 ? a.fgPid : null, app: a.fgName };
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}

/** XInput controllers: a packet number that moved since the last read is input. */
export class WindowsGamepadSource implements InputActivitySource {
  readonly id = 'input.xinput';
  readonly label = 'Gamepad input (XInput)';
  private lastPads: string | null = null;
  private lastInputMs: number | null = null;

  constructor(private readonly reader: WindowsPresenceReader) {}

  async available(): Promise<Availability> {
    if (!this.reader.supported) return { ok: false, reason: 'XInput is a Windows API' };
    try {
      const a = await this.reader.read();
      if (a.pads === '-') return { ok: false, reason: 'XInput (xinput1_4.dll) is not installed' };
      const n = a.pads.split(';').filter(Boolean).length;
      return n > 0
        ? { ok: true, detail: `${n} controller(s) through XInput` }
        : { ok: false, reason: 'no XInput controller is connected' };
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  async read(nowMs: number): Promise<number | null> {
    const a = await this.reader.read();
    if (a.pads !== '-' && this.lastPads !== null && a.pads !== this.lastPads && a.pads !== '') this.lastInputMs = nowMs;
    this.lastPads = a.pads;
    return this.lastInputMs === null ? null : Math.max(0, (nowMs - this.lastInputMs) / 1000);
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
