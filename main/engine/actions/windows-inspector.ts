import { systemToolPath } from '../platform/win32/system-tools.js';
import { runFile } from '../util/exec.js';
import { walkParents } from './darwin-inspector.js';
import type { LiveProcess, PollState, ProcessInspector } from './process-inspector.js';

/**
 * Windows through one PowerShell CIM query per call. UNTESTED: no Windows machine in this
 * workplace. The only value put into the script is the pid, a checked integer, so no user or
 * process text ever reaches PowerShell's parser. CreationDate is compared with a 1.5 s tolerance
 * because the engine's Windows start times have whole seconds.
 */
export class WindowsInspector implements ProcessInspector {
  readonly platform = 'win32' as const;
  readonly startToleranceMs = 1500;

  constructor(private readonly powershellPath: string = systemToolPath('powershell.exe')) {}

  async inspect(pid: number): Promise<LiveProcess | null> {
    const script =
      `$p = Get-CimInstance Win32_Process -Filter 'ProcessId=${checkedPid(pid)}'; ` +
      'if ($p) { $o = Invoke-CimMethod -InputObject $p -MethodName GetOwner -ErrorAction SilentlyContinue; ' +
      '[pscustomobject]@{ ppid = $p.ParentProcessId; name = $p.Name; exe = $p.ExecutablePath; ' +
      'cmd = $p.CommandLine; start = $p.CreationDate.ToUniversalTime().ToString("o"); ' +
      'user = $(if ($o.User) { "$($o.Domain)\\$($o.User)" } else { $null }) } | ConvertTo-Json -Compress }';
    const r = await this.powershell(script);
    const text = r.trim();
    if (!text) return null;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return null;
    }
    const startTimeMs = Date.parse(String(v.start));
    if (!Number.isFinite(startTimeMs)) return null;
    return {
      pid,
      ppid: Number(v.ppid) || 0,
      name: typeof v.name === 'string' ? v.name : '',
      exe: typeof v.exe === 'string' && v.exe ? v.exe : null,
      cmdline: typeof v.cmd === 'string' ? v.cmd : '',
      startTimeMs,
      uid: null,
      user: typeof v.user === 'string' ? v.user : null,
      status: 'running',
      kernelThread: false,
    };
  }

  /** Cheap: signal 0 opens the process and checks it has not exited (no PowerShell per poll). */
  async poll(pid: number): Promise<PollState> {
    try {
      process.kill(pid, 0);
      return 'running';
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'running';
    }
  }

  async lineage(pid: number): Promise<number[]> {
    // Windows keeps a dead parent's pid in ParentProcessId, and that pid may since have been
    // reused: the walk can then protect an unrelated process, which errs on the safe side.
    return walkParents(pid, await this.parentTable());
  }

  async parentTable(): Promise<Map<number, number>> {
    const out = await this.powershell(
      'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId)" }',
    );
    const parent = new Map<number, number>();
    for (const l of out.split('\n')) {
      const [a, b] = l.trim().split(' ');
      if (a && b) parent.set(Number(a), Number(b));
    }
    return parent;
  }

  /** PowerShell by its full System32 path, as the sampler runs it: never found through PATH. */
  private async powershell(script: string): Promise<string> {
    const r = await runFile(this.powershellPath, ['-NoProfile', '-NonInteractive', '-Command', script], {
      timeoutMs: 15_000,
    });
    return r.stdout;
  }
}

function checkedPid(pid: number): string {
  if (!Number.isInteger(pid) || pid < 0) throw new Error(`not a pid: ${pid}`);
  return String(pid);
}
