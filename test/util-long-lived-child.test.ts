import { afterEach, describe, expect, it } from 'vitest';
import { type ChildState, LineSplitter, LongLivedChild } from '../main/engine/util/long-lived-child.js';

// The generic child helper (main/engine/util/long-lived-child.ts), first used by the NVIDIA
// collector. The children here are small inline Node programs run without a shell.

async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const lastError = (st: ChildState): string | undefined => (st.state === 'restarting' ? st.lastError : undefined);

const node = (script: string) => ({ file: process.execPath, args: ['-e', script] });

describe('LineSplitter', () => {
  it('joins lines split across chunks, strips CR, and emits a last line without newline on end()', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 100);
    s.push('ab');
    s.push('c\r\nde');
    s.push('f\n\ng');
    s.end();
    expect(lines).toEqual(['abc', 'def', '', 'g']);
  });

  it('drops over-long lines whole (in one chunk or across many) and counts them', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 10);
    s.push(`${'x'.repeat(25)}\nok\n`);
    s.push('y'.repeat(8));
    s.push('y'.repeat(8));
    s.push('y'.repeat(100));
    s.push('tail-of-long\nfine\n');
    s.push('z'.repeat(50));
    s.end();
    expect(lines).toEqual(['ok', 'fine']);
    expect(s.dropped).toBe(3);
  });

  it('keeps a multi-byte character split between two chunks intact', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 100);
    const bytes = Buffer.from('Grafikkarte größer\n', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1;
    s.push(bytes.subarray(0, cut));
    s.push(bytes.subarray(cut));
    expect(lines).toEqual(['Grafikkarte größer']);
  });
});

describe('LongLivedChild', () => {
  const children: LongLivedChild[] = [];
  const make = (opts: ConstructorParameters<typeof LongLivedChild>[0]) => {
    const c = new LongLivedChild(opts);
    children.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop()));
  });

  it('passes stdout lines and reports running with a pid; stop() kills the child and stays stopped', async () => {
    const lines: string[] = [];
    const c = make({
      ...node('console.log("hello"); setInterval(() => console.log("tick"), 20);'),
      onLine: (l) => lines.push(l),
    });
    expect(c.state()).toEqual({ state: 'idle' });
    c.start();
    await waitFor(() => lines.includes('tick'), 5000, 'tick');
    const st = c.state();
    expect(st.state).toBe('running');
    const pid = st.state === 'running' ? st.pid : undefined;
    expect(pid).toBeTypeOf('number');
    expect(lines[0]).toBe('hello');
    await c.stop();
    expect(c.state().state).toBe('stopped');
    expect(isAlive(pid as number)).toBe(false);
    const starts = c.starts;
    await new Promise((r) => setTimeout(r, 150));
    expect(c.starts).toBe(starts);
  });

  it('restarts a dying child with doubling backoff, keeping the last error', async () => {
    const startedAt: number[] = [];
    const c = make({
      ...node('console.log("up"); console.error("boom: device lost"); process.exit(3);'),
      label: 'fake-tool',
      initialBackoffMs: 40,
      maxBackoffMs: 160,
      onLine: (l) => {
        if (l === 'up') startedAt.push(Date.now());
      },
    });
    c.start();
    await waitFor(() => startedAt.length >= 5, 8000, 'five starts');
    await waitFor(() => c.state().state === 'restarting', 3000, 'restarting');
    expect(lastError(c.state())).toBe('fake-tool exited with code 3: boom: device lost');
    const gaps = startedAt.slice(1).map((t, i) => t - (startedAt[i] as number));
    // Waits of 40, 80, 160, 160 ms (capped) plus process start time.
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[2]).toBeGreaterThanOrEqual(150);
    expect(gaps[3]).toBeGreaterThanOrEqual(150);
    expect(Math.max(...gaps)).toBeLessThan(2000);
  });

  it('resets the backoff after a healthy run', async () => {
    const waits: number[] = [];
    const c = make({
      ...node('setTimeout(() => process.exit(1), 120);'),
      initialBackoffMs: 30,
      maxBackoffMs: 10_000,
      healthyAfterMs: 100,
      onLine: () => {},
      onExit: () => {
        queueMicrotask(() => {
          const st = c.state();
          if (st.state === 'restarting') waits.push(st.retryAtMs - Date.now());
        });
      },
    });
    c.start();
    await waitFor(() => waits.length >= 3, 8000, 'three exits');
    // Every run lasted longer than healthyAfterMs: the wait never doubles.
    for (const w of waits) expect(w).toBeLessThanOrEqual(30);
  });

  it('reports a program that cannot start, and keeps trying', async () => {
    const c = make({
      file: '/nonexistent/idlewatch-no-such-tool',
      args: [],
      initialBackoffMs: 20,
      onLine: () => {},
    });
    c.start();
    await waitFor(() => c.starts >= 2 && c.state().state === 'restarting', 3000, 'a retry');
    expect(lastError(c.state())).toBe('idlewatch-no-such-tool could not start: program not found');
  });

  it('kills and restarts a child that stops printing (silence watchdog)', async () => {
    const c = make({
      ...node('console.log("one line then nothing"); setInterval(() => {}, 1000);'),
      label: 'quiet-tool',
      silenceTimeoutMs: 150,
      initialBackoffMs: 5000,
      onLine: () => {},
    });
    c.start();
    await waitFor(() => c.state().state === 'restarting', 3000, 'watchdog');
    expect(lastError(c.state())).toMatch(/^quiet-tool printed nothing for 0\.\d s$/);
  });

  it('bounds memory: an endless line is dropped and counted, a throwing callback is survived', async () => {
    const lines: string[] = [];
    const c = make({
      ...node('process.stdout.write("x".repeat(200000)); process.stdout.write("\\nafter\\nlast\\n");'),
      maxLineLength: 1024,
      initialBackoffMs: 60_000,
      onLine: (l) => {
        lines.push(l);
        if (l === 'after') throw new Error('callback bug');
      },
    });
    c.start();
    await waitFor(() => c.state().state === 'restarting', 5000, 'exit');
    expect(lines).toEqual(['after', 'last']);
    expect(c.droppedLines).toBe(1);
  });

  it('runs without a shell: metacharacters reach the program verbatim', async () => {
    const lines: string[] = [];
    const c = make({
      file: process.execPath,
      args: ['-e', 'console.log(process.argv[1])', '$(echo pwned); `id` | cat > /tmp/x'],
      initialBackoffMs: 60_000,
      onLine: (l) => lines.push(l),
    });
    c.start();
    await waitFor(() => lines.length > 0, 5000, 'output');
    expect(lines[0]).toBe('$(echo pwned); `id` | cat > /tmp/x');
  });
});
