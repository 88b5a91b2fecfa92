import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Allowlist } from '../main/engine/allowlist/allowlist.js';
import { normaliseExePath } from '../main/engine/allowlist/exe-path.js';
import { ValidationError } from '../main/engine/store/validate.js';
import { tempDir } from './helpers/store-fixtures.js';

const CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';

describe('allowlist paths', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('iw-allow-paths-'));
  });
  afterEach(() => cleanup());

  it('Windows: case-insensitive, slashes and \\\\?\\ normalised; a chrome.exe in a temp folder is not covered', async () => {
    const list = await Allowlist.load(dir, { platform: 'win32' });
    const entry = await list.add({ exe: CHROME, reason: 'my browser' });
    expect(entry.exe).toBe(CHROME);
    for (const exe of [
      CHROME,
      'c:\\program files\\google\\chrome\\application\\CHROME.EXE',
      'C:/Program Files/Google/Chrome/Application/chrome.exe',
      '\\\\?\\C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
      'C:\\Program Files\\Google\\Chrome\\..\\Chrome\\Application\\chrome.exe',
    ]) {
      expect(list.matchesSync({ exe, cmdline: 'chrome.exe --type=gpu-process' })?.id, exe).toBe(entry.id);
    }
    const miner = { exe: 'C:\\Users\\amy\\AppData\\Local\\Temp\\chrome.exe', cmdline: 'chrome.exe -o pool:3333' };
    expect(list.matchesSync(miner)).toBeNull();
    expect(await list.check(miner)).toEqual({ covered: false, why: `no allowlist entry for ${miner.exe}` });
  });

  it('Windows: bare names and drive-relative paths are refused', async () => {
    const list = await Allowlist.load(dir, { platform: 'win32' });
    await expect(list.add({ exe: 'chrome.exe' })).rejects.toThrow(ValidationError);
    await expect(list.add({ exe: 'chrome.exe' })).rejects.toThrow(
      /exe must be the full path of the executable .*a bare name would cover any program that copies it/,
    );
    await expect(list.add({ exe: 'C:chrome.exe' })).rejects.toThrow(/full path/);
    await expect(list.add({ exe: 'Program Files\\chrome.exe' })).rejects.toThrow(/full path/);
    expect(list.list()).toEqual([]);
  });

  it('Linux: exact case, absolute only, no "(deleted)" entries', async () => {
    const list = await Allowlist.load(dir, { platform: 'linux' });
    const e = await list.add({ exe: '/opt/Render//bin/../bin/blender' });
    expect(e.exe).toBe('/opt/Render/bin/blender');
    expect(list.matchesSync({ exe: '/opt/Render/bin/blender', cmdline: '' })?.id).toBe(e.id);
    expect(list.matchesSync({ exe: '/opt/render/bin/blender', cmdline: '' })).toBeNull();
    expect(list.matchesSync({ exe: null, cmdline: 'blender' })).toBeNull();
    await expect(list.add({ exe: 'blender' })).rejects.toThrow(/full path/);
    await expect(list.add({ exe: './blender' })).rejects.toThrow(/full path/);
    await expect(list.add({ exe: '/tmp/x (deleted)' })).rejects.toThrow(/deleted file/);
  });

  it('normaliseExePath', () => {
    expect(normaliseExePath('c:\\Tools\\.\\miner.exe', 'win32')).toEqual({ ok: true, path: 'C:\\Tools\\miner.exe' });
    expect(normaliseExePath('\\\\server\\share\\app.exe', 'win32')).toEqual({
      ok: true,
      path: '\\\\server\\share\\app.exe',
    });
    expect(normaliseExePath('C:\\Tools\\', 'win32').ok).toBe(false);
    expect(normaliseExePath('/usr/bin/', 'linux').ok).toBe(false);
    expect(normaliseExePath('', 'linux')).toEqual({ ok: false, error: 'is empty' });
    expect(normaliseExePath('/a\0b', 'linux').ok).toBe(false);
  });
});
