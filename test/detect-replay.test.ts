import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../main/cli/replay.js';
import { replayFile } from '../main/engine/detect/replay.js';
import { buildStream, type Segment, wobble } from '../main/engine/detect/sample-builder.js';
import { REPO_ROOT } from './captured.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-detect-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const session: Segment[] = [
  { kind: 'active', sec: 90 },
  { kind: 'away', sec: 300 },
  { kind: 'active', sec: 60 },
];

/** A trace with one stealth GPU miner and one quiet process whose name carries escape codes. */
function traceLines(): string[] {
  const { header, samples } = buildStream({
    session,
    procs: [
      {
        pid: 4242,
        name: 'nvhelper',
        exe: '/home/ana/.cache/.nv/nvhelper',
        cmdline: '/home/ana/.cache/.nv/nvhelper --quiet',
        load: (c) => ({ gpu: c.awayMs !== null && c.awayMs > 70_000 ? 95 + wobble(c.t) : 0 }),
        conns: [{ proto: 'tcp', remote: '198.51.100.7:3333', state: 'ESTABLISHED' }],
      },
      { pid: 66, name: 'evil\u001b[2Jname', exe: '/tmp/evil\u0007', cmdline: 'x' },
    ],
  });
  return [JSON.stringify(header), ...samples.map((s) => JSON.stringify(s))];
}

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function cli(file: string, json: boolean): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const code = await runReplay({ file, json, out, err });
  return { code, out: out.text, err: err.text };
}

describe('replay output', () => {
  it('--json prints exactly the spec object: trace, samples, incidents with the spec fields in order', async () => {
    const lines = traceLines();
    const file = write('t.jsonl', `${lines.join('\n')}\n`);
    const r = await cli(file, true);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const out = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['trace', 'samples', 'incidents']);
    expect(out.trace).toBe(file);
    expect(out.samples).toBe(lines.length - 1);
    const incidents = out.incidents as Record<string, unknown>[];
    expect(incidents.length).toBeGreaterThanOrEqual(1);
    for (const i of incidents) {
      expect(Object.keys(i)).toEqual(['pid', 'name', 'exe', 'severity', 'score', 'firstAt', 'lastAt', 'reasons']);
      expect(['low', 'medium', 'high']).toContain(i.severity);
      expect(i.score).toBeGreaterThanOrEqual(0);
      expect(i.score).toBeLessThanOrEqual(1);
      for (const reason of i.reasons as Record<string, unknown>[])
        expect(Object.keys(reason)).toEqual(['rule', 'detail']);
    }
    const miner = incidents.find((i) => i.pid === 4242)!;
    expect(miner).toMatchObject({ name: 'nvhelper', exe: '/home/ana/.cache/.nv/nvhelper', severity: 'high' });
    expect((miner.reasons as { rule: string }[]).map((x) => x.rule)).toEqual(
      expect.arrayContaining([
        'temp-folder-executable',
        'pool-connection',
        'gpu-while-idle',
        'onset-after-idle',
        'stops-on-activity',
      ]),
    );
    // incidents in firstAt order
    const firsts = incidents.map((i) => i.firstAt as number);
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
  });

  it('reads gzip traces and gives the same result', async () => {
    const lines = traceLines();
    const plain = await replayFile(write('p.jsonl', `${lines.join('\n')}\n`), { traceName: 'x' });
    const gz = await replayFile(write('p.jsonl.gz', gzipSync(`${lines.join('\n')}\n`)), { traceName: 'x' });
    expect(gz.output).toEqual(plain.output);
  });

  it('prints a readable table without letting names drive the terminal', async () => {
    const file = write('h.jsonl', `${traceLines().join('\n')}\n`);
    const r = await cli(file, false);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/incidents? \(1 high/);
    expect(r.out).toMatch(/high\s+0\.\d\d\s+4242\s+nvhelper/);
    expect(r.out).toContain('- stops-on-activity: GPU fell');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking they are gone
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});

describe('bad input', () => {
  it('a malformed line: a message naming the line on stderr, exit 2', async () => {
    const lines = traceLines();
    lines[2] = '{"t": 2000, "user": {'; // line 3 of the file
    const r = await cli(write('bad.jsonl', `${lines.join('\n')}\n`), true);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/bad\.jsonl:3: not valid JSON/);
  });

  it('t going backwards, a wrong header and a missing file are refused the same way', async () => {
    const lines = traceLines();
    const back = JSON.parse(lines[5]!) as { t: number };
    back.t = 0;
    lines[5] = JSON.stringify(back);
    expect((await cli(write('back.jsonl', `${lines.join('\n')}\n`), true)).err).toMatch(
      /back\.jsonl:6: t goes backwards/,
    );
    const r = await cli(write('hdr.jsonl', '{"format":"other"}\n'), true);
    expect(r).toMatchObject({ code: 2 });
    expect(r.err).toMatch(/hdr\.jsonl:1: unknown format/);
    expect((await cli(join(dir, 'nope.jsonl'), true)).code).toBe(2);
  });

  it('a torn last line: a warning on stderr, still exit 0', async () => {
    const lines = traceLines();
    const text = `${lines.join('\n')}\n${lines[lines.length - 1]!.slice(0, 40)}`;
    const r = await cli(write('torn.jsonl', text), true);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*torn\.jsonl:\d+: last line is incomplete/);
    expect((JSON.parse(r.out) as { samples: number }).samples).toBe(lines.length - 1);
  });
});

// The built CLI (npm test builds first; run `node scripts/build.mjs cli` before running this file alone).
const BUNDLE = join(REPO_ROOT, 'out', 'cli', 'idlewatch.js');

describe('idlewatch replay (built CLI)', () => {
  it('exits 0 with the JSON, 2 on a malformed file', () => {
    expect(existsSync(BUNDLE), `${BUNDLE} is missing: build first (node scripts/build.mjs cli)`).toBe(true);
    const good = write('cli.jsonl', `${traceLines().join('\n')}\n`);
    const ok = spawnSync(process.execPath, [BUNDLE, 'replay', good, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(ok.status).toBe(0);
    expect(Object.keys(JSON.parse(ok.stdout) as object)).toEqual(['trace', 'samples', 'incidents']);
    const bad = write('cli-bad.jsonl', '{"format":"idlewatch-trace","version":1}\nnot json\n{"t":1}\n');
    const r = spawnSync(process.execPath, [BUNDLE, 'replay', bad, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cli-bad\.jsonl:1:/);
  });
});
