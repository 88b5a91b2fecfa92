import { describe, expect, it } from 'vitest';
import { domainProblem, parseStrictList } from '../main/engine/hosts/domain-name.js';
import {
  BEGIN_MARKER,
  blockDomains,
  blockProblem,
  END_MARKER,
  HostsBlockError,
  outsideBlock,
  parseHosts,
  renderBlock,
  withBlock,
} from '../main/engine/hosts/hosts-block.js';

const LF_HOSTS = '127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n# my own\n10.0.0.5 nas.home\n';
const CRLF_HOSTS =
  '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# localhost name resolution is handled within DNS itself.\r\n#\t127.0.0.1       localhost\r\n';

function on(text: string, domains: string[]): string {
  return withBlock(parseHosts(text), domains);
}
function off(text: string): string {
  return outsideBlock(parseHosts(text));
}

describe('hosts block: add, replace, remove', () => {
  it('adds one block at the end and removes it to the exact bytes it started from (LF)', () => {
    const blocked = on(LF_HOSTS, ['coinhive.com', 'minexmr.com']);
    expect(blocked.startsWith(LF_HOSTS)).toBe(true);
    expect(blocked).toContain('\n0.0.0.0 coinhive.com\n:: coinhive.com\n');
    expect(blocked).not.toContain('\r');
    expect(off(blocked)).toBe(LF_HOSTS);
  });

  it('follows CRLF line ends and keeps them outside the block', () => {
    const blocked = on(CRLF_HOSTS, ['coinhive.com']);
    expect(blocked.startsWith(CRLF_HOSTS)).toBe(true);
    const block = blocked.slice(CRLF_HOSTS.length);
    expect(block.split('\r\n').length - 1).toBe(block.split('\n').length - 1);
    expect(block).toBe(
      `${BEGIN_MARKER}\r\n${block.split('\r\n')[1]}\r\n0.0.0.0 coinhive.com\r\n:: coinhive.com\r\n${END_MARKER}\r\n`,
    );
    expect(off(blocked)).toBe(CRLF_HOSTS);
  });

  it('a file without a final line end gets one only before the block, and loses it again with the block', () => {
    const noEol = '127.0.0.1 localhost\n10.0.0.5 nas.home';
    const blocked = on(noEol, ['coinhive.com']);
    expect(blocked.startsWith(`${noEol}\n${BEGIN_MARKER}`)).toBe(true);
    expect(off(blocked)).toBe(noEol);
    // And the same for CRLF.
    const crlf = '127.0.0.1 localhost\r\n10.0.0.5 nas.home';
    const b2 = on(crlf, ['coinhive.com']);
    expect(b2.startsWith(`${crlf}\r\n${BEGIN_MARKER}`)).toBe(true);
    expect(off(b2)).toBe(crlf);
    // An empty file stays empty.
    expect(off(on('', ['coinhive.com']))).toBe('');
  });

  it('running it twice changes nothing', () => {
    for (const start of [LF_HOSTS, CRLF_HOSTS, 'x.example 1.2.3.4', '']) {
      const once = on(start, ['b.example', 'a.example']);
      expect(on(once, ['a.example', 'b.example'])).toBe(once);
    }
  });

  it('a stale block from an older list is replaced where it is, lines after it untouched', () => {
    const stale = `${LF_HOSTS}${renderBlock(['old-pool.example', 'coinhive.com'], '\n')}# added later by the user\n1.2.3.4 mine.example\n`;
    const updated = on(stale, ['coinhive.com', 'new-pool.example']);
    const doc = parseHosts(updated);
    expect(blockDomains(doc.block!)).toEqual(['coinhive.com', 'new-pool.example']);
    expect(updated.startsWith(LF_HOSTS)).toBe(true);
    expect(updated.endsWith('# added later by the user\n1.2.3.4 mine.example\n')).toBe(true);
    expect(off(updated)).toBe(`${LF_HOSTS}# added later by the user\n1.2.3.4 mine.example\n`);
  });

  it('keeps bytes that are not UTF-8 outside the block exactly', () => {
    const raw = Buffer.concat([
      Buffer.from('127.0.0.1 localhost # caf'),
      Buffer.from([0xe9, 0xff, 0x00]),
      Buffer.from('\n'),
    ]);
    const text = raw.toString('latin1');
    const out = Buffer.from(off(on(text, ['coinhive.com'])), 'latin1');
    expect(out.equals(raw)).toBe(true);
  });

  it('refuses a block whose end marker is missing, naming the line, rather than guessing where it ends', () => {
    const broken = `${LF_HOSTS}${BEGIN_MARKER}\n0.0.0.0 coinhive.com\n10.0.0.9 printer.home\n`;
    expect(() => parseHosts(broken)).toThrow(HostsBlockError);
    expect(() => parseHosts(broken)).toThrow(/started at line 5 has no end marker/);
  });

  it('refuses an end marker without a start, and two blocks', () => {
    expect(() => parseHosts(`a.example\n${END_MARKER}\n`)).toThrow(
      /line 2 ends an Idlewatch block that was never started/,
    );
    const two = renderBlock(['a.example'], '\n') + renderBlock(['b.example'], '\n');
    expect(() => parseHosts(two)).toThrow(/second Idlewatch block/);
    const nested = `${BEGIN_MARKER}\n${renderBlock(['a.example'], '\n')}`;
    expect(() => parseHosts(nested)).toThrow(/inside the one started at line 1/);
  });

  it('a block is exactly what Idlewatch writes, or a problem (what the privileged side checks)', () => {
    const good = parseHosts(on(LF_HOSTS, ['coinhive.com']));
    expect(blockProblem(good)).toBeNull();
    const redirect = on(LF_HOSTS, ['coinhive.com']).replace(
      '0.0.0.0 coinhive.com',
      '0.0.0.0 coinhive.com\n6.6.6.6 bank.example',
    );
    expect(blockProblem(parseHosts(redirect))).toMatch(/lines other than/);
    const badName = on(LF_HOSTS, ['coinhive.com']).replaceAll('coinhive.com', 'coin hive.com');
    expect(blockProblem(parseHosts(badName))).not.toBeNull();
    const addressChanged = on(LF_HOSTS, ['coinhive.com']).replace('0.0.0.0 coinhive.com', '6.6.6.6 coinhive.com');
    expect(blockProblem(parseHosts(addressChanged))).not.toBeNull();
  });
});

