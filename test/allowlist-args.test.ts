import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Allowlist } from '../main/engine/allowlist/allowlist.js';
import { argPatternMatches, globMatches, MAX_PATTERN_LENGTH } from '../main/engine/allowlist/arg-pattern.js';
import { tempDir } from './helpers/store-fixtures.js';

describe('argument patterns', () => {
  it('glob: * is any run (also none), ? one character, the whole command line must match', () => {
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('python3 *train.py*', 'python3 /home/amy/train.py --epochs 3')).toBe(true);
    expect(globMatches('python3 *train.py*', 'python3 /tmp/xmrig.py')).toBe(false);
    expect(globMatches('app --mode=?', 'app --mode=x')).toBe(true);
    expect(globMatches('app --mode=?', 'app --mode=xy')).toBe(false);
    expect(globMatches('a*b*c', 'abc')).toBe(true);
    expect(globMatches('a*b*c', 'acb')).toBe(false);
    expect(globMatches('*.exe', 'x.exe.bak')).toBe(false);
    expect(globMatches('ab*ba', 'aba')).toBe(false);
    expect(globMatches('[a-z]+', 'abc')).toBe(false); // no other special characters
    expect(globMatches('[a-z]+', '[a-z]+')).toBe(true);
  });

  it('substring: plain text anywhere, no special characters', () => {
    expect(
      argPatternMatches({ kind: 'substring', pattern: '--type=gpu-process' }, 'chrome --type=gpu-process --x'),
    ).toBe(true);
    expect(argPatternMatches({ kind: 'substring', pattern: '*' }, 'chrome')).toBe(false);
  });

  it('a hostile pattern against a long command line stays fast (no regex backtracking)', () => {
    // As a backtracking regex (.*a.*a….*c.*) this would take forever on a long run of "a".
    const pattern = `${'*a'.repeat(200)}*c*`;
    const cmdline = 'a'.repeat(256 * 1024);
    const t = performance.now();
    expect(globMatches(pattern, cmdline)).toBe(false);
    expect(performance.now() - t).toBeLessThan(500);
  });

  describe('in entries', () => {
    let dir: string;
    let cleanup: () => void;
    beforeEach(() => {
      ({ dir, cleanup } = tempDir('iw-allow-args-'));
    });
    afterEach(() => cleanup());

    it('an entry with a pattern covers only matching command lines, and says why not', async () => {
      const list = await Allowlist.load(dir, { platform: 'linux' });
      const e = await list.add({
        exe: '/usr/bin/python3.12',
        args: { kind: 'glob', pattern: '* /home/amy/ml/*' },
        reason: 'training',
      });
      expect(
        await list.matches({ exe: '/usr/bin/python3.12', cmdline: 'python3 /home/amy/ml/train.py' }),
      ).toMatchObject({ id: e.id });
      const other = { exe: '/usr/bin/python3.12', cmdline: 'python3 /tmp/.cache/miner.py' };
      expect(await list.matches(other)).toBeNull();
      expect(await list.check(other)).toEqual({
        covered: false,
        why: 'the entry for /usr/bin/python3.12 requires a command line matching "* /home/amy/ml/*"',
      });
    });

    it('bad patterns are refused with the field named', async () => {
      const list = await Allowlist.load(dir, { platform: 'linux' });
      await expect(list.add({ exe: '/usr/bin/x', args: { kind: 'substring', pattern: '' } })).rejects.toThrow(
        'args.pattern must not be empty',
      );
      await expect(list.add({ exe: '/usr/bin/x', args: { kind: 'regex' as 'glob', pattern: '.*' } })).rejects.toThrow(
        'args.kind must be one of substring, glob, got "regex"',
      );
      await expect(
        list.add({ exe: '/usr/bin/x', args: { kind: 'glob', pattern: 'x'.repeat(MAX_PATTERN_LENGTH + 1) } }),
      ).rejects.toThrow(`args.pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
    });
  });
});
