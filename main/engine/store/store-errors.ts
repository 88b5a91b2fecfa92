import { basename } from 'node:path';

/** Why a save failed, in words; the file on disk is still the previous version. */
export class StoreWriteError extends Error {
  constructor(
    readonly file: string,
    /** The errno code (ENOSPC, EDQUOT, EROFS, EACCES, …), when there was one. */
    readonly code: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreWriteError';
  }
}

const EXPLAINED: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'your disk quota is used up',
  EROFS: 'the disk is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EFBIG: 'the file is larger than this system allows',
  EIO: 'the disk reported an input/output error',
};

/** Wraps an fs error from a save into a StoreWriteError saying what happened and that nothing was lost. */
export function writeFailure(file: string, err: unknown, kept = 'the previous version is unchanged'): StoreWriteError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const why = (code && EXPLAINED[code]) ?? (err instanceof Error ? err.message : String(err));
  const suffix = code && EXPLAINED[code] ? ` (${code})` : '';
  return new StoreWriteError(file, code, `could not save ${basename(file)}: ${why}${suffix}; ${kept}`, { cause: err });
}
