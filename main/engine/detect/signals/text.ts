/** Evidence wording: short, concrete, in words a gamer understands ("GPU 95% for 22 s while you were away"). */
import type { LoadKind } from './load.js';

export function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const r = s % 60;
    return r === 0 || m >= 10 ? `${m} min` : `${m} min ${r} s`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** "GPU 95%", "CPU 390% (about 4 cores)". */
export function load(kind: LoadKind, value: number): string {
  const v = Math.round(value);
  if (kind === 'gpu') return `GPU ${v}%`;
  return v >= 150 ? `CPU ${v}% (about ${Math.round(v / 100)} cores)` : `CPU ${v}%`;
}

export function kindName(kind: LoadKind): string {
  return kind === 'gpu' ? 'GPU' : 'CPU';
}
