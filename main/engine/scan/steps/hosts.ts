/**
 * The hosts file: Idlewatch's block of mining domains as Idlewatch last wrote it (a block someone
 * removed, edited, or left without its end marker is tampering), and lines anywhere in the file
 * that send a security or update site to nowhere or elsewhere. The file is read like every scanned
 * file (safe-read: a link to a device or a FIFO in its place is a problem, never a hang). A
 * redirecting line can be removed through the quarantine (`idlewatch fix`), which keeps the file.
 */
import { createHash } from 'node:crypto';
import type { ScanAction } from '../../../../shared/scan.js';
import { judgeBlock } from '../../hosts/block-domains.js';
import { loadBlockState } from '../../hosts/block-state.js';
import {
  foreignBlockLines,
  HostsBlockError,
  type HostsDoc,
  MAX_HOSTS_BYTES,
  parseHosts,
} from '../../hosts/hosts-block.js';
import { findRedirects, type HostsRedirect } from '../../hosts/hosts-redirects.js';
import { hostsFilePath } from '../../hosts/hosts-path.js';
import type { NewFinding } from '../findings.js';
import { plural, type ScanStep } from './step.js';

const WHERE_TEXT: Record<HostsRedirect['where'], string> = {
  nowhere: 'to nowhere',
  private: 'to an address on the local network',
  elsewhere: 'to another server',
};

function redirectFinding(
  hostsPath: string,
  r: HostsRedirect,
  fileState: { size: number; mtimeMs: number; sha256: string },
): NewFinding {
  const first = r.names[0]!;
  const what = [...new Set(r.names.map((n) => n.what))].join(', ');
  const severity: NewFinding['severity'] = r.where === 'nowhere' ? 'medium' : 'high';
  const evidence = [
    `${hostsPath}:${r.line}: ${r.text}`,
    ...r.names.map((n) => `${n.name} is ${n.what} (${n.domain})`),
    r.where === 'nowhere'
      ? `${r.address} sends it nowhere: updates or signature downloads from there fail`
      : r.where === 'private'
        ? `${r.address} is on the local network: a local mirror or cache is one reason, a look-alike server another`
        : `${r.address} is another server: whatever answers there is not ${first.what}`,
  ];
  if (r.others.length > 0)
    evidence.push(`the same line also names ${r.others.slice(0, 5).join(', ')}: removing the line removes them too`);
  const actions: ScanAction[] = [
    { kind: 'remove-persistence', file: hostsPath, line: r.line },
    { kind: 'manual', text: `Remove line ${r.line} from ${hostsPath} (it needs administrator rights).` },
  ];
  return {
    key: `${hostsPath}:${r.line}`,
    rule: 'hosts-redirect',
    severity,
    title: `The hosts file sends ${first.name} (${what}) ${WHERE_TEXT[r.where]}`,
    evidence,
    persistence: {
      kind: 'hosts',
      file: hostsPath,
      line: r.line,
      text: r.text,
      command: `${r.address} ${r.names.map((n) => n.name).join(' ')}`,
      location: null,
      runAs: null,
      fileState,
    },
    actions,
  };
}

export const hostsStep: ScanStep = async (scan, { ctx }) => {
  const hostsPath = hostsFilePath(scan.platform, scan.root);
  const file = await ctx.readFile('hosts', hostsPath, MAX_HOSTS_BYTES);
  if (!file) {
    const unreadable = ctx.problems.some((p) => p.step === 'hosts');
    return {
      status: unreadable ? 'partial' : 'ok',
      detail: unreadable ? `${hostsPath} could not be read` : `${hostsPath} does not exist`,
    };
  }
  const fileState = {
    size: file.data.length,
    mtimeMs: file.mtimeMs,
    sha256: createHash('sha256').update(file.data).digest('hex'),
  };
  const { state, problems } = scan.options.dataDir
    ? await loadBlockState(scan.options.dataDir)
    : { state: null, problems: [] as string[] };
  for (const p of problems) ctx.problem('hosts', null, p);
  const manual = (text: string): ScanAction[] => [{ kind: 'manual', text }];
  let doc: HostsDoc;
  try {
    doc = parseHosts(file.data, scan.platform === 'win32' ? '\r\n' : '\n');
  } catch (e) {
    if (!(e instanceof HostsBlockError)) throw e;
    scan.findings.add({
      key: hostsPath,
      rule: 'hosts-tamper',
      severity: 'high',
      title: `Idlewatch's block in the hosts file is broken: ${e.message.split(';')[0]}`,
      evidence: [`${hostsPath}: ${e.message}`],
      actions: manual(
        `Open ${hostsPath} as administrator, remove the broken block, then run idlewatch block-domains on.`,
      ),
    });
    return { status: 'ok', detail: `${hostsPath}: the block is broken` };
  }
  let tampered = 0;
  // Only a record about this very file says what the block should be (a --root scan reads another).
  const record = state && state.hostsPath === hostsPath ? state : null;
  const judged = judgeBlock(doc, record);
  const redirects = findRedirects(doc);
  const b = doc.block;
  // The block only ever names mining domains: a security or update site in it was put there.
  const foreign = [
    ...foreignBlockLines(doc),
    ...redirects
      .filter((r) => b && r.line > b.beginLine && r.line < b.endLine)
      .map((r) => ({ line: r.line, text: r.text })),
  ].sort((x, y) => x.line - y.line);
  if (doc.block && foreign.length > 0) {
    tampered++;
    scan.findings.add({
      key: `${hostsPath}:block`,
      rule: 'hosts-tamper',
      severity: 'high',
      title: "Idlewatch's block in the hosts file holds lines Idlewatch did not write",
      evidence: [
        `${hostsPath}: Idlewatch's block is lines ${doc.block.beginLine}-${doc.block.endLine}`,
        ...foreign
          .slice(0, 10)
          .map((f) => `line ${f.line}: ${Buffer.from(f.text, 'latin1').toString('utf8').slice(0, 200)}`),
      ],
      actions: manual('Run idlewatch block-domains off, then on, to write the block afresh (check the lines first).'),
    });
  } else if (record && (judged.state === 'altered' || judged.state === 'removed')) {
    tampered++;
    scan.findings.add({
      key: `${hostsPath}:block`,
      rule: 'hosts-tamper',
      severity: judged.state === 'removed' ? 'medium' : 'high',
      title:
        judged.state === 'removed'
          ? "Idlewatch's block of mining domains was removed from the hosts file"
          : "Idlewatch's block of mining domains in the hosts file was changed",
      evidence: [
        `${hostsPath}: ${judged.why}`,
        `Idlewatch's record: ${record.domains} names, block SHA-256 ${record.blockSha256}`,
      ],
      actions: manual('Run idlewatch block-domains on (or the setting in the window) to write the block again.'),
    });
  }
  for (const r of redirects) scan.findings.add(redirectFinding(hostsPath, r, fileState));
  const block = doc.block
    ? `Idlewatch block ${judged.state === 'on' || !record ? 'present' : judged.state}`
    : 'no Idlewatch block';
  return {
    status: 'ok',
    detail: `${hostsPath}: ${block}, ${plural(redirects.length, 'redirected security or update site')}${tampered ? ', block tampered with' : ''}`,
  };
};
