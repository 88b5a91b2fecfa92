import { join } from 'node:path';
import type { StoreProblem } from '../../../shared/storage.js';
import type { AtomicWriteFs } from './atomic-write.js';
import { isRecord, type Validation } from './validate.js';
import { loadVersionedJson, saveVersionedJson } from './versioned-json.js';

export const REVIEWED_FILE = 'reviewed.json';
export const REVIEWED_VERSION = 1;
/** The file never grows without bound: the oldest marks go first (incidents that old are pruned anyway). */
export const REVIEWED_MAX = 5000;

const KEY = /^\d+@\d+$/;

function validate(doc: Record<string, unknown>): Validation<Map<string, number>> {
  const raw = doc.reviewed;
  if (!isRecord(raw)) return { ok: false, errors: ['reviewed must be an object of "PID@START": epoch ms'] };
  const out = new Map<string, number>();
  const errors: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (!KEY.test(k)) errors.push(`reviewed has a key that is not PID@START: ${JSON.stringify(k.slice(0, 40))}`);
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      errors.push(`reviewed.${k} must be a time in epoch ms, got ${JSON.stringify(v)}`);
    else out.set(k, v);
  }
  return errors.length ? { ok: false, errors: errors.slice(0, 5) } : { ok: true, value: out };
}

/**
 * Which incidents the user marked as reviewed (reviewed.json in the data folder), keyed by process
 * identity. Saved atomically after every change, serialised, bounded to REVIEWED_MAX marks.
 */
export class ReviewStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly marks: Map<string, number>,
    readonly problems: StoreProblem[],
    private readonly fs: AtomicWriteFs | undefined,
  ) {}

  static async load(dataDir: string, opts: { now?: () => number; fs?: AtomicWriteFs } = {}): Promise<ReviewStore> {
    const path = join(dataDir, REVIEWED_FILE);
    const loaded = await loadVersionedJson(
      path,
      { version: REVIEWED_VERSION, validate, defaults: () => new Map<string, number>() },
      opts.now,
    );
    return new ReviewStore(path, loaded.value, loaded.problems, opts.fs);
  }

  has(key: string): boolean {
    return this.marks.has(key);
  }

  get size(): number {
    return this.marks.size;
  }

  /** Marks or unmarks; resolves once the file holds the change (rejects, unchanged in memory, if the write fails). */
  set(key: string, reviewed: boolean, atMs: number): Promise<void> {
    return this.serial(async () => {
      const before = this.marks.get(key);
      if (reviewed) {
        this.marks.delete(key); // re-insert so the newest is last (the map's order is the pruning order)
        this.marks.set(key, atMs);
        while (this.marks.size > REVIEWED_MAX) {
          const oldest = this.marks.keys().next().value as string;
          this.marks.delete(oldest);
        }
      } else if (!this.marks.delete(key)) return;
      try {
        await saveVersionedJson(this.path, REVIEWED_VERSION, { reviewed: Object.fromEntries(this.marks) }, this.fs);
      } catch (e) {
        if (before === undefined) this.marks.delete(key);
        else this.marks.set(key, before);
        throw e;
      }
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
