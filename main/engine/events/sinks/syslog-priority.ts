/** Syslog facilities and the PRI value of RFC 5424 (facility × 8 + severity). */
import { type EventLevel, SYSLOG_SEVERITY } from '../schema.js';

/** The facilities an application may log under (kern is the kernel's; the rest are obsolete). */
export const FACILITIES = {
  user: 1,
  daemon: 3,
  auth: 4,
  syslog: 5,
  authpriv: 10,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;

export const DEFAULT_FACILITY: Facility = 'daemon';

export function isFacility(s: string): s is Facility {
  return Object.hasOwn(FACILITIES, s);
}

/** The PRI of an event of this level under this facility. */
export function priority(facility: Facility, level: EventLevel): number {
  return FACILITIES[facility] * 8 + SYSLOG_SEVERITY[level];
}
