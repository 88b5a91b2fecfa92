/**
 * The adversarial families (families/miners-adversarial.ts) and what they need from the generator
 * and the scoring: a process that execs into the miner (its first appearance is the script, the
 * ground truth names the miner, a detection under the script's name does not count), and a miner
 * that pauses while a process monitor runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayFile } from '../main/engine/detect/replay.js';
import { writeScenario } from './scenarios/generator.js';
import { buildScenario, corpus } from './scenarios/scenarios.js';
import { scoreScenario } from './scenarios/score.js';
import { verifyTrace } from './scenarios/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-adv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string) {
  const ref = corpus(name).find((r) => r.name === name);
  if (!ref) throw new Error(`no scenario ${name}`);
  const scenario = buildScenario(ref.family, ref.variant);
  const file = join(dir, `${name.replace('#', '_')}.jsonl.gz`);
  const truth = writeScenario(scenario, file, 1);
  const problems = await verifyTrace(file, scenario, truth);
  const { incidents } = await replayFile(file);
  return { scenario, truth, problems, incidents };
}

describe('exec-on-leave: a script that execs the miner when the user leaves', () => {
  it('the trace shows the script first, the miner after the exec, and the truth names the miner', async () => {
    const { scenario, truth, problems, incidents } = await run('exec-on-leave#0');
    expect(problems).toEqual([]);
    expect(truth.nameCheck).toBe(true);
    const target = truth.targets[0]!;
    expect(target.was?.[0]?.name).toMatch(/^(sh|bash)$/);
    expect(target.name).not.toBe(target.was?.[0]?.name);
    const base = {
      truth,
      summary: scenario.summary,
      source: 'synthetic' as const,
      generateMs: 0,
      replayMs: 0,
      warnings: 0,
    };
    const named = scoreScenario({ ...base, incidents });
    expect(named.outcome).toBe('detected');
    // The same incident under the script's name is no detection: the user would look for a shell.
    const asScript = incidents.map((i) =>
      i.pid === target.pid ? { ...i, name: target.was![0]!.name, exe: target.was![0]!.exe } : i,
    );
    expect(scoreScenario({ ...base, incidents: asScript }).outcome).toBe('misnamed');
  }, 60_000);
});

describe('hides-when-watched: a miner that pauses while a process monitor runs', () => {
  it('the monitor tools are in the trace, the miner pauses with them, and the rule sees it', async () => {
    const { problems, truth, incidents } = await run('hides-when-watched#0');
    expect(problems).toEqual([]);
    expect(truth.lookalikes.length).toBeGreaterThan(0);
    const miner = incidents.find((i) => i.pid === truth.targets[0]!.pid);
    expect(miner?.reasons.map((r) => r.rule)).toContain('hides-when-watched');
    for (const tool of truth.lookalikes) expect(incidents.find((i) => i.pid === tool.pid)).toBeUndefined();
  }, 60_000);
});
