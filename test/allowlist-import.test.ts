import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALLOWLIST_FILE, Allowlist, AllowlistImportError } from '../main/engine/allowlist/allowlist.js';
import { tempDir } from './helpers/store-fixtures.js';

const HASH = 'a'.repeat(64);

describe('allowlist export and import', () => {
  let a: string;
  let b: string;
  const cleanups: (() => void)[] = [];
  beforeEach(() => {
    const x = tempDir('iw-allow-exp-a-');
    const y = tempDir('iw-allow-exp-b-');
    cleanups.push(x.cleanup, y.cleanup);
    a = x.dir;
    b = y.dir;
  });
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  async function source(): Promise<Allowlist> {
    const list = await Allowlist.load(a, { now: () => Date.parse('2025-05-05T00:00:00Z') });
    await list.add({ exe: '/opt/blender/blender', reason: 'renders', note: 'nightly' });
    await list.add({ exe: '/usr/bin/python3.12', sha256: HASH, args: { kind: 'substring', pattern: 'train.py' } });
    return list;
  }

  it('round-trips through JSON, merging without duplicates', async () => {
    const from = await source();
    const text = from.exportJson();
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({ format: 'idlewatch-allowlist', version: 1, exportedAt: '2025-05-05T00:00:00.000Z' });

    const to = await Allowlist.load(b);
    expect(await to.importJson(text)).toMatchObject({ added: 2, skipped: 0, refused: [] });
    expect(to.list()).toEqual(from.list());
    expect(await to.importJson(text)).toMatchObject({ added: 0, skipped: 2, refused: [] });
    // Persisted: a restart sees them.
    expect((await Allowlist.load(b)).list()).toEqual(from.list());
  });

  it('replace swaps the whole allowlist', async () => {
    const from = await source();
    const to = await Allowlist.load(b);
    await to.add({ exe: '/opt/other/other' });
    expect(await to.importJson(from.exportJson(), 'replace')).toMatchObject({ added: 2, skipped: 0 });
    expect(to.list().map((e) => e.exe)).toEqual(['/opt/blender/blender', '/usr/bin/python3.12']);
  });

  it('an invalid file changes nothing and every bad field is named', async () => {
    const to = await Allowlist.load(b);
    await to.add({ exe: '/opt/keep/keep' });
    const before = readFileSync(join(b, ALLOWLIST_FILE), 'utf8');
    const bad = JSON.stringify({
      format: 'idlewatch-allowlist',
      version: 1,
      entries: [
        { id: '1', exe: '/opt/fine/fine', sha256: null, args: null, reason: '', note: '', addedAt: 1 },
        { id: '2', exe: 'xmrig', sha256: 'zz', args: { kind: 'glob', pattern: '' }, addedAt: 1 },
        { id: '1', exe: 'C:\\Tools\\app.exe', addedAt: 'yesterday' },
      ],
    });
    const err = await to.importJson(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllowlistImportError);
    const errors = (err as AllowlistImportError).errors;
    expect(errors).toEqual([
      expect.stringMatching(
        /^entries\[1\]\.exe must be the full path of the executable \(like \/usr\/bin\/app\), got "xmrig"/,
      ),
      'entries[1].sha256 must be 64 hexadecimal digits or null, got "zz"',
      'entries[1].args.pattern must not be empty',
      expect.stringMatching(/^entries\[2\]\.exe must be the full path/),
      'entries[2].addedAt must be a number from 0 to 8640000000000000, got "yesterday"',
    ]);
    expect(to.list().map((e) => e.exe)).toEqual(['/opt/keep/keep']);
    expect(readFileSync(join(b, ALLOWLIST_FILE), 'utf8')).toBe(before);
  });

  it('refuses what is not an export, or one from a newer Idlewatch', async () => {
    const to = await Allowlist.load(b);
    await expect(to.importJson('{nope')).rejects.toThrow(/it is not valid JSON/);
    await expect(to.importJson('{"entries":[]}')).rejects.toThrow(/not an Idlewatch allowlist export/);
    await expect(to.importJson('{"format":"idlewatch-allowlist","version":9,"entries":[]}')).rejects.toThrow(
      'the allowlist file is invalid: it was exported by a newer Idlewatch (version 9; this version reads up to 1)',
    );
  });

  it('duplicate ids inside one file are refused', async () => {
    const to = await Allowlist.load(b);
    const entry = { id: 'same', exe: '/opt/a/a', sha256: null, args: null, reason: '', note: '', addedAt: 1 };
    const text = JSON.stringify({
      format: 'idlewatch-allowlist',
      version: 1,
      entries: [entry, { ...entry, exe: '/opt/b/b' }],
    });
    await expect(to.importJson(text)).rejects.toThrow('entries[1].id "same" is used twice');
  });
});
