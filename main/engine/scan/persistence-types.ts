import type { Severity } from '../../../shared/detection.js';
import type { PersistenceEntry, ScanRule } from '../../../shared/scan.js';

/** A persistence entry as a collector found it, before it is judged. */
export interface CollectedEntry extends PersistenceEntry {
  fileState: { size: number; mtimeMs: number; sha256: string } | null;
  /** Home of the user it runs as, for `~` and `$HOME` in its command. */
  home: string | null;
  /**
   * Lines of shell start-up files and scripts: listed only when suspicious (they are mostly not
   * about starting programs), and sourced dot-files are normal there.
   */
  shellScript: boolean;
  /** Extra facts a collector knows (the timer that starts a service). */
  notes: string[];
  /** Set by a collector that judged the entry itself (a Defender exclusion runs no command to check): why it is suspicious. */
  judged?: string[];
  /** How bad what `judged` says is (default medium; a Defender exclusion's is always high). */
  judgedSeverity?: Severity;
  /** The finding's rule when `judged` says why (default `persistence`). */
  rule?: ScanRule;
  /** The program the entry starts, when the collector knows it (the allowlist is matched on it). */
  program?: string | null;
}
