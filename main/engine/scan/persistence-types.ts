import type { PersistenceEntry } from '../../../shared/scan.js';

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
}
