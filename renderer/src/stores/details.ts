/** The process details drawer's data: fetched when it opens, again on request (with the hash). */
import { create } from 'zustand';
import type { ProcessDetails, ProcessKey } from '../../../shared/ipc.js';
import { processKey } from '../../../shared/identity.js';
import { api } from '../api.js';
import { errorMessage } from '../lib/format.js';

export interface DetailsState {
  key: string | null;
  details: ProcessDetails | null;
  loading: boolean;
  hashing: boolean;
  /** The hash was asked for (so a null sha256 means it could not be read). */
  hashAsked: boolean;
  error: string | null;
}

export const useDetails = create<DetailsState>(() => ({
  key: null,
  details: null,
  loading: false,
  hashing: false,
  hashAsked: false,
  error: null,
}));

export async function loadDetails(key: ProcessKey, hash = false): Promise<void> {
  const k = processKey(key);
  useDetails.setState((s) =>
    s.key === k
      ? { loading: !hash, hashing: hash, error: null }
      : { key: k, details: null, loading: true, hashing: hash, hashAsked: false, error: null },
  );
  try {
    const details = await api().getProcessDetails(key, hash);
    if (useDetails.getState().key !== k) return;
    useDetails.setState((s) => ({
      details,
      loading: false,
      hashing: false,
      hashAsked: s.hashAsked || hash,
      error: details ? null : 'Idlewatch has no record of this process any more.',
    }));
  } catch (e) {
    if (useDetails.getState().key !== k) return;
    useDetails.setState({ loading: false, hashing: false, error: errorMessage(e) });
  }
}

export function clearDetails(): void {
  useDetails.setState({ key: null, details: null, loading: false, hashing: false, hashAsked: false, error: null });
}
