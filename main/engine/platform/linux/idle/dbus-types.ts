/**
 * What every D-Bus path shares (the native client and the gdbus/busctl programs): where a call
 * goes and how a failure is classified, so the sources turn both into the same reasons.
 */

export type DbusBus = 'session' | 'system';

/** Where a call goes: bus, well-known name, object path and interface. */
export interface DbusObject {
  bus: DbusBus;
  dest: string;
  path: string;
  iface: string;
}

/**
 * Why a call failed, in terms a source can turn into a reason:
 * `no-service` (the name is not on the bus), `no-object` (no such object, interface, method or
 * property), `not-supported` (the service refuses, e.g. KDE on Wayland), `no-bus` (cannot connect),
 * `no-tool` (the spawn path only: neither gdbus nor busctl is installed).
 */
export type DbusFailure =
  | 'no-tool'
  | 'no-bus'
  | 'no-service'
  | 'no-object'
  | 'not-supported'
  | 'denied'
  | 'timeout'
  | 'bad-reply'
  | 'failed';

export class DbusCallError extends Error {
  constructor(
    readonly failure: DbusFailure,
    message: string,
    /** The D-Bus error name when known (native replies and gdbus carry it, busctl does not). */
    readonly dbusName?: string,
  ) {
    super(message);
    this.name = 'DbusCallError';
  }
}

/**
 * The native client could not reach or authenticate to the bus. `toolMayWork` says whether gdbus
 * or busctl could do better: true for what they implement and the native client does not (a tcp:
 * address, an auth mechanism other than EXTERNAL), false when the bus is simply not there.
 */
export class DbusConnectError extends DbusCallError {
  constructor(
    message: string,
    readonly toolMayWork: boolean,
  ) {
    super('no-bus', message);
    this.name = 'DbusConnectError';
  }
}

/** Classifies a D-Bus error name and/or a tool's error text. */
export function classifyDbusError(name: string, text: string): DbusFailure {
  const all = `${name} ${text}`;
  if (
    /ServiceUnknown|NameHasNoOwner|was not provided by any \.service files|not activatable|Could not activate/i.test(
      all,
    )
  )
    return 'no-service';
  if (
    /UnknownObject|UnknownInterface|UnknownMethod|UnknownProperty|No such (object|interface|method|property)|Unknown (object|interface|method|property)/i.test(
      all,
    )
  )
    return 'no-object';
  if (/NotSupported|not supported/i.test(all)) return 'not-supported';
  if (
    /Failed to connect to bus|Failed to set bus address|Error connecting|Could not connect|Cannot autolaunch|Connection refused/i.test(
      all,
    )
  )
    return 'no-bus';
  if (/AccessDenied|Access denied|Permission denied|InteractiveAuthorizationRequired/i.test(all)) return 'denied';
  if (/NoReply|Timeout was reached|timed out/i.test(all)) return 'timeout';
  return 'failed';
}

/** "sa{sv}(ii)" → ["s", "a{sv}", "(ii)"]. Throws on a malformed signature. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < sig.length) {
    const end = completeTypeEnd(sig, i, 0);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

/** The spec allows 32 levels of arrays plus 32 of structs; anything deeper is malformed. */
const MAX_SIGNATURE_DEPTH = 64;

function completeTypeEnd(sig: string, start: number, depth: number): number {
  if (depth > MAX_SIGNATURE_DEPTH) throw new Error(`signature "${sig}" nests too deeply`);
  const c = sig[start];
  if (c === undefined) throw new Error(`truncated signature "${sig}"`);
  if (c === 'a') return completeTypeEnd(sig, start + 1, depth + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let i = start + 1;
    while (sig[i] !== close) {
      if (i >= sig.length) throw new Error(`unbalanced signature "${sig}"`);
      i = completeTypeEnd(sig, i, depth + 1);
    }
    if (i === start + 1) throw new Error(`empty struct in signature "${sig}"`);
    return i + 1;
  }
  if (c === ')' || c === '}') throw new Error(`unbalanced signature "${sig}"`);
  return start + 1;
}