describe('strict domain names', () => {
  it('accepts plain and punycode names', () => {
    for (const ok of ['coinhive.com', 'xmr-eu1.nanopool.org', 'xn--bcher-kva.example', 'a.b', '2miners.com']) {
      expect(domainProblem(ok)).toBeNull();
    }
  });

  it('refuses spaces, newlines, Unicode, upper case, wildcards, addresses, local names and bad lengths', () => {
    const bad: [string, RegExp][] = [
      ['coin hive.com', /space/],
      ['coinhive.com\n1.2.3.4 bank.example', /control character/],
      ['bücher.example', /xn--/],
      ['CoinHive.com', /lower case/],
      ['*.coinhive.com', /characters other than/],
      ['1.2.3.4', /number/],
      ['localhost', /this machine/],
      ['com', /no dot/],
      ['a..b', /empty label/],
      ['-a.example', /characters other than/],
      ['ab--c.example', /reserved/],
      [`${'a'.repeat(64)}.example`, /63/],
      [`${'a.'.repeat(130)}example`, /253/],
      ['coinhive.com.', /ends with a dot/],
      ['', /empty/],
    ];
    for (const [name, why] of bad) expect(domainProblem(name), name).toMatch(why);
  });

  it('reads a list with comments and hosts lines, and names the file and line of each bad name', () => {
    const text =
      '# comment\ncoinhive.com\n0.0.0.0 minexmr.com # pool\n\nbad name here\nbücher.example\r\ncoinhive.com\n';
    const r = parseStrictList(text, 'my.txt');
    expect(r.domains).toEqual(['coinhive.com', 'minexmr.com']);
    expect(r.errors).toEqual([
      'my.txt:5: "bad name here" is not a domain name (contains a space)',
      'my.txt:6: "bücher.example" is not a domain name (not ASCII (write an internationalised name in its xn-- form))',
    ]);
  });
});
