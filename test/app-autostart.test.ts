// Launch at login on Linux: the XDG autostart entry, written in a temporary home.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  autostartPath,
  desktopEntry,
  execValue,
  isAutostartEnabled,
  launchCommand,
  setAutostart,
} from '../main/app/autostart-linux.js';

/**
 * Reads an Exec value back the way a desktop environment does (Desktop Entry spec): string
 * unescaping first, then splitting into arguments with double-quote rules, then %% → %.
 */
function parseExec(value: string): string[] {
  const unescaped = value.replace(/\\([\\nrts])/g, (_m, c: string) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === 's' ? ' ' : '\\',
  );
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < unescaped.length; i++) {
    const ch = unescaped[i] as string;
    if (quoted) {
      if (ch === '\\') {
        const next = unescaped[i + 1] as string;
        if (!'"`$\\'.includes(next)) throw new Error(`bad escape \\${next}`);
        cur += next;
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inArg = true;
    } else if (ch === ' ') {
      if (inArg) args.push(cur);
      cur = '';
      inArg = false;
    } else {
      if (/[\t\n"'\\><~|&;$*?#()`]/.test(ch))
        throw new Error(`reserved character ${JSON.stringify(ch)} outside quotes`);
      cur += ch;
      inArg = true;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  if (inArg) args.push(cur);
  return args.map((a) => a.replace(/%%/g, '%'));
}

describe('Exec quoting', () => {
  it('round-trips awkward paths through a spec-conforming parser', () => {
    const paths = [
      '/opt/Idlewatch/idlewatch',
      '/home/ana maría/Applications/Idlewatch-0.1.0.AppImage',
      '/home/u/$HOME/`id`/"q"/it\'s/back\\slash/100%/semi;colon&amp|pipe*?#()~<>',
      '/home/u/tab\tand\nnewline.AppImage',
      '/home/u/üñï©ødé/Idle watch.AppImage',
    ];
    for (const p of paths) {
      const argv = [p, '--hidden'];
      const value = execValue(argv);
      expect(value).not.toMatch(/[\n\t\r]/); // one line in the file
      expect(parseExec(value)).toEqual(argv);
    }
  });

  it('writes the spec examples as the spec does', () => {
    expect(execValue(['/opt/a b/app'])).toBe('"/opt/a b/app"');
    // A literal backslash inside quotes is four backslashes in the file.
    expect(execValue(['/x\\y'])).toBe('"/x\\\\\\\\y"');
    expect(execValue(['/x/100%'])).toBe('/x/100%%');
  });
});

describe('launchCommand', () => {
  it('runs the AppImage file, not the executable inside its temporary mount', () => {
    expect(
      launchCommand({
        env: { APPIMAGE: '/home/u/Apps/Idlewatch.AppImage' },
        execPath: '/tmp/.mount_IdlewaXYZ/idlewatch',
        isPackaged: true,
        appPath: '/tmp/.mount_IdlewaXYZ/resources/app.asar',
      }),
    ).toEqual(['/home/u/Apps/Idlewatch.AppImage', '--hidden']);
    expect(launchCommand({ env: {}, execPath: '/opt/Idlewatch/idlewatch', isPackaged: true, appPath: '/x' })).toEqual([
      '/opt/Idlewatch/idlewatch',
      '--hidden',
    ]);
    expect(
      launchCommand({ env: { APPIMAGE: 'relative' }, execPath: '/e/electron', isPackaged: false, appPath: '/src/iw' }),
    ).toEqual(['/e/electron', '/src/iw', '--hidden']);
  });
});

describe('autostart entry', () => {
  let home = '';
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'iw-autostart-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('lives in ~/.config/autostart, or under an absolute XDG_CONFIG_HOME', () => {
    expect(autostartPath({ env: {}, home })).toBe(join(home, '.config', 'autostart', 'idlewatch.desktop'));
    expect(autostartPath({ env: { XDG_CONFIG_HOME: '/cfg' }, home })).toBe('/cfg/autostart/idlewatch.desktop');
    expect(autostartPath({ env: { XDG_CONFIG_HOME: 'rel/cfg' }, home })).toBe(
      join(home, '.config', 'autostart', 'idlewatch.desktop'),
    );
  });

  it('is written atomically, replaced, and removed', async () => {
    const where = { env: { XDG_CONFIG_HOME: join(home, 'xdg') }, home };
    const file = join(home, 'xdg', 'autostart', 'idlewatch.desktop');
    expect(await isAutostartEnabled(where)).toBe(false);
    await setAutostart(true, ['/home/u/My Apps/Idlewatch.AppImage', '--hidden'], where);
    expect(await isAutostartEnabled(where)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(desktopEntry(['/home/u/My Apps/Idlewatch.AppImage', '--hidden']));
    expect(text).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
    const exec = /^Exec=(.*)$/m.exec(text)?.[1] ?? '';
    expect(parseExec(exec)).toEqual(['/home/u/My Apps/Idlewatch.AppImage', '--hidden']);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    // A second write replaces it and leaves no temporary file behind.
    await setAutostart(true, ['/opt/Idlewatch/idlewatch', '--hidden'], where);
    expect(readdirSync(join(home, 'xdg', 'autostart'))).toEqual(['idlewatch.desktop']);
    expect(readFileSync(file, 'utf8')).toContain('Exec=/opt/Idlewatch/idlewatch --hidden\n');
    await setAutostart(false, [], where);
    expect(readdirSync(join(home, 'xdg', 'autostart'))).toEqual([]);
    expect(await isAutostartEnabled(where)).toBe(false);
    await setAutostart(false, [], where); // removing twice is fine
  });
});
