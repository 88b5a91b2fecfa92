/**
 * The scan's GPU inventory through node-nvidia-smi, against a fake `nvidia-smi` placed first on
 * PATH (test/fakes/fake-nvidia-smi-xml.cjs): real captured XML from test/fixtures/captured (cross-
 * checked against our own reader), a tool that hangs (the timeout is honoured, the scan goes on),
 * one that prints garbage, one that warns on stderr (the built-in reader takes over), and what
 * xml2js 0.6.2 does with a prototype-pollution attempt.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseNvidiaSmiXml } from '../main/engine/platform/nvidia/xml-parse.js';
import { gpuInventory } from '../main/engine/scan/gpu-inventory.js';
import {
  callNodeNvidiaSmi,
  type NodeNvidiaSmiCall,
  nodeNvidiaSmiSource,
  smiLogFromXml2js,
} from '../main/engine/scan/nvidia-smi-node.js';
import { captured, REPO_ROOT } from './captured.js';

const posix = process.platform !== 'win32';
const FAKE = join(REPO_ROOT, 'test', 'fakes', 'fake-nvidia-smi-xml.cjs');
const XML_DIR = captured('nvidia-smi', 'xml');

// The xml2js node-nvidia-smi itself loads (resolved from its folder, as Node does for it).
const requireFromPkg = createRequire(require_resolve('node-nvidia-smi/package.json'));
function require_resolve(id: string): string {
  return createRequire(import.meta.url).resolve(id);
}
const xml2js = requireFromPkg('xml2js') as {
  parseString(xml: string, opts: object, cb: (err: Error | null, data: unknown) => void): void;
};
const xml2jsVersion = (requireFromPkg('xml2js/package.json') as { version: string }).version;

function parseLikeThePackage(xml: string): Promise<unknown> {
  return new Promise((resolve, reject) =>
    xml2js.parseString(xml, { explicitArray: false, trim: true }, (err, data) => (err ? reject(err) : resolve(data))),
  );
}

let dir = '';
let pidFile = '';
const savedEnv: Record<string, string | undefined> = {};
const ENV_KEYS = ['PATH', 'FAKE_SMI_MODE', 'FAKE_SMI_XML', 'FAKE_SMI_TEXT', 'FAKE_SMI_PIDFILE'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iw-nvsmi-node-'));
  copyFileSync(FAKE, join(dir, 'nvidia-smi'));
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  pidFile = join(dir, 'pids');
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  // node-nvidia-smi runs `nvidia-smi -q -x` through a shell with OUR environment: the fake must be
  // first on this process's PATH (node next to it, for the fake's `#!/usr/bin/env node`).
  process.env.PATH = [dir, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);
  process.env.FAKE_SMI_PIDFILE = pidFile;
});

/** Ends every fake that is still running (a hung one), by the pids they wrote. */
function endFakes(): void {
  let text = '';
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const pid = Number(line);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  writeFileSync(pidFile, '');
}

afterEach(() => {
  endFakes();
  delete process.env.FAKE_SMI_MODE;
  delete process.env.FAKE_SMI_XML;
  delete process.env.FAKE_SMI_TEXT;
});

afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  rmSync(dir, { recursive: true, force: true });
});

const noSys = () => join(dir, 'no-sys');

