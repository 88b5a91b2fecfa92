/**
 * The browsers' own block lists, for users who prefer them to the hosts file (a browser with DNS
 * over HTTPS on does not read the hosts file, but it does obey its enterprise policies):
 *
 * - Chrome, Chromium, Edge and Brave read every JSON file in a managed-policy folder; Idlewatch
 *   owns one file there, `idlewatch-mining-block.json`, holding `URLBlocklist` (a name there blocks
 *   it and every name under it). `off` deletes that file: what was there before is what is there after.
 * - Firefox reads one `policies.json` (Linux: /etc/firefox/policies/policies.json); its
 *   `WebsiteFilter.Block` gets a match pattern per name. The file as it was is kept first, and
 *   `off` puts those exact bytes back (or removes the file if there was none), refusing when the
 *   file changed since Idlewatch wrote it rather than overwrite someone else's change.
 *
 * Linux only: on Windows these policies live in the registry (HKLM\SOFTWARE\Policies\…) and on
 * macOS in configuration profiles, which Idlewatch does not write; status says so.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Platform } from '../../../shared/trace.js';
import { isReadRefusal, safeReadFile } from '../scan/safe-read.js';
import { isStrictDomain } from './domain-name.js';
import { FieldReader } from '../store/validate.js';
import { loadVersionedJson, saveVersionedJson, type VersionedFileSpec } from '../store/versioned-json.js';
import { writeBytesAtomic } from './write-bytes.js';

export type PolicyBrowser = 'chrome' | 'chromium' | 'edge' | 'brave' | 'firefox';

export const POLICY_FILE_NAME = 'idlewatch-mining-block.json';
/** Biggest policies.json read: real ones are a few KB. */
const MAX_POLICY_BYTES = 1024 * 1024;

export interface PolicyTarget {
  browser: PolicyBrowser;
  label: string;
  /** The policy file Idlewatch writes (Chromium family: its own file; Firefox: the shared policies.json). */
  file: string;
  /** Where the browser is installed, to tell whether it is here at all. */
  installed: string[];
}

/** The policy places on Linux, under `root`. */
export function policyTargets(root = '/'): PolicyTarget[] {
  const r = (p: string): string => join(root, p);
  return [
    {
      browser: 'chrome',
      label: 'Google Chrome',
      file: r(`etc/opt/chrome/policies/managed/${POLICY_FILE_NAME}`),
      installed: [r('opt/google/chrome')],
    },
    {
      browser: 'chromium',
      label: 'Chromium',
      file: r(`etc/chromium/policies/managed/${POLICY_FILE_NAME}`),
      installed: [r('usr/lib/chromium'), r('usr/lib/chromium-browser'), r('usr/bin/chromium'), r('snap/bin/chromium')],
    },
    {
      browser: 'edge',
      label: 'Microsoft Edge',
      file: r(`etc/opt/edge/policies/managed/${POLICY_FILE_NAME}`),
      installed: [r('opt/microsoft/msedge')],
    },
    {
      browser: 'brave',
      label: 'Brave',
      file: r(`etc/brave/policies/managed/${POLICY_FILE_NAME}`),
      installed: [r('opt/brave.com/brave')],
    },
    {
      browser: 'firefox',
      label: 'Firefox',
      file: r('etc/firefox/policies/policies.json'),
      installed: [
        r('usr/lib/firefox'),
        r('usr/lib/firefox-esr'),
        r('usr/bin/firefox'),
        r('snap/bin/firefox'),
        r('opt/firefox'),
      ],
    },
  ];
}

/** Chromium's URLBlocklist entry for a name: the bare name blocks it and every name under it. */
export function chromiumPolicy(domains: readonly string[]): string {
  return `${JSON.stringify({ URLBlocklist: [...domains].sort() }, null, 2)}\n`;
}

/** Firefox's WebsiteFilter match pattern for a name and every name under it. */
export function firefoxPattern(domain: string): string {
  return `*://*.${domain}/*`;
}

export class PolicyError extends Error {
  override name = 'PolicyError';
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** policies.json with Idlewatch's patterns added to WebsiteFilter.Block (the rest as it was, reserialised). */
export function firefoxWith(current: string | null, domains: readonly string[]): string {
  let doc: Json = { policies: {} };
  if (current !== null && current.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(current);
      if (!isRecord(parsed)) throw new Error('not a JSON object');
      doc = parsed;
    } catch (e) {
      throw new PolicyError(`policies.json is not valid JSON (${(e as Error).message}); Idlewatch leaves it as it is`);
    }
  }
  const policies = isRecord(doc.policies) ? doc.policies : {};
  const filter = isRecord(policies.WebsiteFilter) ? policies.WebsiteFilter : {};
  const block = Array.isArray(filter.Block) ? filter.Block.filter((x): x is string => typeof x === 'string') : [];
  const ours = domains.map(firefoxPattern);
  const merged = [...block, ...ours.filter((p) => !block.includes(p))];
  return `${JSON.stringify({ ...doc, policies: { ...policies, WebsiteFilter: { ...filter, Block: merged } } }, null, 2)}\n`;
}

