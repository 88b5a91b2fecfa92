/**
 * Step 2, miner signatures: what each command line says, and the config files a process names or
 * would find beside its executable. The pool hosts those files name are kept for the network step.
 */
import { readlinkSync } from 'node:fs';
import { inSystemFolder } from '../../detect/provenance.js';
import {
  analyseMinerConfig,
  configArgs,
  configCandidates,
  isMinerConfig,
  type MinerConfigVerdict,
} from '../miner-config.js';
import { signatureIssue } from '../process-rules.js';
import { throwIfAborted } from '../scan-context.js';
import { addProcFinding, plural, type ScanStep } from './step.js';

export const signaturesStep: ScanStep = async (scan, { progress, signal, ctx }) => {
  const { platform, procRoot, snapshot, configHosts } = scan;
  const verdicts = new Map<string, MinerConfigVerdict | null>();
  let configs = 0;
  let i = 0;
  for (const p of snapshot.procs) {
    if (++i % 256 === 0) {
      progress(i / snapshot.procs.length);
      throwIfAborted(signal);
    }
    const sig = signatureIssue(p, platform);
    if (sig) addProcFinding(scan, p, sig);
    if (p.kernelThread) continue;
    const named = configArgs(p.argv).length > 0;
    // Programs in the system folders are packaged, and /usr/bin/config.json is nobody's miner config.
    if (!named && (p.exe === null || inSystemFolder(p.exe, platform))) continue;
    const cwd = named && platform === 'linux' ? readCwd(procRoot, p.pid) : null;
    for (const path of configCandidates(p.exe, p.argv, cwd, platform)) {
      let v = verdicts.get(path);
      if (v === undefined) {
        const buf = await ctx.readText('signatures', ctx.resolve(path), 1024 * 1024);
        v = buf === null ? null : analyseMinerConfig(buf.toString('utf8'));
        if (buf !== null) configs++;
        verdicts.set(path, v);
      }
      if (!v) continue;
      configHosts.set(p.pid, [...(configHosts.get(p.pid) ?? []), ...v.hosts]);
      if (!isMinerConfig(v)) continue;
      addProcFinding(scan, p, {
        rule: 'miner-config',
        severity: 'high',
        title: `Uses a miner configuration file: ${path}`,
        evidence: [`file: ${ctx.resolve(path)}`, ...v.marks],
      });
    }
  }
  progress(1);
  return {
    status: 'ok',
    detail: `${plural(snapshot.procs.length, 'command line')}, ${plural(configs, 'config file')} read`,
  };
};

function readCwd(procRoot: string, pid: number): string | null {
  try {
    return readlinkSync(`${procRoot}/${pid}/cwd`);
  } catch {
    return null;
  }
}