/** The pids the fakes wrote (each run, and each helper they started). */
function fakePids(): number[] {
  return readFileSync(pidFile, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

/** A process reparented to init is reaped by it a moment after it dies. */
async function waitGone(pids: number[], ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && pids.some((p) => existsSync(`/proc/${p}`))) await new Promise((r) => setTimeout(r, 50));
}

describe.skipIf(!posix)('GPU inventory through node-nvidia-smi (fake nvidia-smi on PATH)', () => {
  it('(a) a real Tesla T4 capture: devices, driver and processes, read by node-nvidia-smi', async () => {
    process.env.FAKE_SMI_XML = captured('nvidia-smi', 'xml', 'telegraf-tesla-t4.xml');
    const inv = await gpuInventory({ platform: 'linux', sysRoot: noSys(), timeoutMs: 10_000 });
    expect(inv.driverVersion).toBe('515.105.01');
    expect(inv.devices).toEqual([
      {
        source: 'nvidia-smi',
        id: '00000000:00:1E.0',
        name: 'Tesla T4',
        vendor: 'nvidia',
        driver: 'nvidia 515.105.01',
        memoryMiB: 15360,
        memoryUsedMiB: 1032,
        util: expect.any(Number),
      },
    ]);
    expect(inv.processes.map((p) => [p.pid, p.name, p.source])).toEqual([
      [675, '/usr/lib/xorg/Xorg', 'nvidia-smi'],
      [5762, 'python', 'nvidia-smi'],
    ]);
    // Read by the package, not by the fallback (which would say so).
    expect(inv.tools[0]).toEqual({ tool: 'nvidia-smi', ok: true, detail: '1 GPU, driver 515.105.01' });
    expect(readFileSync(pidFile, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('every captured XML: the package and our own reader agree field by field', async () => {
    const files = readdirSync(XML_DIR).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const source = nodeNvidiaSmiSource();
    for (const f of files) {
      process.env.FAKE_SMI_XML = join(XML_DIR, f);
      const r = await source(10_000);
      expect(r.ok, `${f}: ${r.ok ? '' : r.reason}`).toBe(true);
      if (!r.ok) continue;
      expect(r.via).toBe('node-nvidia-smi');
      expect(r.log, f).toEqual(parseNvidiaSmiXml(readFileSync(join(XML_DIR, f), 'utf8')));
    }
  });

  it('(b) a hung nvidia-smi: the timeout is honoured, the tool is stopped, the scan goes on, the reason is stated', async () => {
    process.env.FAKE_SMI_MODE = 'hang';
    const t0 = Date.now();
    const inv = await gpuInventory({ platform: 'linux', sysRoot: noSys(), timeoutMs: 1500 });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(5000);
    expect(inv.devices).toEqual([]);
    expect(inv.tools[0]).toEqual({
      tool: 'nvidia-smi',
      ok: false,
      detail: 'nvidia-smi -q -x did not answer within 1500 ms and was stopped; the scan went on without it',
    });
    // The rest of the inventory still ran.
    expect(inv.tools[1]).toMatchObject({ tool: 'DRM (sysfs)', ok: false });
    // A hang is not retried with the built-in runner: exactly one nvidia-smi was started.
    const pids = fakePids();
    expect(pids).toHaveLength(1);
    // node-nvidia-smi's child would have outlived the timeout; this one is gone from /proc.
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `pid ${pid} still in /proc`).toBe(false);
  });

  it('a hung nvidia-smi that started a helper of its own: both are gone after the timeout', async () => {
    process.env.FAKE_SMI_MODE = 'hang-child';
    const r = await nodeNvidiaSmiSource()(1500);
    expect(r).toMatchObject({ ok: false, timedOut: true });
    const pids = fakePids();
    expect(pids).toHaveLength(2);
    // The helper was reparented when the tool died; it is killed with the tool's process group.
    await waitGone(pids, 3000);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `pid ${pid} still in /proc`).toBe(false);
  });

  it('why the call is not left to the package: its own function leaves a hung nvidia-smi running past the timeout', async () => {
    process.env.FAKE_SMI_MODE = 'hang';
    const pkg = createRequire(import.meta.url)('node-nvidia-smi') as NodeNvidiaSmiCall;
    const r = await nodeNvidiaSmiSource({ call: pkg })(800);
    expect(r).toMatchObject({ ok: false, timedOut: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pids = fakePids();
    expect(pids).toHaveLength(1);
    // Still there: the package took no timeout and gave no handle to kill it by (afterEach ends it).
    expect(existsSync(`/proc/${pids[0]}`)).toBe(true);
  });

  it('(c) garbage on stdout: both readers refuse it and the reason names both', async () => {
    process.env.FAKE_SMI_MODE = 'garbage';
    const inv = await gpuInventory({ platform: 'win32', timeoutMs: 10_000 });
    expect(inv.devices).toEqual([]);
    expect(inv.tools[0]?.ok).toBe(false);
    expect(inv.tools[0]?.detail).toMatch(
      /^its output could not be read \(node-nvidia-smi: Non-whitespace before first tag\.; built-in parser: text outside the root element at character 0\)$/,
    );
  });

  it('a document that is XML but not nvidia-smi: refused with the root element named', async () => {
    process.env.FAKE_SMI_MODE = 'text';
    process.env.FAKE_SMI_TEXT = '<html><body>hello</body></html>';
    const r = await nodeNvidiaSmiSource()(10_000);
    expect(r).toEqual({ ok: false, reason: 'node-nvidia-smi: root element is <html>, not <nvidia_smi_log>' });
  });

  it('a warning on stderr (which node-nvidia-smi treats as failure): the built-in reader takes over and says why', async () => {
    process.env.FAKE_SMI_MODE = 'stderr-warning';
    process.env.FAKE_SMI_XML = captured('nvidia-smi', 'xml', 'telegraf-tesla-t4.xml');
    const inv = await gpuInventory({ platform: 'linux', sysRoot: noSys(), timeoutMs: 10_000 });
    expect(inv.devices.map((d) => d.name)).toEqual(['Tesla T4']);
    expect(inv.tools[0]).toEqual({
      tool: 'nvidia-smi',
      ok: true,
      detail:
        '1 GPU, driver 515.105.01 (read by the built-in parser: node-nvidia-smi could not read it (it printed on stderr: WARNING: infoROM is corrupted at gpu 0000:00:1E.0))',
    });
  });

  it('nvidia-smi not on PATH: the same sentence as before, and the package is not called', async () => {
    let called = false;
    const r = await nodeNvidiaSmiSource({
      path: join(dir, 'empty'),
      call: () => {
        called = true;
      },
    })(1000);
    expect(r).toEqual({ ok: false, reason: 'nvidia-smi not found on PATH (no NVIDIA driver tools installed)' });
    expect(called).toBe(false);
  });

  it('the hard timeout wins over a callback that never comes, and a late callback changes nothing', async () => {
    let late: ((err: Error | string | null, data?: unknown) => void) | null = null;
    const r = await callNodeNvidiaSmi(50, (cb) => {
      late = cb;
    });
    expect(r).toEqual({ kind: 'timeout' });
    (late as ((err: null, data: unknown) => void) | null)?.(null, {});
  });
});

describe('xml2js (as node-nvidia-smi uses it) and prototype pollution', () => {
  it('is the overridden 0.6.2', () => {
    expect(xml2jsVersion).toBe('0.6.2');
  });

  it('a <__proto__> element pollutes nothing, and our converter never reads it', async () => {
    const evil = `<?xml version="1.0" ?>
<nvidia_smi_log>
  <__proto__><polluted>yes</polluted><gpu id="x"><product_name>Evil</product_name></gpu></__proto__>
  <driver_version>550.54.14</driver_version>
  <gpu id="00000000:01:00.0">
    <__proto__><isAdmin>true</isAdmin></__proto__>
    <constructor><prototype><polluted2>yes</polluted2></prototype></constructor>
    <product_name>NVIDIA GeForce RTX 3080</product_name>
    <fb_memory_usage><total>10240 MiB</total><used>2048 MiB</used></fb_memory_usage>
    <processes><process_info><pid>4242</pid><type>C</type><process_name>/tmp/.x/miner</process_name><used_memory>1900 MiB</used_memory></process_info></processes>
  </gpu>
</nvidia_smi_log>`;
    const data = await parseLikeThePackage(evil);
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.isAdmin).toBeUndefined();
    expect(probe.polluted2).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    // 0.6.2 keeps `__proto__` as an ordinary own key of the result (defineProperty), not as a prototype.
    const root = (data as Record<string, Record<string, unknown>>).nvidia_smi_log;
    expect(root && Object.hasOwn(root, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(root)).toBe(Object.prototype);
    const log = smiLogFromXml2js(data);
    expect(log.gpus.map((g) => [g.busId, g.name])).toEqual([['00000000:01:00.0', 'NVIDIA GeForce RTX 3080']]);
    expect(log.gpus[0]?.processes.map((p) => p.pid)).toEqual([4242]);
    expect(log.driverVersion).toBe('550.54.14');
    // Our own reader gives the same answer for the same document.
    expect(parseNvidiaSmiXml(evil).gpus.map((g) => [g.busId, g.name])).toEqual(log.gpus.map((g) => [g.busId, g.name]));
  });

  it.skipIf(!posix)(
    'the same document through the real package and a fake nvidia-smi: inventory fine, nothing polluted',
    async () => {
      process.env.FAKE_SMI_MODE = 'text';
      process.env.FAKE_SMI_TEXT =
        '<nvidia_smi_log><__proto__><polluted>yes</polluted></__proto__><driver_version>1.2</driver_version>' +
        '<gpu id="a"><product_name>G</product_name></gpu></nvidia_smi_log>';
      const inv = await gpuInventory({ platform: 'linux', sysRoot: noSys(), timeoutMs: 10_000 });
      expect(inv.devices.map((d) => d.name)).toEqual(['G']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );
});