export interface PolicyRecord {
  browser: PolicyBrowser;
  file: string;
  /** SHA-256 of what Idlewatch wrote. */
  written: string;
  /** The file before (Firefox), base64; null when there was none (or for the Chromium family's own file). */
  before: string | null;
}

export interface PolicyStatus {
  browser: PolicyBrowser;
  label: string;
  file: string;
  installed: boolean;
  state: 'on' | 'off' | 'changed';
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return (await safeReadFile(path, { maxBytes: MAX_POLICY_BYTES, noFollow: true })).data;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PolicyError(isReadRefusal(e) ? e.message : `cannot read ${path}: ${(e as Error).message}`);
  }
}

export function unsupportedReason(platform: Platform): string | null {
  if (platform === 'win32') {
    return 'browser policies on Windows live in the registry (HKLM\\SOFTWARE\\Policies\\Google\\Chrome\\URLBlocklist, …\\Microsoft\\Edge\\URLBlocklist) and Firefox reads policies.json in its install folder; Idlewatch does not write them yet: set them with Group Policy, or use the hosts file';
  }
  if (platform === 'darwin') {
    return 'browser policies on macOS come from configuration profiles (an MDM or a .mobileconfig the user installs); Idlewatch does not write them: use the hosts file';
  }
  return null;
}

export function policyStatus(
  targets: readonly PolicyTarget[],
  records: readonly PolicyRecord[],
  current: Map<string, Buffer | null>,
): PolicyStatus[] {
  return targets.map((t) => {
    const rec = records.find((r) => r.browser === t.browser);
    const now = current.get(t.file) ?? null;
    const state: PolicyStatus['state'] = !rec ? 'off' : now !== null && sha(now) === rec.written ? 'on' : 'changed';
    return {
      browser: t.browser,
      label: t.label,
      file: t.file,
      installed: t.installed.some((p) => existsSync(p)),
      state,
    };
  });
}

/**
 * Writes the policy for each installed browser (direct writes: the caller runs this as root, or
 * under a test root). Returns the records to keep. A Chromium-family file by that name that is not
 * Idlewatch's is refused.
 */
export async function applyBrowserPolicies(
  targets: readonly PolicyTarget[],
  domains: readonly string[],
  records: readonly PolicyRecord[],
): Promise<{ records: PolicyRecord[]; done: string[] }> {
  for (const d of domains) if (!isStrictDomain(d)) throw new PolicyError(`"${d.slice(0, 80)}" is not a domain name`);
  const out: PolicyRecord[] = [...records];
  const done: string[] = [];
  for (const t of targets) {
    if (!t.installed.some((p) => existsSync(p))) continue;
    const rec = records.find((r) => r.browser === t.browser);
    const current = await readOrNull(t.file);
    if (rec && current !== null && sha(current) !== rec.written) {
      throw new PolicyError(`${t.file} changed since Idlewatch wrote it; turn the browser policy off by hand first`);
    }
    let next: string;
    if (t.browser === 'firefox') {
      const base = rec
        ? rec.before === null
          ? null
          : Buffer.from(rec.before, 'base64').toString('utf8')
        : (current?.toString('utf8') ?? null);
      next = firefoxWith(base, domains);
    } else {
      if (!rec && current !== null)
        throw new PolicyError(`${t.file} exists and is not Idlewatch's; nothing was changed`);
      next = chromiumPolicy(domains);
    }
    const data = Buffer.from(next, 'utf8');
    if (current?.equals(data)) continue;
    await mkdir(dirname(t.file), { recursive: true, mode: 0o755 });
    await writeBytesAtomic(t.file, data, { mode: 0o644 });
    const before = rec ? rec.before : t.browser === 'firefox' && current !== null ? current.toString('base64') : null;
    const i = out.findIndex((r) => r.browser === t.browser);
    const record: PolicyRecord = { browser: t.browser, file: t.file, written: sha(data), before };
    if (i >= 0) out[i] = record;
    else out.push(record);
    done.push(t.label);
  }
  return { records: out, done };
}

/**
 * Removes Idlewatch's policies: the Chromium family's own files deleted, Firefox's file put back
 * byte for byte. A file changed since Idlewatch wrote it is left alone, its record kept, and named.
 */
export async function removeBrowserPolicies(
  records: readonly PolicyRecord[],
): Promise<{ records: PolicyRecord[]; done: string[]; refused: string[] }> {
  const left: PolicyRecord[] = [];
  const done: string[] = [];
  const refused: string[] = [];
  for (const rec of records) {
    const current = await readOrNull(rec.file);
    if (current !== null && sha(current) !== rec.written) {
      left.push(rec);
      refused.push(
        `${rec.file} changed since Idlewatch wrote it and was left as it is (remove the mining names from it by hand)`,
      );
      continue;
    }
    if (rec.before !== null) await writeBytesAtomic(rec.file, Buffer.from(rec.before, 'base64'), { mode: 0o644 });
    else if (current !== null) await unlink(rec.file);
    done.push(rec.file);
  }
  return { records: left, done, refused };
}

