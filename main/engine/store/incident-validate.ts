import type { Incident, PriorIdentity, Reason, RuleId, Severity } from '../../../shared/detection.js';
import { FieldReader, isRecord, shown, type Validation } from './validate.js';

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];
const ANY_NUMBER = { min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
const NON_NEGATIVE = { min: 0, max: Number.MAX_VALUE };
/** Command lines are read capped at 256 KiB; anything longer did not come from us. */
const MAX_TEXT = 256 * 1024;
const MAX_REASONS = 64;
/** The detector keeps at most MAX_PRIOR_IDENTITIES; a little room for later releases. */
const MAX_PRIOR = 32;

/** Checks one stored Incident field by field (`where` prefixes the messages, e.g. "incident"). */
export function validateIncident(v: unknown, where = 'incident'): Validation<Incident> {
  if (!isRecord(v)) return { ok: false, errors: [`${where} must be a JSON object, got ${shown(v)}`] };
  const f = new FieldReader(v, where);
  const incident: Incident = {
    pid: f.int('pid', { min: 0, max: 2 ** 32 }),
    startT: f.number('startT', ANY_NUMBER),
    name: f.text('name', 4096),
    exe: f.textOrNull('exe', 4096),
    cmdline: f.text('cmdline', MAX_TEXT),
    user: f.textOrNull('user', 1024),
    severity: f.oneOf('severity', SEVERITIES),
    score: f.number('score', { min: 0, max: 1 }),
    firstAt: f.number('firstAt', ANY_NUMBER),
    lastAt: f.number('lastAt', ANY_NUMBER),
    reasons: reasons(f.raw('reasons'), `${where}.reasons`, f.errors),
    idleGpuSec: f.number('idleGpuSec', NON_NEGATIVE),
    idleCpuSec: f.number('idleCpuSec', NON_NEGATIVE),
    allowlisted: f.bool('allowlisted'),
  };
  if (v.allowlistedBut !== undefined) incident.allowlistedBut = f.text('allowlistedBut', 8192);
  if (v.was !== undefined) incident.was = priorIdentities(v.was, `${where}.was`, f.errors);
  return f.result(incident);
}

function priorIdentities(v: unknown, where: string, errors: string[]): PriorIdentity[] {
  if (!Array.isArray(v) || v.length > MAX_PRIOR) {
    errors.push(`${where} must be a list of at most ${MAX_PRIOR} earlier identities, got ${shown(v)}`);
    return [];
  }
  return v.map((p, i) => {
    if (!isRecord(p)) {
      errors.push(`${where}[${i}] must be an object, got ${shown(p)}`);
      return { name: '', exe: null, cmdline: '', user: null, until: 0 };
    }
    const f = new FieldReader(p, `${where}[${i}]`);
    const out: PriorIdentity = {
      name: f.text('name', 4096),
      exe: f.textOrNull('exe', 4096),
      cmdline: f.text('cmdline', MAX_TEXT),
      user: f.textOrNull('user', 1024),
      until: f.number('until', ANY_NUMBER),
    };
    errors.push(...f.errors);
    return out;
  });
}

function reasons(v: unknown, where: string, errors: string[]): Reason[] {
  if (!Array.isArray(v) || v.length > MAX_REASONS) {
    errors.push(`${where} must be a list of at most ${MAX_REASONS} reasons, got ${shown(v)}`);
    return [];
  }
  const out: Reason[] = [];
  v.forEach((r, i) => {
    if (!isRecord(r)) {
      errors.push(`${where}[${i}] must be an object, got ${shown(r)}`);
      return;
    }
    const f = new FieldReader(r, `${where}[${i}]`);
    // Any rule name is accepted: rules added by a later release must not make old history unreadable.
    const rule = f.text('rule', 64) as RuleId;
    const detail = f.text('detail', 4096);
    errors.push(...f.errors);
    out.push({ rule, detail });
  });
  return out;
}
