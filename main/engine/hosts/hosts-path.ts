/** Where each system keeps its hosts file, and where that lies under a `--root` folder (tests). */
import { join, win32 } from 'node:path';
import type { Platform } from '../../../shared/trace.js';

/**
 * Linux and macOS: /etc/hosts (on macOS a link to /private/etc/hosts). Windows:
 * %SystemRoot%\System32\drivers\etc\hosts. Under a root other than `/`, the same path inside it
 * (Windows: `ROOT/Windows/System32/drivers/etc/hosts`).
 */
export function hostsFilePath(platform: Platform, root = '/', env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') {
    if (root !== '/' && root !== '') return join(root, 'Windows', 'System32', 'drivers', 'etc', 'hosts');
    const systemRoot = env.SystemRoot && win32.isAbsolute(env.SystemRoot) ? env.SystemRoot : 'C:\\Windows';
    return win32.join(systemRoot, 'System32', 'drivers', 'etc', 'hosts');
  }
  return join(root === '' ? '/' : root, 'etc', 'hosts');
}
