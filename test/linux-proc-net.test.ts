import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  connectionsByPid,
  decodeIpv4,
  decodeIpv6,
  formatEndpoint,
  formatIpv6,
  parseProcNetTable,
  readSocketInodes,
  socketInode,
  toTraceConn,
} from '../main/engine/platform/linux/proc-net.js';

// Hand-made tables in the kernel's layout, as a little-endian machine prints them.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0D05 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:0D05 01 00000000:00000000 00:00000000 00000000  1000        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0F02000A:C350 22D8B85D:01BB 06 00000000:00000000 03:00001234 00000000     0        0 0 3 0000000000000000
   3: 0F02000A:C351 22D8B85D:115C 02 00000001:00000000 01:00000064 00000002  1000        0 1004 2 0000000000000000 200 0 0 1 7
  12: garbage line that is not a socket
  13: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1005 1
  14: 0100007F:0D05 00000000:0000 0A 00000000:00000000 00:00000000`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:D431 0000000000000000FFFF00000100007F:115C 01 00000000:00000000 00:00000000 00000000  1000        0 2002 1 0000000000000000 20 4 0 10 -1
   2: B80D0120000000000000000001000000:E000 B80D0120000000000000000002000000:01BB 08 00000000:00000000 00:00000000 00000000  1000        0 2003 1 0000000000000000 20 4 0 10 -1`;

