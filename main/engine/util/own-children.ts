import type { ChildProcess } from 'node:child_process';

/**
 * The processes this engine started itself (runFile's one-shot tools, the long-lived collectors'
 * helpers, nvidia-smi), by pid, for as long as they run. The kill and pause actions refuse them:
 * they are Idlewatch, whatever name they carry, and this list is the evidence (the engine holds
 * their handles), never a name or a path another process could copy.
 */
const running = new Map<number, ChildProcess>();

/** Registers a child the engine just spawned; it leaves the list when it exits. */
export function trackOwnChild(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  running.set(pid, child);
  const forget = (): void => {
    if (running.get(pid) === child) running.delete(pid);
  };
  // 'exit' comes first; 'close' and 'error' cover a child that failed to start or exit events lost to a crash.
  child.once('exit', forget);
  child.once('close', forget);
  child.once('error', forget);
}

/** Pids of the engine's own running children, oldest first. */
export function ownChildPids(): number[] {
  return [...running.keys()];
}