export async function readPolicyFiles(targets: readonly PolicyTarget[]): Promise<Map<string, Buffer | null>> {
  const m = new Map<string, Buffer | null>();
  for (const t of targets) m.set(t.file, await readOrNull(t.file).catch(() => null));
  return m;
}

// ---------------------------------------------------------------------------------------------
// The record (data folder) and on/off/status

const RECORD_FILE = 'browser-policy.json';
const RECORD_VERSION = 1;
const BROWSERS: readonly PolicyBrowser[] = ['chrome', 'chromium', 'edge', 'brave', 'firefox'];

const recordSpec: VersionedFileSpec<PolicyRecord[]> = {
  version: RECORD_VERSION,
  defaults: () => [],
  validate(doc) {
    const list = doc.records;
    if (!Array.isArray(list)) return { ok: false, errors: ['records must be a list'] };
    const out: PolicyRecord[] = [];
    const errors: string[] = [];
    list.forEach((item, i) => {
      if (!isRecord(item)) {
        errors.push(`records[${i}] must be an object`);
        return;
      }
      const r = new FieldReader(item, `records[${i}]`);
      const browser = r.oneOf('browser', BROWSERS);
      const file = r.text('file', 4096);
      const written = r.text('written', 64);
      const before = r.textOrNull('before', MAX_POLICY_BYTES * 2);
      errors.push(...r.errors);
      out.push({ browser, file, written, before });
    });
    return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
  },
};

export interface BrowserPolicyOptions {
  dataDir: string;
  platform: Platform;
  /** A test root: written directly. Under `/` this process must be root. */
  root?: string;
}

export interface BrowserPolicyResult {
  ok: boolean;
  changed: boolean;
  code?: 'unavailable' | 'failed';
  message: string;
  browsers: PolicyStatus[];
}

async function loadRecords(dataDir: string): Promise<PolicyRecord[]> {
  const loaded = await loadVersionedJson(join(dataDir, RECORD_FILE), recordSpec);
  if (loaded.problems.length > 0)
    throw new PolicyError(loaded.problems.map((p) => `${p.file}: ${p.problem}`).join('; '));
  return loaded.value;
}

function blocked(opts: BrowserPolicyOptions): string | null {
  const why = unsupportedReason(opts.platform);
  if (why) return why;
  if ((opts.root ?? '/') === '/' && process.getuid?.() !== 0) {
    return 'browser policies are system files (/etc/…): run `sudo idlewatch block-domains on --browsers` (the window asks for rights only for the hosts file)';
  }
  return null;
}

export async function browserPolicyStatus(opts: BrowserPolicyOptions): Promise<PolicyStatus[]> {
  const targets = policyTargets(opts.root);
  const records = await loadRecords(opts.dataDir).catch(() => []);
  return policyStatus(targets, records, await readPolicyFiles(targets));
}

export async function browserPoliciesOn(
  opts: BrowserPolicyOptions,
  domains: readonly string[],
): Promise<BrowserPolicyResult> {
  const why = blocked(opts);
  const targets = policyTargets(opts.root);
  if (why)
    return { ok: false, changed: false, code: 'unavailable', message: `${why}; nothing was changed`, browsers: [] };
  try {
    const records = await loadRecords(opts.dataDir);
    const r = await applyBrowserPolicies(targets, domains, records);
    await saveVersionedJson(join(opts.dataDir, RECORD_FILE), RECORD_VERSION, { records: r.records });
    const browsers = policyStatus(targets, r.records, await readPolicyFiles(targets));
    const installed = browsers.filter((b) => b.installed).map((b) => b.label);
    return {
      ok: true,
      changed: r.done.length > 0,
      message:
        installed.length === 0
          ? 'no supported browser (Chrome, Chromium, Edge, Brave, Firefox) is installed here; nothing was changed'
          : r.done.length > 0
            ? `on: ${domains.length} names blocked by policy in ${r.done.join(', ')}`
            : `already on in ${installed.join(', ')}; nothing changed`,
      browsers,
    };
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    return { ok: false, changed: false, code: 'failed', message: e.message, browsers: [] };
  }
}

export async function browserPoliciesOff(opts: BrowserPolicyOptions): Promise<BrowserPolicyResult> {
  const why = blocked(opts);
  const targets = policyTargets(opts.root);
  if (why)
    return { ok: false, changed: false, code: 'unavailable', message: `${why}; nothing was changed`, browsers: [] };
  try {
    const records = await loadRecords(opts.dataDir);
    const r = await removeBrowserPolicies(records);
    await saveVersionedJson(join(opts.dataDir, RECORD_FILE), RECORD_VERSION, { records: r.records });
    const browsers = policyStatus(targets, r.records, await readPolicyFiles(targets));
    if (r.refused.length > 0) {
      return { ok: false, changed: r.done.length > 0, code: 'failed', message: r.refused.join('; '), browsers };
    }
    return {
      ok: true,
      changed: r.done.length > 0,
      message:
        r.done.length > 0
          ? `off: the policies are as they were before (${r.done.join(', ')})`
          : 'already off; nothing changed',
      browsers,
    };
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    return { ok: false, changed: false, code: 'failed', message: e.message, browsers: [] };
  }
}
