/**
 * An interpreter runs whatever script it is handed: an entry for /usr/bin/python3 with no argument
 * pattern would silence every Python miner. Such entries are refused when added or imported, and
 * ones already on disk are kept but no longer apply. Import pins hashes by default.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALLOWLIST_FILE, Allowlist } from '../main/engine/allowlist/allowlist.js';
import { entryProblem, interpreterName } from '../shared/interpreters.js';
import { tempDir } from './helpers/store-fixtures.js';

describe('interpreters are known per platform by file name', () => {
  it('POSIX: python and its versions, node, java, shells, perl, ruby, php, osascript, env', () => {
    for (const exe of [
      '/usr/bin/python3',
      '/usr/bin/python3.12',
      '/usr/local/bin/python',
      '/usr/bin/node',
      '/usr/lib/jvm/java-17/bin/java',
      '/bin/bash',
      '/bin/sh',
      '/usr/bin/dash',
      '/bin/zsh',
      '/usr/bin/perl',
      '/usr/bin/perl5.36',
      '/usr/bin/ruby',
      '/usr/bin/php8.2',
      '/usr/bin/pwsh',
      '/usr/bin/osascript',
      '/usr/bin/env',
    ]) {
      expect(interpreterName(exe, 'linux'), exe).not.toBeNull();
    }
    for (const exe of ['/usr/bin/blender', '/opt/app/pythonista-helper', '/usr/bin/nodemon2', '/usr/bin/shred']) {
      expect(interpreterName(exe, 'linux'), exe).toBeNull();
    }
    // Case matters on Linux file systems: PYTHON3 is another file.
    expect(interpreterName('/opt/x/PYTHON3', 'linux')).toBeNull();
  });

  it('Windows: case-insensitive, with or without .exe', () => {
    for (const exe of [
      'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      'C:\\Program Files\\PowerShell\\7\\pwsh.exe',
      'C:\\Windows\\System32\\WScript.exe',
      'C:\\Windows\\System32\\CSCRIPT.EXE',
      'C:\\Python312\\python.exe',
      'C:\\Python312\\pythonw.exe',
      'C:\\Program Files\\nodejs\\node.exe',
      'C:\\Program Files\\Java\\bin\\javaw.exe',
      'C:\\Windows\\System32\\cmd.exe',
      'C:\\Windows\\System32\\mshta.exe',
    ]) {
      expect(interpreterName(exe, 'win32'), exe).not.toBeNull();
    }
    expect(interpreterName('C:\\Program Files\\Blender\\blender.exe', 'win32')).toBeNull();
  });

  it('an interpreter entry needs a pattern that names something more than the interpreter', () => {
    const exe = '/usr/bin/python3';
    expect(entryProblem({ exe, args: null }, 'linux')).toMatch(/needs an argument pattern/);
    expect(entryProblem({ exe, args: { kind: 'substring', pattern: 'train.py' } }, 'linux')).toBeNull();
    // A pattern that any script's command line matches is no pattern.
    expect(entryProblem({ exe, args: { kind: 'glob', pattern: '*' } }, 'linux')).toMatch(/any script/);
    expect(entryProblem({ exe, args: { kind: 'substring', pattern: 'python' } }, 'linux')).toMatch(/any script/);
    expect(entryProblem({ exe, args: { kind: 'glob', pattern: 'python3 *' } }, 'linux')).toMatch(/any script/);
    expect(entryProblem({ exe: '/opt/blender/blender', args: null }, 'linux')).toBeNull();
  });
});

describe('the allowlist refuses interpreters without an argument pattern', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('iw-allow-interp-'));
  });
  afterEach(() => cleanup());

  it('add: refused with a one-line message; accepted with a pattern that names the script', async () => {
    const list = await Allowlist.load(dir, { platform: 'linux' });
    const err = await list.add({ exe: '/usr/bin/python3' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/\/usr\/bin\/python3 is an interpreter .*needs an argument pattern/);
    expect((err as Error).message).not.toContain('\n');
    expect(list.list()).toEqual([]);
    const ok = await list.add({ exe: '/usr/bin/python3', args: { kind: 'substring', pattern: '/srv/jobs/train.py' } });
    expect(ok.args).toEqual({ kind: 'substring', pattern: '/srv/jobs/train.py' });
    await expect(list.add({ exe: '/usr/bin/node', args: { kind: 'glob', pattern: '*' } })).rejects.toThrow(
      /any script/,
    );
  });

  it('Windows: powershell.exe in any case is refused without a pattern', async () => {
    const list = await Allowlist.load(dir, { platform: 'win32' });
    await expect(list.add({ exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.EXE' })).rejects.toThrow(
      /is an interpreter/,
    );
  });

  it('import: the interpreter entry is refused and reported, the others are kept', async () => {
    const list = await Allowlist.load(dir, { platform: 'linux' });
    const doc = {
      format: 'idlewatch-allowlist',
      version: 1,
      exportedAt: '2025-01-01T00:00:00.000Z',
      entries: [
        { id: 'a', exe: '/usr/bin/python3', sha256: null, args: null, reason: '', note: '', addedAt: 1 },
        { id: 'b', exe: '/opt/blender/blender', sha256: null, args: null, reason: '', note: '', addedAt: 1 },
        {
          id: 'c',
          exe: '/usr/bin/node',
          sha256: null,
          args: { kind: 'substring', pattern: '/srv/app/server.js' },
          reason: '',
          note: '',
          addedAt: 1,
        },
      ],
    };
    const r = await list.importJson(JSON.stringify(doc));
    expect(r.added).toBe(2);
    expect(r.refused).toHaveLength(1);
    expect(r.refused[0]).toMatch(/^\/usr\/bin\/python3 is an interpreter/);
    expect(list.list().map((e) => e.exe)).toEqual(['/opt/blender/blender', '/usr/bin/node']);
  });

  it('entries already on disk that break the rule are kept, but cover nothing, and the verdict says why', async () => {
    writeFileSync(
      join(dir, ALLOWLIST_FILE),
      JSON.stringify({
        version: 1,
        entries: [
          { id: 'old', exe: '/usr/bin/python3', sha256: null, args: null, reason: 'mine', note: '', addedAt: 1 },
        ],
      }),
    );
    const list = await Allowlist.load(dir, { platform: 'linux' });
    expect(list.list().map((e) => e.id)).toEqual(['old']);
    expect(list.problems).toEqual([]);
    const proc = { exe: '/usr/bin/python3', cmdline: 'python3 /tmp/.x/miner.py' };
    expect(list.matchesSync(proc)).toBeNull();
    const v = await list.check(proc);
    expect(v.covered).toBe(false);
    expect(v.covered ? '' : v.why).toMatch(/needs an argument pattern/);
    // The user's data stays on disk as it was.
    expect(JSON.parse(readFileSync(join(dir, ALLOWLIST_FILE), 'utf8')).entries).toHaveLength(1);
  });
});

describe('import pins hashes by default', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('iw-allow-pin-'));
  });
  afterEach(() => cleanup());

  it('pins the file as it is on this machine, and says why not where it cannot', async () => {
    const exe = join(dir, 'tool');
    writeFileSync(exe, 'binary bytes');
    const want = createHash('sha256').update('binary bytes').digest('hex');
    const list = await Allowlist.load(dir);
    const doc = {
      format: 'idlewatch-allowlist',
      version: 1,
      exportedAt: '2025-01-01T00:00:00.000Z',
      entries: [
        { id: 'a', exe, sha256: null, args: null, reason: '', note: '', addedAt: 1 },
        { id: 'b', exe: join(dir, 'missing'), sha256: null, args: null, reason: '', note: '', addedAt: 1 },
      ],
    };
    const r = await list.importJson(JSON.stringify(doc));
    expect(r.added).toBe(2);
    expect(r.pinned).toBe(1);
    expect(r.notPinned).toHaveLength(1);
    expect(r.notPinned[0]).toMatch(/missing.*(not found|cannot be read)/);
    expect(list.list().find((e) => e.id === 'a')?.sha256).toBe(want);
    expect(list.list().find((e) => e.id === 'b')?.sha256).toBeNull();
  });
});
