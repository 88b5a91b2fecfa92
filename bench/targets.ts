// The performance targets the benchmarks check, in one place, so a benchmark's verdict and the
// figure a reader compares it with cannot drift apart.

export interface Target {
  /** What is measured, as the verdict line starts: "engine CPU". */
  name: string;
  limit: number;
  /** 'max': the measured value must not exceed the limit; 'min': it must reach it. */
  kind: 'max' | 'min';
  /** A value (measured or the limit) in words: "0.25% of one core". */
  format(v: number): string;
}

export const TARGETS = {
  engineCpu: {
    name: 'engine CPU',
    limit: 0.25,
    kind: 'max',
    format: (v) => `${v.toFixed(2)}% of one core`,
  },
  cheaperThanSystemInformation: {
    name: 'engine vs systeminformation.processes()',
    limit: 150,
    kind: 'min',
    format: (v) => `${v.toFixed(0)}× cheaper`,
  },
  engineRss: {
    name: 'engine RSS (steady, at the end of the run)',
    limit: 80,
    kind: 'max',
    format: (v) => `${v.toFixed(0)} MB`,
  },
  engineCpu10k: {
    name: 'engine CPU at 10,000 processes',
    limit: 1,
    kind: 'max',
    format: (v) => `${v.toFixed(2)}% of one core`,
  },
  engineTickP95_10k: {
    name: 'engine tick p95 at 10,000 processes',
    limit: 50,
    kind: 'max',
    format: (v) => `${v.toFixed(1)} ms`,
  },
  engineRss10k: {
    name: 'engine RSS at 10,000 processes (steady)',
    limit: 150,
    kind: 'max',
    format: (v) => `${v.toFixed(0)} MB`,
  },
  engineCpuChurn: {
    name: 'engine CPU with process churn',
    limit: 2,
    kind: 'max',
    format: (v) => `${v.toFixed(2)}% of one core`,
  },
  deepScan: {
    name: 'deep scan median',
    limit: 5000,
    kind: 'max',
    format: (v) => `${Math.round(v)} ms`,
  },
} satisfies Record<string, Target>;

export interface Verdict {
  name: string;
  value: number;
  limit: number;
  kind: Target['kind'];
  met: boolean;
  /** "engine CPU 0.48% of one core — target ≤ 0.25% of one core: NOT MET" */
  line: string;
}

export function verdict(t: Target, value: number): Verdict {
  const met = t.kind === 'max' ? value <= t.limit : value >= t.limit;
  const line = `${t.name} ${t.format(value)} — target ${t.kind === 'max' ? '≤' : '≥'} ${t.format(t.limit)}: ${met ? 'met' : 'NOT MET'}`;
  return { name: t.name, value, limit: t.limit, kind: t.kind, met, line };
}
