import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `ADDR:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`) or `PORT` alone, which means
 * loopback: metrics are served to this machine unless an address says otherwise.
 */
export function parseListenAddress(text: string): { ok: true; value: ListenAddress } | { ok: false; error: string } {
  let host = '127.0.0.1';
  let portText = text;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (text.includes(':')) {
    const at = text.lastIndexOf(':');
    host = text.slice(0, at);
    portText = text.slice(at + 1);
    if (host.includes(':')) return { ok: false, error: `"${text}": write an IPv6 address in brackets, [::1]:9464` };
  }
  if (host !== 'localhost' && isIP(host) === 0)
    return { ok: false, error: `"${text}": "${host}" is not an IP address (give ADDR:PORT, e.g. 127.0.0.1:9464)` };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    return { ok: false, error: `"${text}": the port must be a number from 0 to 65535 (0: any free port)` };
  return { ok: true, value: { host, port: Number(portText) } };
}
