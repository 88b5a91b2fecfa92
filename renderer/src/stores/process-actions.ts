/** Kill, pause and resume a process; each result goes to the toasts with the engine's words. */
import type { ActionTarget, ProcessAction } from '../../../shared/actions.js';
import { api } from '../api.js';
import { errorMessage } from '../lib/format.js';
import { toast } from './toasts.js';
import { openDialog } from './ui.js';

export async function runProcessAction(action: ProcessAction, target: ActionTarget): Promise<void> {
  try {
    const a = api();
    const result = await (action === 'kill' ? a.kill(target) : action === 'pause' ? a.pause(target) : a.resume(target));
    if (result.ok) toast('ok', result.detail);
    // The session depends on it (display server, sound server, …): ask again, with the engine's reason.
    else if (result.code === 'confirm' && action === 'kill')
      openDialog({ kind: 'kill-session', target, reason: result.reason });
    else toast('error', result.reason);
  } catch (e) {
    toast('error', errorMessage(e));
  }
}
