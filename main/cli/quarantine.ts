/**
 * `idlewatch quarantine list|restore|delete` and `idlewatch fix FINDING_ID`: the quarantine from the
 * command line. Every path and line shown came from the machine: control characters are replaced.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { QuarantineItem, QuarantineListing } from '../../shared/quarantine.js';
import type { ScanReport } from '../../shared/scan.js';
import {
  Allowlist,
  type DeepScanOptions,
  defaultDataDir,
  type FixOutcome,
  fixFinding,
  importLegacyBackups,
  isAbortError,
  killProcess,
  legacyBackupFolders,
  planFix,
  QuarantineStore,
  runDeepScanIsolated,
} from '../engine/index.js';
import { parseArgs, UsageError } from './args.js';
import { pad, safeText } from './format.js';
import { takeWebRoots } from './web-root-args.js';

export const QUARANTINE_USAGE = `Usage: idlewatch quarantine list [--json] [--root DIR] [--data-dir DIR]
       idlewatch quarantine restore ID [--data-dir DIR]
       idlewatch quarantine delete ID [--yes] [--data-dir DIR]

Everything Idlewatch removes (a persistence line with the whole file as it was, a program it ended)
is kept in the quarantine, in the data folder, so that it can be put back.

  list       the items, newest first, and anything in the quarantine that could not be read.
             Backups an older Idlewatch left beside edited files (.NAME.idlewatch-backup-TIME)
             are moved into the quarantine first (each only once it is safely kept)
  restore    puts an item back byte for byte, with its mode, owner (as root) and times. Refused,
             with nothing written, when the file changed since the removal or something else
             is in its place
  delete     deletes an item for good; asks first (--yes: without asking)

  --json          list as JSON on stdout
  --root DIR      where older backups are looked for, instead of /
  --data-dir DIR  the data folder (default: the app's)
  --yes           delete without asking
`;

export const FIX_USAGE = `Usage: idlewatch fix FINDING_ID [--root DIR] [--web-root DIR]... [--yes] [--data-dir DIR]

Runs a finding's suggested fix: removes a persistence entry's line (the file as it was goes to
the quarantine), or ends a process whose program is in a folder users can write to and moves
that program into the quarantine. Undo with idlewatch quarantine restore ID.

fix first runs a fresh deep scan (against --root, as \`idlewatch scan --root\` did) and acts only
on the finding as that scan sees it now: a saved report could describe a machine that has changed
since, so none is trusted. The fix itself checks again right before acting: the file's SHA-256,
size and line text, the process's pid, start time and program. Finding IDs are in
\`idlewatch scan\` (the fix lines) and in \`idlewatch scan --json\` (findings[].id).

  --root DIR      check files under DIR instead of /
  --web-root DIR  also search this web root, as \`idlewatch scan --web-root\` did (repeatable)
  --yes           fix without asking (needed when not run in a terminal)
  --data-dir DIR  the data folder (default: the app's)
`;

export interface QuarantineCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  signal?: AbortSignal;
  /** Replaces the scan (tests). */
  scan?: (opts: DeepScanOptions) => Promise<ScanReport>;
}

function write(s: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((done) => {
    if (s.write(text)) done();
    else s.once('drain', () => done());
  });
}

