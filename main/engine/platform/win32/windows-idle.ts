import type { Availability } from '../collector.js';
import type { IdleRead, IdleSource } from '../idle.js';
import { idleRequest } from './commands.js';
import type { PsHelper } from './ps-helper.js';

/**
 * Idle time for the CLI on Windows: GetLastInputInfo (the session's last keyboard or mouse input)
 * against GetTickCount64, asked of the long-lived PowerShell helper, one line per read. It only
 * sees input of the session it runs in: started from an SSH session or as a service it measures
 * that session, not the desktop's, which is why the app uses Electron's powerMonitor instead.
 * Windows gives no lock state this way: `locked` stays undefined.
 */
export class WindowsIdleSource implements IdleSource {
  readonly id = 'idle.windows-lastinput';
  readonly label = 'Windows last input (GetLastInputInfo)';
  private retained = false;

  constructor(
    private readonly helper: PsHelper,
    private readonly supported: boolean,
  ) {}

  async available(): Promise<Availability> {
    if (!this.supported) return { ok: false, reason: 'GetLastInputInfo is a Windows API' };
    return { ok: true, detail: 'GetLastInputInfo through a long-lived PowerShell helper' };
  }

  async read(): Promise<IdleRead> {
    if (!this.supported) throw new Error('GetLastInputInfo is a Windows API');
    if (!this.retained) {
      this.retained = true;
      this.helper.retain();
    }
    const answer = await this.helper.request((id) => idleRequest(id));
    const ms = answer.idleMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new Error(`GetLastInputInfo gave no idle time (${JSON.stringify(ms)})`);
    }
    return { idleSec: Math.floor(ms / 1000) };
  }

  async close(): Promise<void> {
    if (!this.retained) return;
    this.retained = false;
    await this.helper.release();
  }
}
