import { appendFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IncidentLog } from '../main/engine/store/incident-log.js';
import { ValidationError } from '../main/engine/store/validate.js';
import { incident, tempDir } from './helpers/store-fixtures.js';

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00Z');

describe('incident history (incidents.jsonl)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('iw-history-'));
  });
  afterEach(() => cleanup());

  it('appends versioned JSON lines and reads them back in order', async () => {
    const log = new IncidentLog(dir, { now: () => NOW });
    await log.append(incident({ pid: 1 }));
    await log.append(incident({ pid: 2, exe: null, user: null, severity: 'low' }), NOW + 5);
    const lines = readFileSync(log.path, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ v: 1, recordedAt: NOW, incident: { pid: 1 } });
    const { records, problems } = await log.read();
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { recordedAt: NOW, incident: incident({ pid: 1 }) },
      { recordedAt: NOW + 5, incident: incident({ pid: 2, exe: null, user: null, severity: 'low' }) },
    ]);
  });

  it('refuses to record an invalid incident', async () => {
    const log = new IncidentLog(dir);
    const bad = { ...incident(), score: 7 };
    await expect(log.append(bad)).rejects.toThrow(ValidationError);
    await expect(log.append(bad)).rejects.toThrow(/incident\.score must be a number from 0 to 1, got 7/);
  });

  it('rotates at the size limit and keeps only K rotated files', async () => {
    const log = new IncidentLog(dir, { maxFileBytes: 2048, keepFiles: 2 });
    let t = NOW;
    for (let pid = 1; pid <= 30; pid++) await log.append(incident({ pid }), t++);
    const files = await log.files();
    expect(files).toEqual([log.rotatedPath(2), log.rotatedPath(1), log.path]);
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(2048);
    const { records, problems } = await log.read();
    expect(problems).toEqual([]);
    // The newest records survive, oldest first, with nothing missing in between.
    const pids = records.map((r) => r.incident.pid);
    expect(pids.at(-1)).toBe(30);
    expect(pids).toEqual(Array.from({ length: pids.length }, (_, i) => 31 - pids.length + i));
    expect(pids.length).toBeLessThan(30);
  });

  it('prunes records older than the retention period, deleting files left empty', async () => {
    const log = new IncidentLog(dir, { maxFileBytes: 2048, keepFiles: 3, now: () => NOW });
    // An old rotated file and a live file mixing old and recent records.
    for (let pid = 1; pid <= 5; pid++) await log.append(incident({ pid }), NOW - 60 * DAY + pid);
    await log.append(incident({ pid: 6 }), NOW - 40 * DAY);
    await log.append(incident({ pid: 7 }), NOW - 10 * DAY);
    await log.append(incident({ pid: 8 }), NOW - 1000);
    expect((await log.files()).length).toBeGreaterThan(1);

    const { removed } = await log.prune(30);

    expect(removed).toBe(6);
    const { records } = await log.read();
    expect(records.map((r) => r.incident.pid)).toEqual([7, 8]);
    expect(await log.files()).toEqual([log.path]);
    expect((await log.prune(30)).removed).toBe(0);
  });

  it('skips and reports corrupt lines with their line numbers; the next append starts a fresh line', async () => {
    const log = new IncidentLog(dir, { now: () => NOW });
    await log.append(incident({ pid: 1 }));
    appendFileSync(log.path, 'this is not json\n');
    await log.append(incident({ pid: 3 }));
    appendFileSync(
      log.path,
      `${JSON.stringify({ v: 1, recordedAt: NOW, incident: { ...incident(), severity: 'apocalyptic' } })}\n`,
    );
    appendFileSync(log.path, `${JSON.stringify({ v: 2, recordedAt: NOW, incident: incident() })}\n`);
    // A crash mid-append: half a line, no newline.
    const whole = JSON.stringify({ v: 1, recordedAt: NOW, incident: incident({ pid: 6 }) });
    appendFileSync(log.path, whole.slice(0, 40));

    await log.append(incident({ pid: 7 }));
    const { records, problems } = await log.read();

    expect(records.map((r) => r.incident.pid)).toEqual([1, 3, 7]);
    expect(problems.map((p) => [p.line, p.file, p.movedTo])).toEqual([
      [2, log.path, null],
      [4, log.path, null],
      [5, log.path, null],
      [6, log.path, null],
    ]);
    expect(problems[0]?.problem).toMatch(/^line 2: not valid JSON .*; the line was skipped$/);
    expect(problems[1]?.problem).toContain(
      'line 4: incident.severity must be one of low, medium, high, got "apocalyptic"',
    );
    expect(problems[2]?.problem).toContain(
      'line 5: written by a newer Idlewatch (record version 2; this version reads up to 1)',
    );
    expect(problems[3]?.problem).toMatch(/^line 6: not valid JSON/);
  });

  it('pruning keeps unreadable lines while their file is recent, and drops them with a file older than the cutoff', async () => {
    const log = new IncidentLog(dir, { now: () => NOW });
    writeFileSync(log.path, `garbage\n${JSON.stringify({ v: 1, recordedAt: NOW - 90 * DAY, incident: incident() })}\n`);
    expect((await log.prune(30)).removed).toBe(1);
    expect(readFileSync(log.path, 'utf8')).toBe('garbage\n');
    const old = new Date(NOW - 31 * DAY);
    utimesSync(log.path, old, old);
    await log.prune(30);
    expect(await log.files()).toEqual([]);
  });

  it('an empty or missing folder has no history and no problems', async () => {
    expect(await new IncidentLog(`${dir}/nope`).read()).toEqual({ records: [], problems: [] });
  });
});
