import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_STEPS, type ScanFinding, type ScanReport } from '../shared/scan.js';
import { killProcess } from '../main/engine/actions/process-actions.js';
import { Allowlist } from '../main/engine/allowlist/allowlist.js';
import { HashCache } from '../main/engine/allowlist/file-hash.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { killAndWait, waitFor } from './helpers/processes.js';

const linux = process.platform === 'linux';
/** Pool ports from the signature list; the first free one is used. */
const POOL_PORTS = [3333, 4444, 5555, 7777, 14444, 45700];

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(false);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

function forPid(r: ScanReport, pid: number): ScanFinding[] {
  return r.findings.filter((f) => f.process?.pid === pid);
}

describe.skipIf(!linux)('deep scan: live processes', () => {
  // The executables must sit in a real temporary folder (/tmp), whatever TMPDIR says.
  const dir = mkdtempSync('/tmp/iw-scan-');
  const dataDir = mkdtempSync(join(tmpdir(), 'iw-scan-data-'));
  const children: ChildProcess[] = [];
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  let port = 0;

  beforeAll(async () => {
    for (const p of POOL_PORTS) {
      if (await listen(server, p)) {
        port = p;
        break;
      }
    }
    if (port === 0) throw new Error(`none of the pool ports ${POOL_PORTS.join(', ')} is free on 127.0.0.1`);
  });

  afterAll(async () => {
    for (const c of children) await killAndWait(c);
    for (const s of accepted) s.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports a temp-folder executable with a stratum URL and a pool-port connection, with its parent chain and hash', async () => {
    const helper = join(dir, 'helper');
    copyFileSync('/bin/bash', helper);
    chmodSync(helper, 0o755);
    // bash stays the process (the read builtin blocks on the socket), so its own exe and arguments are what the scan sees.
    const script = `exec 3<>/dev/tcp/127.0.0.1/${port}; read -t 60 -u 3 line`;
    const before = accepted.length;
    const child = spawn(helper, ['-c', script, 'xmr', '-o', `stratum+tcp://127.0.0.1:${port}`, '--donate-level', '1'], {
      argv0: 'xmr',
      stdio: 'ignore',
    });
    children.push(child);
    const pid = child.pid as number;
    await waitFor(() => accepted.length > before, 10_000, 'the test process to connect');

    const progress: string[] = [];
    const report = await runDeepScan({
      dataDir,
      hiddenProbe: false,
      onProgress: (p) => progress.push(`${p.step}:${p.phase}`),
    });
    const mine = forPid(report, pid);
    const rules = mine.map((f) => f.rule).sort();
    expect(rules).toEqual(
      expect.arrayContaining(['miner-signature', 'pool-port-connection', 'temp-folder-executable']),
    );

    const temp = mine.find((f) => f.rule === 'temp-folder-executable');
    expect(temp?.title).toContain(helper);
    const sig = mine.find((f) => f.rule === 'miner-signature');
    expect(sig?.severity).toBe('high');
    expect(sig?.title).toMatch(/stratum/);
    const pool = mine.find((f) => f.rule === 'pool-port-connection');
    expect(pool?.evidence[0]).toBe(`connection to 127.0.0.1:${port} (tcp, ESTABLISHED)`);
    // Three independent signs on one process: each is raised and names the others.
    expect(pool?.severity).toBe('high');
    expect(pool?.evidence.some((e) => e.includes('a miner signature'))).toBe(true);

    const ref = sig?.process;
    expect(ref).toMatchObject({ pid, name: 'helper', exe: helper, user: userInfo().username });
    expect(ref?.cmdline).toContain(`stratum+tcp://127.0.0.1:${port}`);
    expect(ref?.chain[0]).toMatchObject({ pid: process.pid });
    expect(ref?.chain.at(-1)?.pid).toBe(1);
    const sha = createHash('sha256').update(readFileSync('/bin/bash')).digest('hex');
    expect(ref?.sha256).toBe(sha);
    expect(sig?.actions[0]).toEqual({ kind: 'kill', pid, startTimeMs: ref?.startTimeMs, exe: helper });
    expect(sig?.actions[1]).toEqual({ kind: 'allowlist', exe: helper, sha256: sha });
    expect(sig?.allowlisted).toBe(false);

    expect(report.connections).toContainEqual(
      expect.objectContaining({
        pid,
        proto: 'tcp',
        remote: `127.0.0.1:${port}`,
        remotePort: port,
        state: 'ESTABLISHED',
      }),
    );
    expect(report.processes.find((p) => p.pid === pid)).toMatchObject({
      exe: helper,
      sha256: sha,
      kernelThread: false,
    });
    // Every step started and finished, in order.
    expect(progress.filter((p) => p.endsWith(':start')).map((p) => p.split(':')[0])).toEqual(
      SCAN_STEPS.map((st) => st.id),
    );
    expect(SCAN_STEPS.slice(0, 3).map((st) => st.id)).toEqual(['processes', 'signatures', 'network']);
    expect(SCAN_STEPS.at(-1)?.id).toBe('hashes');
    expect(report.steps.find((s) => s.id === 'hidden')?.status).toBe('unavailable');

    // Allowlisted by path and hash: the same findings are now marked, not dropped.
    const allowlist = await Allowlist.load(dataDir);
    await allowlist.add({ exe: helper, pinHash: true, reason: 'test' });
    const again = await runDeepScan({
      dataDir,
      allowlist,
      hiddenProbe: false,
      steps: ['processes', 'signatures', 'network', 'hashes'],
    });
    const marked = forPid(again, pid);
    expect(marked.length).toBeGreaterThanOrEqual(3);
    expect(marked.every((f) => f.allowlisted)).toBe(true);
    expect(again.summary.allowlisted).toBeGreaterThanOrEqual(3);
    expect(again.steps.find((s) => s.id === 'persistence')?.status).toBe('skipped');
  });

  it('reports a process whose executable was deleted after it started, hashes the running image, and its kill action works', async () => {
    const gone = join(dir, 'gone');
    copyFileSync('/bin/sleep', gone);
    chmodSync(gone, 0o755);
    const child = spawn(gone, ['30'], { stdio: 'ignore' });
    children.push(child);
    const pid = child.pid as number;
    await waitFor(
      () => {
        try {
          return readlinkSync(`/proc/${pid}/exe`) === gone;
        } catch {
          return false;
        }
      },
      5000,
      'the copied sleep to start',
    );
    unlinkSync(gone);
    expect(existsSync(gone)).toBe(false);

    const cache = new HashCache();
    const report = await runDeepScan({ dataDir, hashCache: cache, hiddenProbe: { budgetMs: 5000 } });
    const deleted = forPid(report, pid).find((f) => f.rule === 'deleted-executable');
    expect(deleted?.title).toBe(`Its program file was deleted after it started: ${gone} (deleted)`);
    expect(deleted?.process?.sha256).toBe(createHash('sha256').update(readFileSync('/bin/sleep')).digest('hex'));
    // A deleted file cannot be pinned, so no allowlist action is offered.
    expect(deleted?.actions.map((a) => a.kind)).toEqual(['kill']);
    expect(report.hidden).toMatchObject({ pids: [] });

    const kill = deleted?.actions[0];
    if (kill?.kind !== 'kill') throw new Error('expected a kill action');
    const result = await killProcess(
      { pid: kill.pid, startTimeMs: kill.startTimeMs, exe: kill.exe },
      { graceMs: 2000 },
    );
    expect(result).toMatchObject({ ok: true, action: 'kill', pid });
  });
});
