/**
 * The Settings screen's block of mining domains: its status, and turning it on or off through the
 * same engine path as `idlewatch block-domains` (the engine prepares the file; the platform's
 * administrator prompt runs the one privileged step). The window only asks; it never sees a prompt
 * of its own and never runs anything as root.
 */
import type { InvokeHandlers } from '../../../../shared/ipc.js';
import type { HostsBlockChange, HostsBlockView } from '../../../../shared/settings.js';
import {
  blockDomainsOff,
  blockDomainsOn,
  type HostsBlockOptions,
  hostsBlockStatus,
} from '../../hosts/block-domains.js';
import type { Elevator } from '../../hosts/elevation.js';
import type { ServiceContext } from './context.js';

type Handlers = Pick<InvokeHandlers, 'hosts:blockStatus' | 'hosts:setBlock'>;

export interface HostsBlockServiceOptions {
  /** A test root: its hosts file is written directly. */
  root?: string;
  /** Replaces the platform's administrator prompt (tests: a fake pkexec). */
  elevator?: Elevator | null;
  /** The shipped list (tests). */
  shippedFile?: string | null;
}

async function view(opts: HostsBlockOptions): Promise<HostsBlockView> {
  const s = await hostsBlockStatus(opts);
  return {
    state: s.state,
    hostsPath: s.hostsPath,
    blocked: s.blocked,
    listed: s.listed,
    upToDate: s.upToDate,
    message: s.message,
    writer: s.writer,
  };
}

export function hostsBlockHandlers(ctx: Pick<ServiceContext, 'dataDir'>, service: HostsBlockServiceOptions): Handlers {
  const opts = (): HostsBlockOptions => ({
    dataDir: ctx.dataDir,
    ...(service.root !== undefined ? { root: service.root } : {}),
    ...(service.elevator !== undefined ? { elevator: service.elevator } : {}),
    ...(service.shippedFile !== undefined ? { shippedFile: service.shippedFile } : {}),
  });
  // One change at a time: a second click while the prompt is up must not stack a second prompt.
  let busy: Promise<HostsBlockChange> | null = null;
  return {
    'hosts:blockStatus': () => view(opts()),
    'hosts:setBlock': (on) => {
      if (busy) return busy;
      busy = (async () => {
        try {
          const r = on ? await blockDomainsOn(opts()) : await blockDomainsOff(opts());
          return { ...r, status: await view(opts()) };
        } finally {
          busy = null;
        }
      })();
      return busy;
    },
  };
}
