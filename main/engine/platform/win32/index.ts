import { idleSourceList, type PlatformCollectors } from '../bundle.js';
import { win32 } from 'node:path';
import { helperArgs, samplerArgs } from './commands.js';
import { CounterStream } from './counter-stream.js';
import { PsHelper } from './ps-helper.js';
import { WindowsCpuCollector, WindowsGpuCollector } from './windows-cpu-gpu.js';
import { WindowsIdleSource } from './windows-idle.js';
import { WindowsFullscreenSource, WindowsGamepadSource, WindowsPresenceReader } from './windows-presence.js';
import { WindowsProcsCollector } from './windows-procs.js';

export interface WindowsCollectorOptions {
  /** Sampling period in ms; Get-Counter takes whole seconds (at least 1). Default 2000. */
  intervalMs?: number;
  /** powershell.exe to run. Default `%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe`, never a PATH lookup. */
  powershellPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Whether this is Windows. Default `process.platform === 'win32'`; tests set true to drive fakes. */
  supported?: boolean;
  /** Our pid, which the sampler watches to exit with us. Default process.pid. */
  parentPid?: number;
  backoffMs?: { initial: number; max: number };
  /** Helper request limit. Default 20 000. */
  requestTimeoutMs?: number;
  /** Extra time for the helper's first answer (PowerShell start, Add-Type). Default 30 000. */
  helperStartTimeoutMs?: number;
  /** A sample older than this is not used. Default 3 periods + 5 s. */
  staleAfterMs?: number;
  /** A sampler silent this long is killed and restarted. Default max(30 s, 6 periods). */
  silenceTimeoutMs?: number;
  now?: () => number;
}

/** Where Windows keeps its own PowerShell 5.1: a full path, so nothing earlier on PATH is run. */
export function defaultPowershellPath(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.SystemRoot ?? env.SYSTEMROOT ?? env.windir ?? 'C:\\Windows';
  return win32.join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

/**
 * The Windows collectors. Two long-lived PowerShells serve all of them: the counter sampler
 * (processes, system CPU, GPU engines and memory, one JSON line per period) and the helper
 * (process identities in batches, idle time on request). Neither starts before a collector does.
 */
export function createWindowsCollectors(opts: WindowsCollectorOptions = {}): PlatformCollectors {
  const supported = opts.supported ?? process.platform === 'win32';
  const env = opts.env ?? process.env;
  const file = opts.powershellPath ?? defaultPowershellPath(env);
  const periodSec = Math.max(1, Math.round((opts.intervalMs ?? 2000) / 1000));
  const now = opts.now ?? Date.now;
  const stream = new CounterStream({
    file,
    args: samplerArgs(periodSec, opts.parentPid ?? process.pid),
    periodMs: periodSec * 1000,
    env,
    ...(opts.backoffMs ? { backoffMs: opts.backoffMs } : {}),
    ...(opts.staleAfterMs ? { staleAfterMs: opts.staleAfterMs } : {}),
    ...(opts.silenceTimeoutMs ? { silenceTimeoutMs: opts.silenceTimeoutMs } : {}),
    now,
  });
  const helper = new PsHelper({
    file,
    args: helperArgs(),
    env,
    label: 'PowerShell helper',
    ...(opts.backoffMs ? { backoffMs: opts.backoffMs } : {}),
    ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.helperStartTimeoutMs ? { startTimeoutMs: opts.helperStartTimeoutMs } : {}),
    now,
  });
  const presence = new WindowsPresenceReader(helper, supported, now);
  return {
    procs: new WindowsProcsCollector({ stream, helper, supported }),
    cpu: new WindowsCpuCollector(stream, supported),
    gpus: [new WindowsGpuCollector(stream, supported)],
    idleSources: idleSourceList([new WindowsIdleSource(helper, supported)], null),
    inhibitors: null,
    conns: null,
    fullscreen: new WindowsFullscreenSource(presence),
    gamepad: new WindowsGamepadSource(presence),
  };
}