/** Asks a yes/no question on the terminal; false for anything but y or yes. */
async function confirm(io: QuarantineCliIo, question: string): Promise<boolean> {
  const stdin = io.stdin ?? process.stdin;
  const rl = createInterface({ input: stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

function needsAnswer(io: QuarantineCliIo, yes: boolean, what: string): void {
  const stdin = io.stdin ?? process.stdin;
  if (!yes && !stdin.isTTY) {
    throw new UsageError(`${what} needs --yes when it is not run in a terminal (nothing was changed)`);
  }
}

async function dataDirOf(flags: Record<string, unknown>): Promise<string> {
  if (typeof flags['data-dir'] !== 'string') return defaultDataDir();
  const dir = resolve(flags['data-dir']);
  const st = await stat(dir).catch(() => null);
  if (st && !st.isDirectory()) {
    throw new UsageError(`--data-dir ${safeText(flags['data-dir'], 300)} is not a folder`, { pointToHelp: false });
  }
  return dir;
}

async function rootOf(flags: Record<string, unknown>): Promise<string> {
  if (typeof flags.root !== 'string') return '/';
  const root = resolve(flags.root);
  const st = await stat(root).catch(() => null);
  if (!st?.isDirectory())
    throw new UsageError(`--root ${safeText(flags.root, 300)} is not a folder`, { pointToHelp: false });
  return root;
}

/** "2026-12-07 21:04:05 CET": local time with the zone. */
function localTime(iso: string): string {
  const d = new Date(iso);
  const pad2 = (n: number) => String(n).padStart(2, '0');
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')
      ?.value ?? '';
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zone}`.trim();
}

function what(i: QuarantineItem): string {
  if (i.kind === 'line') return `${i.category} line`;
  if (i.kind === 'executable') return 'program';
  return i.category === 'persistence' ? 'file' : `${i.category} file`;
}

export function formatQuarantineList(l: QuarantineListing): string {
  const lines: string[] = [];
  if (l.items.length === 0) lines.push(`The quarantine is empty (${safeText(l.folder, 200)}).`);
  else {
    lines.push(`${pad('ID', 26)} ${pad('REMOVED', 24)} ${pad('WHAT', 18)} ${pad('BY', 16)} FILE`);
    for (const i of l.items) {
      const where = `${i.shownPath}${i.line ? `:${i.line.number}` : ''}`;
      lines.push(
        `${pad(i.id, 26)} ${pad(localTime(i.at), 24)} ${pad(what(i), 18)} ${pad(`${i.by.user} (${i.by.via})`, 16)} ${safeText(where, 200)}`,
      );
      if (i.line) lines.push(`${' '.repeat(27)}line: ${safeText(i.line.text, 150)}`);
    }
    lines.push('');
    lines.push(`Kept in ${safeText(l.folder, 200)}. Put one back: idlewatch quarantine restore ID`);
  }
  if (l.problems.length > 0) {
    lines.push('');
    lines.push('Could not be read');
    for (const p of l.problems) lines.push(`  ${safeText(p.file, 200)}: ${safeText(p.problem, 300)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `idlewatch quarantine …`: 0 done, 1 refused or failed (one line on stderr), 2 usage. */
export async function runQuarantineCommand(argv: string[], io: QuarantineCliIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    json: 'boolean',
    root: 'string',
    'data-dir': 'string',
    yes: 'boolean',
  });
  const [sub, id, ...extra] = positionals;
  if (sub === undefined) throw new UsageError('which one: list, restore ID or delete ID?');
  if (extra.length > 0) throw new UsageError(`one ID at a time, got also "${safeText(extra.join(' '), 100)}"`);
  const only = (allowed: string[]): void => {
    for (const f of Object.keys(flags)) {
      if (!allowed.includes(f)) throw new UsageError(`--${f} is not an option of quarantine ${sub}`);
    }
  };
  const dataDir = await dataDirOf(flags);
  if (sub === 'list') {
    only(['json', 'root', 'data-dir']);
    if (id !== undefined) throw new UsageError(`quarantine list takes no ID, got "${safeText(id, 100)}"`);
    const store = await QuarantineStore.open(dataDir, { via: 'cli' });
    const imported = await importLegacyBackups(store, await legacyBackupFolders(await rootOf(flags)), 'cli');
    const listing = await store.list();
    for (const s of imported.skipped) {
      listing.problems.push({ file: s.split(': ')[0] ?? s, problem: `older backup not imported: ${s}`, movedTo: null });
    }
    if (flags.json === true) await write(io.stdout, `${JSON.stringify(listing, null, 2)}\n`);
    else {
      if (imported.imported.length > 0) {
        await write(
          io.stderr,
          `idlewatch: ${imported.imported.length} older backup file(s) moved into the quarantine\n`,
        );
      }
      await write(io.stdout, formatQuarantineList(listing));
    }
    return 0;
  }
  if (sub !== 'restore' && sub !== 'delete') {
    throw new UsageError(`unknown quarantine command "${safeText(sub, 60)}" (list, restore ID or delete ID)`);
  }
  if (id === undefined) throw new UsageError(`quarantine ${sub} needs the item's ID (see idlewatch quarantine list)`);
  only(sub === 'restore' ? ['data-dir'] : ['data-dir', 'yes']);
  const store = await QuarantineStore.open(dataDir, { via: 'cli' });
  if (sub === 'restore') {
    const r = await store.restore(id);
    if (!r.ok) {
      await write(io.stderr, `idlewatch: ${safeText(r.reason, 600)}\n`);
      return 1;
    }
    await write(io.stdout, `${safeText(r.detail, 600)}\n`);
    for (const note of r.notes) await write(io.stderr, `idlewatch: note: ${safeText(note, 400)}\n`);
    return 0;
  }
  const item = await store.get(id);
  if (!item) {
    await write(io.stderr, `idlewatch: no quarantine item ${safeText(id, 80)} (see idlewatch quarantine list)\n`);
    return 1;
  }
  needsAnswer(io, flags.yes === true, 'quarantine delete');
  if (
    flags.yes !== true &&
    !(await confirm(
      io,
      `Delete ${item.id} (${safeText(item.shownPath, 200)}) for good? It cannot be restored after this.`,
    ))
  ) {
    await write(io.stderr, 'idlewatch: nothing was deleted\n');
    return 1;
  }
  const r = await store.delete(id);
  if (!r.ok) {
    await write(io.stderr, `idlewatch: ${safeText(r.reason, 600)}\n`);
    return 1;
  }
  await write(io.stdout, `deleted ${item.id} for good\n`);
  return 0;
}

function outcomeLine(o: FixOutcome): { ok: boolean; text: string } {
  if (o.kind === 'remove-persistence') {
    const r = o.result;
    return r.ok
      ? {
          ok: true,
          text: `removed line ${r.line} of ${r.file}; the file as it was is in the quarantine as ${r.quarantineId} (undo: idlewatch quarantine restore ${r.quarantineId})`,
        }
      : { ok: false, text: r.reason };
  }
  const r = o.result;
  return r.ok
    ? { ok: true, text: `${r.detail} (undo: idlewatch quarantine restore ${r.item.id})` }
    : { ok: false, text: r.reason };
}

/** `idlewatch fix FINDING_ID`: 0 fixed, 1 not found, refused or failed, 2 usage, 130 cancelled. */
export async function runFixCommand(argv: string[], io: QuarantineCliIo): Promise<number> {
  const { rest, webRoots } = await takeWebRoots(argv);
  const { flags, positionals } = parseArgs(rest, { root: 'string', yes: 'boolean', 'data-dir': 'string' });
  const [findingId, ...extra] = positionals;
  if (findingId === undefined) throw new UsageError('no FINDING_ID given (see idlewatch scan)');
  if (extra.length > 0) throw new UsageError(`one FINDING_ID at a time, got also "${safeText(extra.join(' '), 100)}"`);
  const root = await rootOf(flags);
  const dataDir = await dataDirOf(flags);
  const yes = flags.yes === true;
  needsAnswer(io, yes, 'fix');
  let allowlist: Allowlist | null = null;
  try {
    allowlist = await Allowlist.load(dataDir);
  } catch (e) {
    await write(io.stderr, `idlewatch: the allowlist could not be read (${(e as Error).message})\n`);
  }
  await write(io.stderr, 'Scanning again, so the fix acts on the machine as it is now…\n');
  let report: ScanReport;
  try {
    report = await (io.scan ?? runDeepScanIsolated)({ signal: io.signal, root, allowlist, dataDir, webRoots });
  } catch (e) {
    if (!isAbortError(e)) throw e;
    await write(io.stderr, 'idlewatch: cancelled; nothing was changed\n');
    return 130;
  }
  const finding = report.findings.find((f) => f.id === findingId);
  if (!finding) {
    await write(
      io.stderr,
      `idlewatch: the scan just run has no finding ${safeText(findingId, 300)} (already fixed, or a different --root?); nothing was changed\n`,
    );
    return 1;
  }
  const plan = planFix(finding);
  if (plan.kind === 'none') {
    await write(io.stderr, `idlewatch: ${safeText(plan.text, 600)}; nothing was changed\n`);
    return 1;
  }
  if (!yes && !(await confirm(io, `${safeText(finding.title, 200)}\nFix: ${safeText(plan.text, 400)}?`))) {
    await write(io.stderr, 'idlewatch: nothing was changed\n');
    return 1;
  }
  const quarantine = await QuarantineStore.open(dataDir, { via: 'cli' });
  const outcome = await fixFinding(finding, {
    quarantine,
    kill: (t) => killProcess(t),
    reportStartedAt: report.startedAt,
  });
  if (!outcome) {
    await write(io.stderr, 'idlewatch: Idlewatch has no automatic fix for this finding; nothing was changed\n');
    return 1;
  }
  const line = outcomeLine(outcome);
  if (!line.ok) {
    await write(io.stderr, `idlewatch: ${safeText(line.text, 600)}\n`);
    return 1;
  }
  await write(io.stdout, `${safeText(line.text, 800)}\n`);
  return 0;
}
