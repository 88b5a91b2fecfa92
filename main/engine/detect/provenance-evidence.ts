/**
 * Provenance evidence: what where a program runs from, and what it calls itself, is worth. One
 * table read by the detector (the live monitor and `idlewatch replay`) and by the deep scan's
 * process rules, so the same process gets the same weight, the same severity and the same words
 * from all three. A memfd process with no load and no network used to be low in the monitor and
 * high in the scan: the scan had its own severities.
 *
 * The weights are points in the detector's scale (scoring.ts). The scan has no sensitivity setting
 * and no load history, so it takes the severity those points earn alone at normal sensitivity; a
 * process with two kinds of finding is raised by the scan's corroboration, as the detector adds.
 */
import type { Severity } from '../../../shared/detection.js';
import type { Platform } from '../../../shared/trace.js';
import { inInstalledFolder, isDeleted, type PathFinding } from './provenance.js';
import { THRESHOLDS, WEIGHTS } from './scoring.js';

export type ProvenanceKind =
  | 'fileless'
  | 'deleted'
  | 'replaced-by-update'
  | 'location'
  | 'world-writable'
  | 'kernel-thread-impostor'
  | 'system-name-impostor'
  | 'system-name-typo';

/** The rule a kind is reported under: both the detector's RuleId and the scan's ScanRule have these. */
export type ProvenanceRule =
  | 'deleted-executable'
  | 'temp-folder-executable'
  | 'world-writable-folder'
  | 'kernel-thread-impostor'
  | 'system-name-impostor';

export interface ProvenanceSpec {
  rule: ProvenanceRule;
  /** Points for the process as it is seen first (and as the scan sees it: one snapshot). */
  points: number;
  /**
   * Points once it has kept a CPU or GPU busy for a while: an installer runs from Temp briefly, a
   * dropped miner stays. Only the detector sees load over time.
   */
  loadedPoints: number;
  /** Why it matters, in a sentence for the scan's evidence list. */
  why: string;
}

export const PROVENANCE_EVIDENCE: Readonly<Record<ProvenanceKind, ProvenanceSpec>> = {
  fileless: {
    rule: 'deleted-executable',
    points: WEIGHTS.fileless,
    loadedPoints: WEIGHTS.fileless,
    // Container runtimes (runc) re-exec themselves from memfd too: strong, not damning on its own.
    why: 'its executable is an anonymous memory file (memfd): a way to run a program that leaves no file to find',
  },
  deleted: {
    rule: 'deleted-executable',
    points: WEIGHTS.deleted,
    loadedPoints: WEIGHTS.deletedLoaded,
    why: 'programs that delete their own file after starting are hiding from file scans; a rebuilt program looks the same',
  },
  'replaced-by-update': {
    rule: 'deleted-executable',
    points: WEIGHTS.deletedPackaged,
    loadedPoints: WEIGHTS.deletedPackaged,
    why: 'the file lived in a system or install folder, so an update most likely replaced it; restarting the program clears this',
  },
  location: {
    rule: 'temp-folder-executable',
    points: WEIGHTS.location,
    loadedPoints: WEIGHTS.locationLoaded,
    why: 'installed software does not run from temporary, cache or hidden folders; droppers do',
  },
  'world-writable': {
    rule: 'world-writable-folder',
    // Anyone could have replaced the program: the same doubt as a temp folder, which is one too.
    points: WEIGHTS.location,
    loadedPoints: WEIGHTS.locationLoaded,
    why: 'anyone on this machine could have replaced it',
  },
  'kernel-thread-impostor': {
    rule: 'kernel-thread-impostor',
    points: WEIGHTS.kernelImpostor,
    loadedPoints: WEIGHTS.kernelImpostor,
    why: 'kernel threads have no program file and no command line; miners borrow their names to look harmless',
  },
  'system-name-impostor': {
    rule: 'system-name-impostor',
    points: WEIGHTS.systemImpostor,
    loadedPoints: WEIGHTS.systemImpostor,
    why: 'system programs live in the system folder; miners borrow their names to look harmless',
  },
  'system-name-typo': {
    rule: 'system-name-impostor',
    points: WEIGHTS.typoImpostor,
    loadedPoints: WEIGHTS.typoImpostor,
    why: 'a system name with one letter changed, outside the system folder, is chosen to be misread',
  },
};

