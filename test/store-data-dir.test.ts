import { statSync } from 'node:fs';
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
