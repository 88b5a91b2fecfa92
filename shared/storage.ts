/** Idlewatch's own data files as the UI and the CLI see them: problems found in them, history records. */
import type { Incident } from './detection.js';

/** A problem found in one of Idlewatch's data files, for the UI and the CLI to show. */
export interface StoreProblem {
  /** Full path of the file the problem is in. */
  file: string;
  /** What is wrong, in words: "settings.idleThresholdSec must be a whole number from 10 to 86400, got -5". */
  problem: string;
  /** Where the unreadable file was moved (kept, never deleted); null when it was not moved. */
  movedTo: string | null;
  /** 1-based line number, for problems in JSON-lines files. */
  line?: number;
}

/** One line of the incident history (incidents.jsonl). */
export interface IncidentRecord {
  /** When Idlewatch recorded it, epoch ms (what retention is measured against). */
  recordedAt: number;
  incident: Incident;
}
