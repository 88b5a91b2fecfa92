import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blockDomainsOff,
  blockDomainsOn,
  type HostsBlockOptions,
  hostsBlockStatus,
} from '../main/engine/hosts/block-domains.js';
import { loadBlockState } from '../main/engine/hosts/block-state.js';
import {
  osascriptElevator,
  pkexecElevator,
  type SelfCommand,
  shQuote,
  uacElevator,
  winQuote,
} from '../main/engine/hosts/elevation.js';
import { applyPreparedHosts } from '../main/engine/hosts/hosts-apply.js';
import { BEGIN_MARKER, END_MARKER, renderBlock, sha256Hex } from '../main/engine/hosts/hosts-block.js';
import { REPO_ROOT } from './captured.js';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const SHIPPED = join(REPO_ROOT, 'data', 'mining-domains.txt');
const base = mkdtempSync(join(tmpdir(), 'iw-hosts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
/** A fake root with etc/hosts (or the Windows path) holding `content`, and an empty data folder. */
function fixture(content: string | Buffer | null, platform: 'linux' | 'win32' = 'linux') {
  const root = join(base, `r${++n}`);
  const dataDir = join(base, `d${n}`);
  const rel = platform === 'win32' ? ['Windows', 'System32', 'drivers', 'etc'] : ['etc'];
  mkdirSync(join(root, ...rel), { recursive: true });
  const hosts = join(root, ...rel, 'hosts');
  if (content !== null) writeFileSync(hosts, content);
  const opts: HostsBlockOptions = { root, dataDir, platform, shippedFile: SHIPPED };
  return { root, dataDir, hosts, opts, read: () => readFileSync(hosts) };
}

const LF = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.5 nas.home\n';
const CRLF = '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n#      127.0.0.1       localhost\r\n';

describe('block-domains on a fake root', () => {
  it('on adds the shipped list, keeps the file as it was, and off restores it byte for byte (LF)', async () => {
    const f = fixture(LF);
    const r = await blockDomainsOn(f.opts);
    expect(r).toMatchObject({ ok: true, changed: true });
    const after = f.read().toString('latin1');
    expect(after.startsWith(LF)).toBe(true);
    expect(after).toContain('\n0.0.0.0 coinhive.com\n:: coinhive.com\n');
    expect(after).toContain('\n0.0.0.0 nanopool.org\n');
    const { state } = await loadBlockState(f.dataDir);
    expect(state?.backup).not.toBeNull();
    expect(readFileSync(state!.backup!.path).toString('latin1')).toBe(LF);
    expect(statSync(state!.backup!.path).mode & 0o777).toBe(0o600);
    expect((await hostsBlockStatus(f.opts)).state).toBe('on');

    const o = await blockDomainsOff(f.opts);
    expect(o).toMatchObject({ ok: true, changed: true });
    expect(o.message).toMatch(/exactly as it was/);
    expect(f.read().equals(Buffer.from(LF))).toBe(true);
    expect(existsSync(state!.backup!.path)).toBe(false);
    expect((await hostsBlockStatus(f.opts)).state).toBe('off');
  });

  it('keeps CRLF line ends and a missing final line end, and restores both exactly (Windows path)', async () => {
    for (const content of [CRLF, CRLF.slice(0, -2), 'only-one-line.example 10.0.0.1']) {
      const f = fixture(content, 'win32');
      expect((await blockDomainsOn(f.opts)).ok).toBe(true);
      const after = f.read().toString('latin1');
      expect(after.startsWith(content)).toBe(true);
      if (content.includes('\r\n')) expect(after.slice(content.length).replace(/\r\n/g, '')).not.toContain('\n');
      expect((await blockDomainsOff(f.opts)).ok).toBe(true);
      expect(f.read().equals(Buffer.from(content, 'latin1'))).toBe(true);
    }
  });

  it('is idempotent: a second on writes nothing', async () => {
    const f = fixture(LF);
    await blockDomainsOn(f.opts);
    const first = f.read();
    const ino = statSync(f.hosts).ino;
    const again = await blockDomainsOn(f.opts);
    expect(again).toMatchObject({ ok: true, changed: false });
    expect(f.read().equals(first)).toBe(true);
    // Not even rewritten with the same bytes.
    expect(statSync(f.hosts).ino).toBe(ino);
  });

  it('replaces a stale block from an older list, and off still puts back the file from before the first on', async () => {
    const f = fixture(LF);
    writeFileSync(join(f.dataDir, '..', `extra${n}.txt`), 'old-pool.example\n');
    await blockDomainsOn({ ...f.opts, listFile: join(f.dataDir, '..', `extra${n}.txt`) });
    expect(f.read().toString()).toContain('0.0.0.0 old-pool.example');
    const r = await blockDomainsOn(f.opts);
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(r.message).toMatch(/old block was replaced/);
    expect(f.read().toString()).not.toContain('old-pool.example');
    expect((await blockDomainsOff(f.opts)).message).toMatch(/exactly as it was/);
    expect(f.read().toString()).toBe(LF);
  });

  it('a stale block Idlewatch has no record of is reported altered, then replaced in place', async () => {
    const stale = `${LF}${renderBlock(['old-pool.example'], '\n')}192.168.1.9 after.home\n`;
    const f = fixture(stale);
    expect((await hostsBlockStatus(f.opts)).state).toBe('altered');
    expect((await blockDomainsOn(f.opts)).ok).toBe(true);
    const after = f.read().toString();
    expect(after.startsWith(LF)).toBe(true);
    expect(after.endsWith(`${END_MARKER}\n192.168.1.9 after.home\n`)).toBe(true);
    expect(after).not.toContain('old-pool.example');
    // No copy from before a block existed: off removes the block and says so.
    const o = await blockDomainsOff(f.opts);
    expect(o.message).toMatch(/no copy from before the block/);
    expect(f.read().toString()).toBe(`${LF}192.168.1.9 after.home\n`);
  });

  it('refuses a block whose end marker is missing, and changes nothing', async () => {
    const broken = `${LF}${BEGIN_MARKER}\n0.0.0.0 coinhive.com\n10.0.0.9 printer.home\n`;
    const f = fixture(broken);
    for (const r of [await blockDomainsOn(f.opts), await blockDomainsOff(f.opts)]) {
      expect(r).toMatchObject({ ok: false, code: 'invalid' });
      expect(r.message).toMatch(/started at line 4 has no end marker/);
    }
    expect(f.read().toString()).toBe(broken);
    const s = await hostsBlockStatus(f.opts);
    expect(s.state).toBe('broken');
    expect(existsSync(join(f.dataDir, 'hosts-backup'))).toBe(false);
  });

  it('refuses a read-only hosts file with a clear error and changes nothing', async () => {
    const f = fixture(LF);
    chmodSync(f.hosts, 0o444);
    const r = await blockDomainsOn(f.opts);
    expect(r).toMatchObject({ ok: false, code: 'failed' });
    expect(r.message).toMatch(/is read-only \(mode 0444\).*Nothing was changed/);
    expect(f.read().toString()).toBe(LF);
    expect(statSync(f.hosts).mode & 0o777).toBe(0o444);
    expect(
      existsSync(join(f.dataDir, 'hosts-backup')) && readdirSync(join(f.dataDir, 'hosts-backup')).length,
    ).toBeFalsy();
  });

  it('off keeps changes made outside the block since, and says where the old copy is', async () => {
    const f = fixture(LF);
    await blockDomainsOn(f.opts);
    writeFileSync(f.hosts, `# a line the user added\n${f.read().toString()}`);
    const o = await blockDomainsOff(f.opts);
    expect(o.ok).toBe(true);
    expect(o.message).toMatch(/only the block was removed and those changes are kept/);
    expect(f.read().toString()).toBe(`# a line the user added\n${LF}`);
  });

  it('status tells a block someone removed or edited', async () => {
    const f = fixture(LF);
    await blockDomainsOn(f.opts);
    const text = f.read().toString();
    writeFileSync(f.hosts, text.replace('0.0.0.0 coinhive.com\n', ''));
    const edited = await hostsBlockStatus(f.opts);
    expect(edited.state).toBe('altered');
    expect(edited.message).toMatch(/not what Idlewatch wrote/);
    writeFileSync(f.hosts, LF);
    const removed = await hostsBlockStatus(f.opts);
    expect(removed.state).toBe('removed');
    expect(removed.message).toMatch(/removed by something else/);
  });

  it("adds the user's own names and --list, and refuses a bad line there with the file and line", async () => {
    const f = fixture(LF);
    mkdirSync(f.dataDir, { recursive: true });
    writeFileSync(join(f.dataDir, 'blocked-domains.txt'), '# mine\nmy-miner.example\n');
    const list = join(base, `list${n}.txt`);
    writeFileSync(list, '0.0.0.0 other-miner.example\n');
    expect((await blockDomainsOn({ ...f.opts, listFile: list })).ok).toBe(true);
    const text = f.read().toString();
    expect(text).toContain(':: my-miner.example\n');
    expect(text).toContain(':: other-miner.example\n');
    const status = await hostsBlockStatus({ ...f.opts, listFile: list });
    expect(status).toMatchObject({ state: 'on', upToDate: true });

    writeFileSync(
      join(f.dataDir, 'blocked-domains.txt'),
      'ok.example\nevil.example\n6.6.6.6 bank.example x y\u00e9.example\n',
    );
    const before = f.read();
    const r = await blockDomainsOn(f.opts);
    expect(r).toMatchObject({ ok: false, code: 'invalid' });
    expect(r.message).toContain(`${join(f.dataDir, 'blocked-domains.txt')}:3:`);
    expect(r.message).toMatch(/xn--/);
    expect(f.read().equals(before)).toBe(true);
  });

  it('creates a hosts file where there was none, and off removes only the block (an empty file remains)', async () => {
    const f = fixture(null);
    expect((await blockDomainsOn(f.opts)).ok).toBe(true);
    expect(f.read().toString()).toContain(BEGIN_MARKER);
    expect((await blockDomainsOff(f.opts)).ok).toBe(true);
    expect(f.read().length).toBe(0);
  });
});

describe('the privileged step re-checks what it is given', () => {
  function prepared(text: string): { path: string; sha: string } {
    const path = join(base, `prep${++n}`);
    writeFileSync(path, text);
    return { path, sha: sha256Hex(Buffer.from(text)) };
  }

  it('writes a prepared block, and refuses a wrong hash, a changed outside, an extra line in the block', async () => {
    const f = fixture(LF);
    const good = prepared(`${LF}${renderBlock(['coinhive.com'], '\n')}`);
    const apply = (p: { path: string; sha: string }) =>
      applyPreparedHosts({ hostsPath: f.hosts, preparedPath: p.path, expectedSha256: p.sha });
    await expect(apply({ path: good.path, sha: 'a'.repeat(64) })).rejects.toThrow(/SHA-256 differs/);
    const outside = prepared(`6.6.6.6 bank.example\n${LF}${renderBlock(['coinhive.com'], '\n')}`);
    await expect(apply(outside)).rejects.toThrow(/differs from .* outside Idlewatch's block/);
    const extra = prepared(
      `${LF}${renderBlock(['coinhive.com'], '\n').replace(':: coinhive.com\n', ':: coinhive.com\n6.6.6.6 bank.example\n')}`,
    );
    await expect(apply(extra)).rejects.toThrow(/lines other than the ones Idlewatch writes/);
    expect(f.read().toString()).toBe(LF);
    await expect(apply(good)).resolves.toBe(true);
    expect(f.read().toString()).toBe(`${LF}${renderBlock(['coinhive.com'], '\n')}`);
  });
});

const linux = process.platform === 'linux';

describe.skipIf(!linux)('administrator rights through pkexec (a fake pkexec on the path)', () => {
  let fakes: string;
  beforeAll(() => {
    requireBuiltCli();
    fakes = join(base, 'fakes');
    mkdirSync(fakes, { recursive: true });
  });

  function fake(name: string, body: string): { path: string; log: string } {
    const path = join(fakes, `${name}-${++n}`);
    const log = `${path}.argv`;
    writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\n${body}\n`, { mode: 0o755 });
    return { path, log };
  }
  const self: SelfCommand = { program: process.execPath, args: [CLI] };

  it('runs exactly `idlewatch hosts-apply PREPARED SHA256` through pkexec, which writes the file', async () => {
    const f = fixture(LF);
    const pk = fake('pkexec', 'exec "$@"');
    const elevator = pkexecElevator(self, { pkexec: pk.path });
    const r = await blockDomainsOn({ ...f.opts, elevator });
    expect(r).toMatchObject({ ok: true, changed: true });
    const argv = readFileSync(pk.log, 'utf8').trimEnd().split('\n');
    expect(argv.slice(0, 3)).toEqual([process.execPath, CLI, 'hosts-apply']);
    expect(argv[3]).toMatch(new RegExp(`^${join(f.dataDir, 'hosts-prepared')}/hosts-`));
    expect(argv[4]).toMatch(/^[0-9a-f]{64}$/);
    expect(argv.slice(5)).toEqual(['--root', f.root]);
    expect(argv).toHaveLength(7);
    expect(f.read().toString()).toContain('0.0.0.0 coinhive.com');
    // The prepared file is gone once the step ran.
    expect(readdirSync(join(f.dataDir, 'hosts-prepared'))).toEqual([]);
    const off = await blockDomainsOff({ ...f.opts, elevator });
    expect(off.ok).toBe(true);
    expect(f.read().toString()).toBe(LF);
  });

  it('a refused prompt (126) and no agent (127) change nothing and say so', async () => {
    for (const [code, kind, words] of [
      [126, 'refused', /refused: the administrator prompt was dismissed or refused/],
      [127, 'unavailable', /cannot be asked for here: pkexec could not ask for the password/],
    ] as const) {
      const f = fixture(LF);
      const pk = fake('pkexec', `exit ${code}`);
      const r = await blockDomainsOn({ ...f.opts, elevator: pkexecElevator(self, { pkexec: pk.path }) });
      expect(r).toMatchObject({ ok: false, changed: false, code: kind });
      expect(r.message).toMatch(words);
      expect(r.message).toMatch(/nothing was changed/);
      expect(f.read().toString()).toBe(LF);
      expect((await loadBlockState(f.dataDir)).state).toBeNull();
      expect(readdirSync(join(f.dataDir, 'hosts-backup'))).toEqual([]);
    }
    const f = fixture(LF);
    const none = await blockDomainsOn({ ...f.opts, elevator: pkexecElevator(self, { pkexec: null }) });
    expect(none).toMatchObject({ ok: false, code: 'unavailable' });
    expect(none.message).toMatch(/pkexec \(polkit\) is not installed/);
    // Said before anyone asks: status tells how a change would be written, and that it cannot be.
    expect((await hostsBlockStatus({ ...f.opts, elevator: pkexecElevator(self, { pkexec: null }) })).writer).toEqual({
      ok: false,
      how: 'cannot ask for administrator rights: pkexec (polkit) is not installed',
    });
    const pk = fake('pkexec', 'exit 0');
    expect((await hostsBlockStatus({ ...f.opts, elevator: pkexecElevator(self, { pkexec: pk.path }) })).writer).toEqual(
      {
        ok: true,
        how: 'asks for administrator rights through pkexec',
      },
    );
    expect((await hostsBlockStatus(f.opts)).writer).toEqual({ ok: true, how: 'writes the test root directly' });
  });

  it('a privileged step that refuses the file passes its reason on', async () => {
    const f = fixture(LF);
    // This pkexec swaps the prepared file for another after the hash was taken: hosts-apply must refuse.
    const pk = fake('pkexec', `printf 'evil' > "$4"\nexec "$@"`);
    const r = await blockDomainsOn({ ...f.opts, elevator: pkexecElevator(self, { pkexec: pk.path }) });
    expect(r).toMatchObject({ ok: false, code: 'failed' });
    expect(r.message).toMatch(/SHA-256 differs/);
    expect(f.read().toString()).toBe(LF);
  });

  it('macOS: osascript runs one shell command of single-quoted words with administrator privileges; Cancel is refused', async () => {
    const osa = fake('osascript', `echo '0:1: execution error: User canceled. (-128)' >&2; exit 1`);
    const weird: SelfCommand = { program: "/Applications/Idle'watch.app/node", args: ['/x/idle"watch.js'] };
    const out = await osascriptElevator(weird, { osascript: osa.path }).run(['hosts-apply', '/p', 'ab']);
    expect(out).toEqual({ kind: 'refused', message: 'the administrator prompt was cancelled' });
    const argv = readFileSync(osa.log, 'utf8').trimEnd().split('\n');
    expect(argv[0]).toBe('-e');
    const shell = [weird.program, ...weird.args, 'hosts-apply', '/p', 'ab'].map(shQuote).join(' ');
    expect(argv[1]).toBe(
      `do shell script "${shell.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}" with administrator privileges`,
    );
  });

  it('Windows: a UAC prompt through Start-Process -Verb RunAs, arguments quoted for CreateProcess; a dismissed prompt is refused', async () => {
    const ps = fake('powershell', `echo 'The operation was canceled by the user.' >&2; exit 126`);
    const winSelf: SelfCommand = {
      program: 'C:\\Program Files\\Idlewatch\\Idlewatch.exe',
      args: ['C:\\Program Files\\Idlewatch\\cli.js'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    };
    const out = await uacElevator(winSelf, { powershell: ps.path, systemRoot: 'C:\\Windows' }).run([
      'hosts-apply',
      'C:\\Users\\A B\\p',
      'ab',
    ]);
    expect(out.kind).toBe('refused');
    const argv = readFileSync(ps.log, 'utf8').trimEnd().split('\n');
    expect(argv.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command']);
    expect(argv[5]).toContain("-FilePath 'C:\\Windows\\System32\\cmd.exe'");
    expect(argv[5]).toContain('-Verb RunAs -Wait -PassThru');
    expect(argv[5]).toContain(
      `set ELECTRON_RUN_AS_NODE=1&& "C:\\Program Files\\Idlewatch\\Idlewatch.exe" "C:\\Program Files\\Idlewatch\\cli.js" hosts-apply "C:\\Users\\A B\\p" ab`,
    );
    expect(winQuote('a"b\\')).toBe('"a\\"b\\\\"');
    expect(winQuote('plain')).toBe('plain');
  });
});
