/**
 * Real X servers (Xvfb) for the X11 idle tests. Each picks its own free display number with
 * -displayfd, so nothing races another X server on the machine, and can be restarted on the
 * same number to test reconnection.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface XvfbOptions {
  /** -auth FILE: the server then accepts only connections presenting a cookie listed in FILE. */
  authFile?: string;
}

export class Xvfb {
  private constructor(
    private child: ChildProcess,
    readonly number: number,
    private readonly opts: XvfbOptions,
  ) {}

  get display(): string {
    return `:${this.number}`;
  }

  static async start(opts: XvfbOptions = {}): Promise<Xvfb> {
    const { child, number } = await launch(null, opts);
    return new Xvfb(child, number, opts);
  }

  /** Stops the server (its clients' connections drop), runs `whileDown`, starts it again on the same number. */
  async restart(whileDown?: () => Promise<void>): Promise<void> {
    await this.stop();
    await whileDown?.();
    this.child = (await launch(this.number, this.opts)).child;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * -displayfd: Xvfb writes its display number on fd 3 once it accepts clients. -noreset: with no
 * window manager connected the server resets whenever its last client leaves, which would zero
 * the idle counter after every xprintidle run.
 */
async function launch(number: number | null, opts: XvfbOptions): Promise<{ child: ChildProcess; number: number }> {
  const args = [
    ...(number === null ? [] : [`:${number}`]),
    '-displayfd',
    '3',
    '-screen',
    '0',
    '320x240x24',
    '-nolisten',
    'tcp',
    '-noreset',
    ...(opts.authFile ? ['-auth', opts.authFile] : []),
  ];
  const child = spawn('Xvfb', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const got = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start within 10 s: ${err}`)), 10_000);
    child.stdio[3]?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(Number(out.trim()));
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${err}`));
    });
  });
  return { child, number: got };
}
