/**
 * Windows' own tools by their full path under %SystemRoot%\System32, never a PATH lookup: a
 * `taskkill.exe` or `powershell.exe` dropped earlier on PATH (the current folder comes first for
 * Windows' own search) would otherwise run with Idlewatch's rights. The same rule as the sampler's
 * PowerShell (platform/win32/index.ts).
 */
import { win32 } from 'node:path';
import type { RunOptions, RunResult } from '../../util/exec.js';

/** The tools Idlewatch runs on Windows, by the name callers use. */
export const SYSTEM_TOOLS = ['taskkill', 'reg', 'schtasks', 'powershell.exe'] as const;
export type SystemTool = (typeof SYSTEM_TOOLS)[number];

export function systemRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.SystemRoot ?? env.SYSTEMROOT ?? env.windir ?? 'C:\\Windows';
}

/** `C:\Windows\System32\taskkill.exe`, `…\WindowsPowerShell\v1.0\powershell.exe`, … */
export function systemToolPath(tool: SystemTool, env: NodeJS.ProcessEnv = process.env): string {
  const system32 = win32.join(systemRoot(env), 'System32');
  if (tool === 'powershell.exe') return win32.join(system32, 'WindowsPowerShell', 'v1.0', 'powershell.exe');
  return win32.join(system32, `${tool}.exe`);
}

export type ToolRun = (file: string, args: readonly string[], opts: RunOptions) => Promise<RunResult>;

/**
 * A runner that starts the known system tools by their full path and refuses any other bare
 * name (a caller that forgot to list a tool must not fall back to a PATH search).
 */
export function systemToolRunner(run: ToolRun, env: NodeJS.ProcessEnv = process.env): ToolRun {
  return (file, args, opts) => {
    if ((SYSTEM_TOOLS as readonly string[]).includes(file))
      return run(systemToolPath(file as SystemTool, env), args, opts);
    if (win32.isAbsolute(file)) return run(file, args, opts);
    return Promise.resolve({
      ok: false,
      stdout: '',
      stderr: '',
      code: null,
      timedOut: false,
      error: `${file} is not run by name on Windows (only by its full path)`,
    });
  };
}
