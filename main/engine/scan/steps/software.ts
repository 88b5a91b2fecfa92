/**
 * The software step: installed browsers with their versions, judged against the support table
 * (data/browser-support.json), and when the operating system last installed updates. Nothing is
 * asked of the network: a table older than MAX_TABLE_AGE_DAYS gives no verdicts and says so.
 */
import { readFile } from 'node:fs/promises';
import type { ScanInstalledBrowser, ScanSoftware } from '../../../../shared/scan.js';
import { findInstalledBrowsers } from '../software/inventory.js';
import { readOsUpdates, STALE_AFTER_DAYS } from '../software/os-updates.js';
import {
  judgeVersion,
  MAX_TABLE_AGE_DAYS,
  parseSupportTable,
  type SupportTable,
  shippedSupportTablePath,
  tableAgeDays,
} from '../software/support-table.js';
import { plural, type ScanStep } from './step.js';

async function loadTable(file: string | null): Promise<{ table: SupportTable | null; problem: string | null }> {
  if (!file)
    return { table: null, problem: 'the support table data/browser-support.json was not found beside the program' };
  try {
    return { table: parseSupportTable(await readFile(file, 'utf8'), file), problem: null };
  } catch (e) {
    const msg = (e as Error).message;
    return { table: null, problem: msg.startsWith(file) ? msg : `${file}: ${msg}` };
  }
}

const DAY_MS = 86_400_000;

export const softwareStep: ScanStep = async (scan, { ctx, progress }) => {
  const opts = scan.options.software ?? {};
  const nowMs = scan.now();
  const { table, problem } = await loadTable(opts.tableFile ?? shippedSupportTablePath());
  if (problem) ctx.problem('software', null, problem);
  const ageDays = table ? tableAgeDays(table, nowMs) : 0;
  const software: ScanSoftware = {
    table: table ? { file: table.file, written: table.written, ageDays, tooOld: ageDays > MAX_TABLE_AGE_DAYS } : null,
    browsers: [],
    os: {
      state: 'unknown',
      lastInstalled: null,
      source: null,
      what: null,
      pendingSecurity: null,
      pending: null,
      notes: [],
    },
  };
  scan.software = software;

  const found = await findInstalledBrowsers(ctx, scan.runTool, opts);
  for (const f of found) {
    const b: ScanInstalledBrowser = { ...f, ...judgeVersion(table, f.browser, f.channel, f.version, nowMs) };
    software.browsers.push(b);
    if (b.verdict !== 'unsupported') continue;
    scan.findings.add({
      key: `${b.browser}:${b.channel}:${b.version}`,
      rule: 'outdated-browser',
      severity: 'medium',
      title: `${b.label} ${b.version} — ${b.verdictText}`,
      evidence: [
        `version read from ${b.source}`,
        `support table ${table?.file ?? '?'}, written ${table?.written ?? '?'}`,
        'an outdated browser is how in-browser miners and drive-by installers get in',
      ],
      actions: [{ kind: 'manual', text: `Update ${b.label} (its About page, or the system's package manager)` }],
    });
  }
  progress(0.5);

  software.os = await readOsUpdates(ctx, scan.runTool, nowMs);
  const os = software.os;
  if (os.state === 'stale' && os.lastInstalled) {
    const days = Math.floor((nowMs - Date.parse(os.lastInstalled)) / DAY_MS);
    scan.findings.add({
      key: 'last-installed',
      rule: 'os-updates',
      severity: 'medium',
      title: `No operating-system updates installed for ${days} days`,
      evidence: [
        `last: ${os.what ?? 'an update'} on ${os.lastInstalled.slice(0, 10)} (${os.source})`,
        `security fixes come out every week or two; more than ${STALE_AFTER_DAYS} days means some are missing`,
      ],
      actions: [{ kind: 'manual', text: 'Install the waiting operating-system updates' }],
    });
  }
  if (os.pendingSecurity !== null && os.pendingSecurity > 0) {
    scan.findings.add({
      key: 'pending-security',
      rule: 'os-updates',
      severity: 'medium',
      title: `${plural(os.pendingSecurity, 'security update')} waiting to be installed`,
      evidence: [
        `${os.pending ?? os.pendingSecurity} updates waiting in all (/var/lib/update-notifier/updates-available)`,
      ],
      actions: [{ kind: 'manual', text: 'Install the waiting operating-system updates' }],
    });
  }

  const judged = software.browsers.filter((b) => b.verdict !== 'unknown').length;
  const browsersText =
    software.browsers.length === 0
      ? 'no installed browser found'
      : `${plural(software.browsers.length, 'browser')} (${software.browsers.map((b) => `${b.label} ${b.version}`).join(', ')})`;
  const verdictText = !table
    ? '; no verdicts: the support table could not be read'
    : software.table?.tooOld
      ? `; no verdicts: the support table is ${ageDays} days old (written ${table.written})`
      : software.browsers.length > 0
        ? `; ${judged} judged`
        : '';
  const osText =
    os.state === 'unknown'
      ? `OS updates: unknown${os.notes[0] ? ` (${os.notes[0]})` : ''}`
      : `OS updates last installed ${os.lastInstalled?.slice(0, 10)} (${os.state})`;
  return {
    // Partial when it could not judge (no table, or one too old) or could not tell the OS state.
    status: table && !software.table?.tooOld && os.state !== 'unknown' ? 'ok' : 'partial',
    detail: `${browsersText}${verdictText}; ${osText}`,
  };
};
