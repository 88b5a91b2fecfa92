/**
 * The scenario corpus: every family times its variants, each with its own seed. Names are stable
 * (`family#variant`), so results can be compared run to run.
 */
import { BENIGN_FAMILIES } from './families/benign.js';
import type { Family } from './families/common.js';
import { MINER_FAMILIES } from './families/miners.js';
import type { Scenario } from './model.js';
import { Rng } from './prng.js';

export const CORPUS_SEED = 'idlewatch-corpus-v1';

export const FAMILIES: readonly Family[] = [...MINER_FAMILIES, ...BENIGN_FAMILIES];

export function scenarioName(family: string, variant: number): string {
  return `${family}#${variant}`;
}

/** Builds one scenario (plan only; the trace is written by the generator). */
export function buildScenario(family: Family, variant: number, corpusSeed = CORPUS_SEED): Scenario {
  const name = scenarioName(family.family, variant);
  const seed = `${corpusSeed}/${name}`;
  const { summary, plan } = family.build(new Rng(seed), variant);
  return { name, family: family.family, label: family.label, summary, seed, plan };
}

export interface ScenarioRef {
  name: string;
  family: Family;
  variant: number;
}

/** Every scenario of the corpus, optionally filtered by a substring of its name. */
export function corpus(filter?: string): ScenarioRef[] {
  const refs: ScenarioRef[] = [];
  for (const family of FAMILIES) {
    for (let v = 0; v < family.variants; v++) {
      const name = scenarioName(family.family, v);
      if (!filter || name.includes(filter)) refs.push({ name, family, variant: v });
    }
  }
  return refs;
}
