/**
 * Argument schemas for every invoke channel (valibot). The engine side validates each request with
 * these before a handler runs: a renderer that was compromised, or simply has a bug, cannot hand the
 * engine a pid that is not a positive integer, a path that is not absolute, or a setting out of range.
 * The schemas are typed against the contract, so a channel whose arguments change fails `tsc` here.
 */
import * as v from 'valibot';
import type { InvokeChannel, InvokeContract } from './ipc.js';
import { QUARANTINE_ID } from './quarantine.js';
import { SENSITIVITIES, SETTINGS_RANGES } from './settings.js';

const pid = v.pipe(v.number(), v.safeInteger('a pid is a whole number'), v.minValue(1, 'a pid is positive'));
const epochMs = v.pipe(v.number(), v.finite('a time must be a finite number'), v.minValue(0, 'a time is not negative'));
const shortText = (max: number) => v.pipe(v.string(), v.maxLength(max, `at most ${max} characters`));
const intIn = (r: { min: number; max: number }) =>
  v.pipe(v.number(), v.safeInteger('a whole number'), v.minValue(r.min), v.maxValue(r.max));

const processKey = v.strictObject({ pid, startTimeMs: epochMs });
const actionTarget = v.strictObject({
  pid,
  startTimeMs: epochMs,
  exe: v.optional(v.nullable(shortText(4096))),
  confirmed: v.optional(v.boolean()),
});
const severity = v.picklist(['low', 'medium', 'high'] as const);

const incidentQuery = v.strictObject({
  severity: v.optional(v.pipe(v.array(severity), v.maxLength(3))),
  text: v.optional(shortText(500)),
  since: v.optional(epochMs),
  until: v.optional(epochMs),
  includeReviewed: v.optional(v.boolean()),
  includeAllowlisted: v.optional(v.boolean()),
  limit: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(10_000))),
});

const argPattern = v.strictObject({
  kind: v.picklist(['substring', 'glob'] as const),
  pattern: v.pipe(shortText(4096), v.minLength(1, 'an argument pattern cannot be empty')),
});

const allowlistInput = v.strictObject({
  exe: v.pipe(shortText(4096), v.minLength(1, 'the executable path is empty')),
  sha256: v.optional(v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 is 64 hex digits')))),
  pinHash: v.optional(v.boolean()),
  args: v.optional(v.nullable(argPattern)),
  reason: v.optional(shortText(1000)),
  note: v.optional(shortText(4000)),
});

const settingsPatch = v.strictObject({
  idleThresholdSec: v.optional(intIn(SETTINGS_RANGES.idleThresholdSec)),
  sensitivity: v.optional(v.picklist(SENSITIVITIES)),
  notifications: v.optional(v.boolean()),
  quietWhileFullscreen: v.optional(v.boolean()),
  notifyHighWhileFullscreen: v.optional(v.boolean()),
  launchAtLogin: v.optional(v.boolean()),
  samplingIntervalMs: v.optional(intIn(SETTINGS_RANGES.samplingIntervalMs)),
  historyRetentionDays: v.optional(intIn(SETTINGS_RANGES.historyRetentionDays)),
});

const none = v.strictTuple([]);
const quarantineId = v.pipe(shortText(64), v.regex(QUARANTINE_ID, 'a quarantine id is YYYYMMDDTHHMMSSZ-xxxxxxxx'));

/** One tuple schema per channel; its output type must be the contract's argument tuple. */
export const INVOKE_ARG_SCHEMAS = {
  'engine:snapshot': none,
  'engine:procs': v.strictTuple([v.boolean()]),
  'engine:status': none,
  'engine:setPaused': v.strictTuple([v.nullable(epochMs)]),
  'incidents:list': v.strictTuple([incidentQuery]),
  'incidents:review': v.strictTuple([
    v.pipe(shortText(64), v.regex(/^\d+@\d+$/, 'an incident key is PID@START')),
    v.boolean(),
  ]),
  'away:latest': none,
  'process:details': v.strictTuple([processKey, v.boolean()]),
  'process:kill': v.strictTuple([actionTarget]),
  'process:pause': v.strictTuple([actionTarget]),
  'process:resume': v.strictTuple([actionTarget]),
  'allowlist:list': none,
  'allowlist:add': v.strictTuple([allowlistInput]),
  'allowlist:remove': v.strictTuple([v.pipe(shortText(128), v.minLength(1))]),
  'allowlist:export': none,
  'allowlist:import': v.strictTuple([shortText(8 * 1024 * 1024), v.picklist(['merge', 'replace'] as const)]),
  'settings:get': none,
  'settings:set': v.strictTuple([settingsPatch]),
  'hosts:blockStatus': none,
  'hosts:setBlock': v.strictTuple([v.boolean()]),
  'scan:start': none,
  'scan:cancel': none,
  'scan:state': none,
  'scan:html': none,
  'scan:removePersistence': v.strictTuple([v.pipe(shortText(256), v.minLength(1))]),
  'scan:killQuarantine': v.strictTuple([v.pipe(shortText(256), v.minLength(1))]),
  'process:killQuarantine': v.strictTuple([actionTarget]),
  'quarantine:list': none,
  'quarantine:restore': v.strictTuple([quarantineId]),
  'quarantine:delete': v.strictTuple([quarantineId]),
  'window:visibility': v.strictTuple([v.boolean()]),
} as const satisfies {
  [C in InvokeChannel]: v.GenericSchema<unknown, InvokeContract[C]['args']>;
};

/** Thrown for a request whose channel or arguments are not acceptable; the message says which and why. */
export class IpcArgumentError extends Error {
  constructor(
    readonly channel: string,
    message: string,
  ) {
    super(message);
    this.name = 'IpcArgumentError';
  }
}

export function isInvokeChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && Object.hasOwn(INVOKE_ARG_SCHEMAS, channel);
}

/**
 * Checks a request against its channel's schema and returns the arguments as the handler may trust
 * them. Throws IpcArgumentError naming the channel, the argument path and the problem.
 */
export function validateInvoke<C extends InvokeChannel>(channel: C, args: unknown): InvokeContract[C]['args'];
export function validateInvoke(channel: unknown, args: unknown): unknown[];
export function validateInvoke(channel: unknown, args: unknown): unknown[] {
  if (!isInvokeChannel(channel)) {
    throw new IpcArgumentError(
      String(channel).slice(0, 80),
      `unknown channel ${JSON.stringify(String(channel).slice(0, 80))}`,
    );
  }
  const schema = INVOKE_ARG_SCHEMAS[channel];
  if (!Array.isArray(args)) throw new IpcArgumentError(channel, `${channel}: the arguments must be a list`);
  if (args.length !== schema.items.length) {
    throw new IpcArgumentError(
      channel,
      `${channel}: expects ${schema.items.length} argument${schema.items.length === 1 ? '' : 's'}, got ${args.length}`,
    );
  }
  const r = v.safeParse(schema as v.GenericSchema<unknown, unknown[]>, args);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  throw new IpcArgumentError(channel, `${channel}: invalid argument${path ? ` ${path}` : 's'}: ${issue.message}`);
}
