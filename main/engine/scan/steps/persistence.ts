/**
 * Step 4, persistence: autostart entries, scheduled jobs and preloads, each judged; the places
 * that are not what they should be (a FIFO crontab, a cron folder of 100,000 entries) are findings
 * of their own.
 */
import {
  collectPersistence,
  judgeEntry,
  oddPlaceFinding,
  persistenceFinding,
  publicEntry,
} from '../persistence-checks.js';
import type { CollectedEntry } from '../persistence-types.js';
import { isAbortError } from '../scan-context.js';
import { plural, type ScanStep } from './step.js';

/** Harmless persistence entries listed in a report at most (suspicious ones always are). */
export const MAX_LISTED_ENTRIES = 2_000;

export const persistenceStep: ScanStep = async (scan, { ctx, timedOut }) => {
  const { platform, root, findings, persistence } = scan;
  const entries: CollectedEntry[] = [];
  let stopped = false;
  try {
    await collectPersistence(ctx, scan.runTool, entries);
  } catch (e) {
    // At the time limit the entries read so far are still judged and reported.
    if (!isAbortError(e) || !timedOut()) throw e;
    stopped = true;
  }
  const odd = ctx.oddPlaces.length;
  for (const o of ctx.oddPlaces) findings.add(oddPlaceFinding(o));
  let flagged = 0;
  let listed = 0;
  let unlisted = 0;
  for (const e of entries) {
    const v = judgeEntry(e, platform, scan.domains);
    if (!e.shellScript || v) {
      // Suspicious entries are always listed (and are findings); harmless ones up to a bound,
      // so a folder stuffed with thousands of jobs cannot swell the report without end.
      if (v || persistence.length < MAX_LISTED_ENTRIES) persistence.push(publicEntry(e));
      else unlisted++;
      listed++;
    }
    if (!v) continue;
    flagged++;
    const f = findings.add(persistenceFinding(e, v));
    if (v.program) scan.persistencePrograms.set(f, v.program);
  }
  if (unlisted > 0) {
    ctx.problem(
      'persistence',
      null,
      `${plural(unlisted, 'harmless entry', 'harmless entries')} not listed in this report: it lists at most ${MAX_LISTED_ENTRIES.toLocaleString('en-US')}`,
    );
  }
  const problems = ctx.problems.filter((p) => p.step === 'persistence').length;
  const where = root === '/' ? '' : ` under ${root}`;
  const cut = stopped ? '; stopped at its time limit' : '';
  return {
    status: problems > 0 || odd > 0 || stopped ? 'partial' : 'ok',
    detail: `${plural(listed, 'entry', 'entries')}${where}, ${flagged + odd} suspicious${problems > 0 ? `; ${plural(problems, 'place')} could not be read` : ''}${cut}`,
  };
};
