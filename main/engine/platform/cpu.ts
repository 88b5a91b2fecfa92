import { cpus } from 'node:os';

/** Whole-machine CPU as every platform's CPU collector reports it. */
export interface CpuReading {
  /** Whole-machine CPU use, percent of all cores (0..100); null until two readings exist. */
  cpu: number | null;
  cores: number;
}

/** Logical cores of this machine: the scale of a process's CPU percent (100 per core). */
export function logicalCores(): number {
  return cpus().length || 1;
}
