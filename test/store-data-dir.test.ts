import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, ensureDataDir } from '../main/engine/store/data-dir.js';
import { tempDir } from './helpers/store-fixtures.js';

describe('defaultDataDir', () => {
  it('Linux: $XDG_DATA_HOME/idlewatch, else ~/.local/share/idlewatch; a relative XDG_DATA_HOME is ignored', () => {
    expect(defaultDataDir('linux', { XDG_DATA_HOME: '/data/amy', HOME: '/home/amy' })).toBe('/data/amy/idlewatch');
    expect(defaultDataDir('linux', { HOME: '/home/amy' })).toBe('/home/amy/.local/share/idlewatch');
    expect(defaultDataDir('linux', { XDG_DATA_HOME: 'rel/dir', HOME: '/home/amy' })).toBe(
      '/home/amy/.local/share/idlewatch',
    );
    expect(defaultDataDir('freebsd', {}, '/usr/home/amy')).toBe('/usr/home/amy/.local/share/idlewatch');
  });

  it('Windows: %APPDATA%\\Idlewatch', () => {
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\Amy\\AppData\\Roaming' })).toBe(
      'C:\\Users\\Amy\\AppData\\Roaming\\Idlewatch',
    );
    expect(defaultDataDir('win32', { USERPROFILE: 'C:\\Users\\Amy' })).toBe(
      'C:\\Users\\Amy\\AppData\\Roaming\\Idlewatch',
    );
  });

  it('macOS: ~/Library/Application Support/Idlewatch', () => {
    expect(defaultDataDir('darwin', { HOME: '/Users/amy' })).toBe('/Users/amy/Library/Application Support/Idlewatch');
  });

  it('ensureDataDir creates the folder and its parents, private to the user', async () => {
    const { dir, cleanup } = tempDir('iw-datadir-');
    try {
      const target = join(dir, 'a', 'idlewatch');
      await ensureDataDir(target);
      expect(statSync(target).mode & 0o777).toBe(0o700);
      await ensureDataDir(target);
    } finally {
      cleanup();
    }
  });
});

describe('ensureDataDir tightens what is already there (on every start)', () => {
  const mode = (p: string) => lstatSync(p).mode & 0o7777;

  it.skipIf(process.platform === 'win32')(
    'an existing folder, its files and subfolders lose group and other access; links and what they point at are untouched',
    async () => {
      const { dir, cleanup } = tempDir('iw-datadir-');
      try {
        const data = join(dir, 'idlewatch');
        mkdirSync(join(data, 'quarantine', 'item'), { recursive: true });
        chmodSync(data, 0o755);
        chmodSync(join(data, 'quarantine'), 0o775);
        chmodSync(join(data, 'quarantine', 'item'), 0o755);
        writeFileSync(join(data, 'settings.json'), '{}');
        chmodSync(join(data, 'settings.json'), 0o644);
        writeFileSync(join(data, 'incidents.jsonl'), '');
        chmodSync(join(data, 'incidents.jsonl'), 0o666);
        writeFileSync(join(data, 'quarantine', 'item', 'bytes'), 'x');
        chmodSync(join(data, 'quarantine', 'item', 'bytes'), 0o755);
        writeFileSync(join(data, 'allowlist.json'), '[]');
        chmodSync(join(data, 'allowlist.json'), 0o600);
        // A link to a file outside: neither the link nor its target may change.
        const outside = join(dir, 'outside.txt');
        writeFileSync(outside, 'not ours');
        chmodSync(outside, 0o644);
        symlinkSync(outside, join(data, 'link'));
        // A FIFO: not opened (that could block), not changed.
        execFileSync('mkfifo', ['-m', '0666', join(data, 'fifo')]);

        const r = await ensureDataDir(data);
        expect(r.skipped).toBeNull();
        expect(r.tightened.sort()).toEqual(
          [
            data,
            join(data, 'incidents.jsonl'),
            join(data, 'quarantine'),
            join(data, 'quarantine', 'item'),
            join(data, 'quarantine', 'item', 'bytes'),
            join(data, 'settings.json'),
          ].sort(),
        );
        expect(mode(data)).toBe(0o700);
        expect(mode(join(data, 'quarantine'))).toBe(0o700);
        expect(mode(join(data, 'quarantine', 'item'))).toBe(0o700);
        expect(mode(join(data, 'settings.json'))).toBe(0o600);
        expect(mode(join(data, 'incidents.jsonl'))).toBe(0o600);
        expect(mode(join(data, 'quarantine', 'item', 'bytes'))).toBe(0o700);
        expect(mode(join(data, 'allowlist.json'))).toBe(0o600);
        expect(mode(outside)).toBe(0o644);
        expect(mode(join(data, 'fifo'))).toBe(0o666);
        // A second start finds nothing to do.
        expect((await ensureDataDir(data)).tightened).toEqual([]);
      } finally {
        cleanup();
      }
    },
  );

  it.skipIf(process.platform === 'win32')(
    'a data folder that is the home folder, or a shared sticky folder, is left alone and says why',
    async () => {
      const { dir, cleanup } = tempDir('iw-datadir-');
      try {
        const home = join(dir, 'home');
        mkdirSync(home);
        chmodSync(home, 0o755);
        writeFileSync(join(home, 'notes.txt'), 'mine');
        chmodSync(join(home, 'notes.txt'), 0o644);
        const asHome = await ensureDataDir(home, { home });
        expect(asHome).toEqual({
          tightened: [],
          skipped: `${home} is the home folder or one above it, not a folder of Idlewatch's own: its permissions were left as they are`,
        });
        expect(mode(home)).toBe(0o755);
        expect(mode(join(home, 'notes.txt'))).toBe(0o644);
        const shared = join(dir, 'shared');
        mkdirSync(shared);
        chmodSync(shared, 0o1777);
        const sticky = await ensureDataDir(shared);
        expect(sticky.skipped).toMatch(/is a shared folder \(sticky, writable by everyone\)/);
        expect(mode(shared)).toBe(0o1777);
        const other = await ensureDataDir(join(dir, 'x'), { uid: 4242 });
        expect(other.skipped).toMatch(/belongs to another user/);
      } finally {
        cleanup();
      }
    },
  );
});
