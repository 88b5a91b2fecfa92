/**
 * Whether this runtime can connect to a Linux abstract-namespace socket (`\0name`). libuv before
 * 1.48 passes the whole zero-padded sun_path as the address (libuv#4266), so connect() asks for a
 * different name than the one dbus-daemon or Xorg bound, and gets ECONNREFUSED. Node 20 ships
 * libuv 1.46; Node 22, and the Electron builds on it, have the fix.
 */
export function abstractSocketsWork(uvVersion: string | undefined = process.versions.uv): boolean {
  const [major = 0, minor = 0] = (uvVersion ?? '').split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 48);
}

export const ABSTRACT_SOCKET_REASON = `this Node.js (libuv ${process.versions.uv ?? 'unknown'}) cannot connect to abstract sockets (fixed in libuv 1.48, Node 22)`;
