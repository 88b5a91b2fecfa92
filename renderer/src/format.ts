export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}%`;
}

export function duration(sec: number | null): string {
  if (sec === null) return 'unknown';
  if (sec < 60) return `${Math.floor(sec)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min`;
  return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
}
