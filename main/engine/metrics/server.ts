import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineService } from '../service/engine-service.js';
import type { EngineMetrics, MetricsOptions } from './exporter.js';
import type { ListenAddress } from './listen-address.js';

export interface MetricsServer {
  /** host:port it listens on (the port the OS chose when 0 was asked). */
  readonly address: string;
  readonly port: number;
  readonly metrics: EngineMetrics;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics on `at`: nothing else, no state changes, no files. A few connections at a
 * time and short timeouts, so a slow or hostile client on the network cannot hold the engine.
 */
export async function startMetricsServer(
  service: EngineService,
  at: ListenAddress,
  opts: MetricsOptions = {},
): Promise<MetricsServer> {
  // Loaded only when metrics are asked for: the app's engine process and the CLI's other commands
  // never load prom-client.
  const { EngineMetrics } = await import('./exporter.js');
  const metrics = new EngineMetrics(service, opts);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Idlewatch serves /metrics only\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET only\n');
      return;
    }
    metrics.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics failed: ${e instanceof Error ? e.message : String(e)}\n`);
      },
    );
  });
  server.maxConnections = 16;
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException): void => {
      metrics.close();
      const why =
        e.code === 'EADDRINUSE'
          ? 'the port is in use'
          : e.code === 'EADDRNOTAVAIL'
            ? 'no interface has that address'
            : e.code === 'EACCES'
              ? 'permission denied (a port below 1024?)'
              : (e.code ?? e.message);
      reject(new Error(`could not serve metrics on ${at.host}:${at.port}: ${why}`));
    };
    server.once('error', fail);
    server.listen(at.port, at.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `${host}:${bound.port}`,
    port: bound.port,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