/** The severity points earn on their own at normal sensitivity; null below the mark for an incident. */
export function provenanceSeverity(points: number): Severity | null {
  const t = THRESHOLDS.normal;
  return points >= t.high ? 'high' : points >= t.medium ? 'medium' : points >= t.low ? 'low' : null;
}

/** How the executable's file is gone, if it is: memfd (never had one), replaced by an update, or deleted. */
export function deletedFinding(exe: string | null, platform: Platform): { packaged: boolean; memfd: boolean } | null {
  // memfd_create: the kernel shows `/memfd:NAME (deleted)`; some readers drop the suffix.
  const memfd = platform === 'linux' && exe !== null && exe.startsWith('/memfd:');
  if (!memfd && !isDeleted(exe)) return null;
  return { packaged: !memfd && inInstalledFolder(exe, platform), memfd };
}

/** The provenance facts about one process, however they were found (identity.ts, the scan's path rules). */
export interface ProvenanceFacts {
  exe: string | null;
  locations: readonly PathFinding[];
  deleted: { packaged: boolean; memfd: boolean } | null;
  kernelImpostor: { posedAs: string; evidence: string } | null;
  systemImpostor: { posedAs: string; expected: string; typo: boolean } | null;
  /** The folder every user can write that holds the executable (the scan checks; traces do not say). */
  worldWritableDir?: string | null;
}

export interface ProvenanceItem {
  kind: ProvenanceKind;
  rule: ProvenanceRule;
  points: number;
  /** What those points earn alone (normal sensitivity). */
  severity: Severity | null;
  /** The finding in the detector's words (lower case; the scan capitalises it for a title). */
  detail: string;
  why: string;
}

/** Every provenance finding of a process, weighed from the one table. `loaded`: it has kept a CPU or GPU busy. */
export function provenanceEvidence(f: ProvenanceFacts, loaded: boolean): ProvenanceItem[] {
  const exe = f.exe ?? '';
  const out: ProvenanceItem[] = [];
  const add = (kind: ProvenanceKind, detail: string): void => {
    const spec = PROVENANCE_EVIDENCE[kind];
    const points = loaded ? spec.loadedPoints : spec.points;
    out.push({ kind, rule: spec.rule, points, severity: provenanceSeverity(points), detail, why: spec.why });
  };
  if (f.kernelImpostor) {
    add(
      'kernel-thread-impostor',
      `named like the Linux kernel thread ${f.kernelImpostor.posedAs}, but ${f.kernelImpostor.evidence}; kernel threads have neither`,
    );
  }
  if (f.systemImpostor) {
    const si = f.systemImpostor;
    add(
      si.typo ? 'system-name-typo' : 'system-name-impostor',
      `named like the system program ${si.posedAs}, but runs from ${exe}; the real one lives in ${si.expected}`,
    );
  }
  if (f.locations.length > 0) {
    add('location', `runs from ${f.locations.map((l) => l.where).join(' and ')}: ${exe}`);
  } else if (f.worldWritableDir) {
    add('world-writable', `runs from a folder every user can write: ${f.worldWritableDir}`);
  }
  if (f.deleted) {
    if (f.deleted.memfd)
      add('fileless', `runs from memory (${exe}) with no program file on disk, as fileless malware does`);
    else if (f.deleted.packaged)
      add('replaced-by-update', `its program file was replaced while it ran (an update?): ${exe}`);
    else add('deleted', `its program file was deleted after it started: ${exe}`);
  }
  return out;
}