const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3001 2 0000000000000000 0
  456: 0100007F:9C40 0100007F:0035 01 00000000:00000000 00:00000000 00000000  1000        0 3002 2 0000000000000000 0`;

describe('/proc/net table parser', () => {
  it('reads IPv4 TCP rows with their states, ports, uid and inode, skipping the header and malformed lines', () => {
    const rows = parseProcNetTable(TCP, 'tcp', true);
    expect(rows).toEqual([
      {
        proto: 'tcp',
        localAddress: '127.0.0.1',
        localPort: 3333,
        remoteAddress: '0.0.0.0',
        remotePort: 0,
        state: 'LISTEN',
        uid: 0,
        inode: 1001,
      },
      {
        proto: 'tcp',
        localAddress: '127.0.0.1',
        localPort: 0xa1b2,
        remoteAddress: '127.0.0.1',
        remotePort: 3333,
        state: 'ESTABLISHED',
        uid: 1000,
        inode: 1002,
      },
      {
        proto: 'tcp',
        localAddress: '10.0.2.15',
        localPort: 50000,
        remoteAddress: '93.184.216.34',
        remotePort: 443,
        state: 'TIME_WAIT',
        uid: 0,
        inode: 0,
      },
      {
        proto: 'tcp',
        localAddress: '10.0.2.15',
        localPort: 50001,
        remoteAddress: '93.184.216.34',
        remotePort: 4444,
        state: 'SYN_SENT',
        uid: 1000,
        inode: 1004,
      },
    ]);
  });

  it('reads IPv6 rows: loopback, IPv4-mapped and a documentation address, compressed per RFC 5952', () => {
    const rows = parseProcNetTable(TCP6, 'tcp6', true);
    expect(rows.map((r) => [r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.state, r.inode])).toEqual([
      ['::1', 8080, '::', 0, 'LISTEN', 2001],
      ['::ffff:127.0.0.1', 0xd431, '::ffff:127.0.0.1', 4444, 'ESTABLISHED', 2002],
      ['2001:db8::1', 0xe000, '2001:db8::2', 443, 'CLOSE_WAIT', 2003],
    ]);
  });

  it('names UDP states as ss does: UNCONN for unconnected, ESTABLISHED when connected', () => {
    const rows = parseProcNetTable(UDP, 'udp', true);
    expect(rows.map((r) => [r.proto, r.localPort, r.remotePort, r.state])).toEqual([
      ['udp', 68, 0, 'UNCONN'],
      ['udp', 40000, 53, 'ESTABLISHED'],
    ]);
  });

  it('decodes in host byte order: the same text means another address on a big-endian machine', () => {
    expect(decodeIpv4('0100007F', true)).toBe('127.0.0.1');
    expect(decodeIpv4('7F000001', false)).toBe('127.0.0.1');
    expect(decodeIpv6('00000000000000000000000000000001', false)).toBe('::1');
    expect(decodeIpv4('0100007', true)).toBeNull();
    expect(decodeIpv6('xyz', true)).toBeNull();
    expect(parseProcNetTable(TCP, 'tcp', false)[0]?.localAddress).toBe('1.0.0.127');
  });

  it('formats endpoints and IPv6 text', () => {
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(formatIpv6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])).toBe('fe80::1:0:0:1');
    // A single zero group is not compressed.
    expect(formatIpv6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatEndpoint('::1', 443)).toBe('[::1]:443');
    expect(formatEndpoint('10.0.0.1', 3333)).toBe('10.0.0.1:3333');
  });

  it('reads socket inodes from fd link text only', () => {
    expect(socketInode('socket:[12345]')).toBe(12345);
    expect(socketInode('pipe:[12345]')).toBeNull();
    expect(socketInode('socket:[12a]')).toBeNull();
    expect(socketInode('/tmp/socket:[1]')).toBeNull();
  });
});

describe('connections per process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-net-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('joins a fake /proc: fd links to tables, per process, with trace conns', () => {
    const proc = join(dir, 'proc');
    mkdirSync(join(proc, 'net'), { recursive: true });
    writeFileSync(join(proc, 'net', 'tcp'), TCP);
    writeFileSync(join(proc, 'net', 'tcp6'), TCP6);
    writeFileSync(join(proc, 'net', 'udp'), UDP);
    // No udp6 table: a machine without IPv6 has none, and that is not an error.
    const fds: Record<string, Record<string, string>> = {
      '100': { '0': '/dev/null', '3': 'socket:[1002]', '4': 'socket:[3002]', '5': 'socket:[999999]' },
      '200': { '3': 'socket:[1001]', '4': 'pipe:[77]' },
      '300': { '1': '/dev/pts/0' },
    };
    for (const [pid, links] of Object.entries(fds)) {
      mkdirSync(join(proc, pid, 'fd'), { recursive: true });
      for (const [fd, target] of Object.entries(links)) symlinkSync(target, join(proc, pid, 'fd', fd));
    }
    mkdirSync(join(proc, 'self'));
    expect(readSocketInodes(proc, 100)?.sort()).toEqual([1002, 3002, 999999]);
    expect(readSocketInodes(proc, 404)).toBeNull();

    const all = connectionsByPid({ procRoot: proc });
    expect([...all.byPid.keys()].sort()).toEqual([100, 200]);
    expect(all.errors).toEqual([]);
    const p100 = all.byPid.get(100) ?? [];
    expect(p100.map((c) => toTraceConn(c))).toEqual([
      { proto: 'tcp', remote: '127.0.0.1:3333', state: 'ESTABLISHED' },
      { proto: 'udp', remote: '127.0.0.1:53', state: 'ESTABLISHED' },
    ]);
    expect(p100[0]?.pid).toBe(100);

    const active = connectionsByPid({ procRoot: proc, listening: false, pids: [100, 200, 404] });
    expect([...active.byPid.keys()]).toEqual([100]);
    expect(active.unreadable).toEqual([404]);

    // A caller that already walked the fd tables passes the inodes and no fd is read again.
    const given = connectionsByPid({ procRoot: proc, pids: [200], socketInodes: new Map([[200, [1004]]]) });
    expect(given.byPid.get(200)?.map((c) => [c.remotePort, c.state])).toEqual([[4444, 'SYN_SENT']]);
  });

  it('finds a live TCP connection of this very process on Linux', async () => {
    if (process.platform !== 'linux') return;
    const accepted: Socket[] = [];
    const server: Server = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = createConnection({ host: '127.0.0.1', port });
    await new Promise<void>((r) => client.once('connect', () => r()));
    try {
      const mine = connectionsByPid({ pids: [process.pid] }).byPid.get(process.pid) ?? [];
      const out = mine.find((c) => c.remotePort === port && c.state === 'ESTABLISHED');
      expect(out).toMatchObject({ proto: 'tcp', remoteAddress: '127.0.0.1', localPort: client.localPort });
      expect(mine.some((c) => c.localPort === port && c.state === 'LISTEN')).toBe(true);
    } finally {
      client.destroy();
      for (const s of accepted) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
