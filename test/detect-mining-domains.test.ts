import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DomainList,
  findListedHosts,
  loadMiningDomains,
  parseDomainList,
  shippedDomainListPath,
} from '../main/engine/detect/mining-domains.js';
import { REPO_ROOT } from './captured.js';

describe('mining-domain list', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-domains-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads plain and hosts-file lines, comments, and reports lines that are not domains', () => {
    const parsed = parseDomainList(
      [
        '# a comment',
        'Coinhive.com',
        '0.0.0.0 crypto-loot.com   # inline comment',
        '127.0.0.1 localhost',
        ':: authedmine.com',
        '',
        'coinhive.com',
        'not a domain!',
        'pool.example.',
      ].join('\r\n'),
    );
    expect(parsed.domains).toEqual(['coinhive.com', 'crypto-loot.com', 'authedmine.com', 'pool.example']);
    expect(parsed.errors).toEqual([
      'line 8: not a domain name ("not")',
      'line 8: not a domain name ("a")',
      'line 8: not a domain name ("domain!")',
    ]);
  });

  it('matches a domain and its subdomains on label boundaries only', () => {
    const list = new DomainList(['nanopool.org', 'coinhive.com'], 'test');
    expect(list.match('nanopool.org')).toBe('nanopool.org');
    expect(list.match('XMR-EU1.Nanopool.org.')).toBe('nanopool.org');
    expect(list.match('notnanopool.org')).toBeNull();
    expect(list.match('nanopool.org.evil.example')).toBeNull();
    expect(list.match('org')).toBeNull();
  });

  it('finds listed hosts in command lines and URLs, once each', () => {
    const list = new DomainList(['supportxmr.com', 'coinhive.com'], 'test');
    const text =
      'xmrig -o stratum+tcp://pool.supportxmr.com:3333 -o pool.supportxmr.com:443 --url=https://coinhive.com/lib/x.js config.json';
    expect(findListedHosts(text, list)).toEqual([
      { host: 'pool.supportxmr.com', domain: 'supportxmr.com' },
      { host: 'coinhive.com', domain: 'coinhive.com' },
    ]);
    expect(findListedHosts('/usr/bin/python3 -m http.server 8000', list)).toEqual([]);
  });

  it('ships the list with its licence and source recorded', () => {
    const shipped = shippedDomainListPath();
    expect(shipped).toBe(join(REPO_ROOT, 'data', 'mining-domains.txt'));
    const parsed = parseDomainList(readFileSync(shipped as string, 'utf8'));
    expect(parsed.errors).toEqual([]);
    for (const d of [
      'coinhive.com',
      'coin-hive.com',
      'authedmine.com',
      'crypto-loot.com',
      'minexmr.com',
      'supportxmr.com',
    ]) {
      expect(parsed.domains).toContain(d);
    }
    for (const d of [
      'nanopool.org',
      '2miners.com',
      'f2pool.com',
      'ethermine.org',
      'hashvault.pro',
      'moneroocean.stream',
    ]) {
      expect(parsed.domains).toContain(d);
    }
    for (const d of ['herominers.com', 'unmineable.com', 'nicehash.com', 'c3pool.com', 'xmrpool.eu']) {
      expect(parsed.domains).toContain(d);
    }
    const readme = readFileSync(join(REPO_ROOT, 'data', 'README.md'), 'utf8');
    expect(readme).toMatch(/hand-collected/i);
    expect(readme).toMatch(/Licence:\*\* MIT/);
    expect(readme).toMatch(/Disconnect/);
    expect(readme).toMatch(/CoinBlockerLists/);
  });

  it('loads an explicit file first, else the user copy in the data folder, else the shipped one', async () => {
    const shipped = join(dir, 'shipped.txt');
    writeFileSync(shipped, 'shipped.example\n');
    const dataDir = join(dir, 'data');
    const explicit = join(dir, 'mine.txt');
    writeFileSync(explicit, 'explicit.example\n');

    const fromShipped = await loadMiningDomains({ dataDir, shippedFile: shipped });
    expect(fromShipped.list.source).toBe(shipped);
    expect(fromShipped.list.match('a.shipped.example')).toBe('shipped.example');
    expect(fromShipped.problems).toEqual([]);

    rmSync(dataDir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'mining-domains.txt'), 'user.example\n');
    const fromUser = await loadMiningDomains({ dataDir, shippedFile: shipped });
    expect(fromUser.list.source).toBe(join(dataDir, 'mining-domains.txt'));
    expect(fromUser.list.match('shipped.example')).toBeNull();
    expect(fromUser.list.match('user.example')).toBe('user.example');

    const fromExplicit = await loadMiningDomains({ file: explicit, dataDir, shippedFile: shipped });
    expect(fromExplicit.list.source).toBe(explicit);
    await expect(loadMiningDomains({ file: join(dir, 'missing.txt') })).rejects.toThrow(/ENOENT/);

    // A user copy that is a folder is reported and passed over; no shipped file falls back to the built-in list.
    rmSync(join(dataDir, 'mining-domains.txt'));
    mkdirSync(join(dataDir, 'mining-domains.txt'));
    const fallback = await loadMiningDomains({ dataDir, shippedFile: null });
    expect(fallback.list.source).toBe('built-in pool list');
    expect(fallback.list.match('pool.supportxmr.com')).toBe('supportxmr.com');
    expect(fallback.problems.join('\n')).toMatch(/cannot read the user's domain list .*EISDIR[\s\S]*not found/);
  });
});
