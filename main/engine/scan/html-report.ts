/**
 * The scan report as one self-contained HTML file: inline styles, no script, nothing loaded from
 * anywhere. Every string from the machine is escaped (command lines are attacker-controlled and
 * may carry markup), and a Content-Security-Policy that allows no script backs that up.
 */
import type { QuarantineItem } from '../../../shared/quarantine.js';
import type { ScanAction, ScanFinding, ScanReport } from '../../../shared/scan.js';
import {
  dnsCacheText,
  osUpdatesText,
  supportTableText,
  ttlText,
  verdictWord,
} from '../../../shared/scan-software-text.js';
import { hiddenProbeText, localTime } from './report-text.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values; control characters shown as U+FFFD. */
export function escapeHtml(value: unknown): string {
  return (
    String(value)
      .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
  );
}

const e = escapeHtml;

function actionText(a: ScanAction): string {
  switch (a.kind) {
    case 'kill':
      return `End process ${a.pid} (started ${localTime(a.startTimeMs)})`;
    case 'remove-persistence':
      return `Remove line ${a.line} of ${a.file} (the file as it was goes to Idlewatch's quarantine, from where it can be restored)`;
    case 'kill-quarantine':
      return `End process ${a.pid} and move its program ${a.exe} into the quarantine (it can be restored)`;
    case 'allowlist':
      return `Allowlist ${a.exe}${a.sha256 ? ` (SHA-256 ${a.sha256})` : ''} if you trust it`;
    case 'manual':
      return a.text;
  }
}

function findingRow(f: ScanFinding): string {
  const subject = f.process
    ? `<div>pid ${e(f.process.pid)} <b>${e(f.process.name)}</b> (${e(f.process.user ?? '?')})</div>` +
      `<div class="mono">${e(f.process.exe ?? '(no executable)')}</div>` +
      `<div class="mono small">${e(f.process.cmdline)}</div>` +
      (f.process.chain.length > 0
        ? `<div class="small">started by ${f.process.chain.map((c) => `${e(c.name)} (${e(c.pid)})`).join(' ← ')}</div>`
        : '') +
      (f.process.sha256 ? `<div class="mono small">SHA-256 ${e(f.process.sha256)}</div>` : '')
    : f.persistence
      ? `<div class="mono">${e(f.persistence.file ?? f.persistence.location ?? '')}${f.persistence.line !== null ? `:${e(f.persistence.line)}` : ''}</div>` +
        `<div class="mono small">${e(f.persistence.text)}</div>`
      : '';
  return `<tr class="${e(f.severity)}${f.allowlisted ? ' allowlisted' : ''}">
<td><span class="sev">${e(f.severity)}</span>${f.allowlisted ? '<div class="small">allowlisted</div>' : ''}</td>
<td><div><b>${e(f.title)}</b></div><ul>${f.evidence.map((x) => `<li>${e(x)}</li>`).join('')}</ul><div class="small">${e(f.rule)}</div></td>
<td>${subject}</td>
<td><ul>${f.actions.map((a) => `<li>${e(actionText(a))}</li>`).join('')}</ul></td>
</tr>`;
}

/** A table, or when there are no rows the sentence that says so (a bare "none" under a heading reads as an error). */
function table(headers: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="small">${e(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d1d1f;background:#fff}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f6}.mono{font-family:ui-monospace,monospace;word-break:break-all}.small{font-size:.85em;color:#555}
ul{margin:.2em 0;padding-left:1.2em}.sev{font-weight:700;text-transform:uppercase}
tr.high .sev{color:#b00020}tr.medium .sev{color:#b35c00}tr.low .sev{color:#555}tr.allowlisted{opacity:.6}
.summary span{display:inline-block;margin-right:1.5em}`;

/** The software and dns steps: every browser with its version and verdict, OS updates, cached mining names. */
function softwareAndDnsHtml(r: ScanReport): string {
  const parts: string[] = [];
  const sw = r.software;
  if (sw) {
    parts.push(`<h2>Software currency</h2>
<p class="small">${e(supportTableText(sw))}.</p>
${table(
  ['Browser', 'Version', 'Verdict', 'Why', 'Read from'],
  sw.browsers.map((b) => [b.label, b.version, verdictWord(b), b.verdictText, b.source]),
  'No installed browser was found.',
)}
<p>OS updates: ${e(osUpdatesText(sw.os))}.</p>
${sw.os.notes.length > 0 ? `<ul class="small">${sw.os.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}`);
  }
  const dns = r.dnsCache;
  if (dns) {
    parts.push(`<h2>DNS cache</h2>
<p>${e(dnsCacheText(dns))}.</p>
${
  dns.readable
    ? table(
        ['Name', 'Type', 'Address or target', 'Time left', 'Listed as', 'Connected processes'],
        dns.hits.map((h) => [
          h.name,
          h.type,
          h.data,
          ttlText(h.ttlSec),
          h.domain,
          h.processes.map((p) => `pid ${p.pid} ${p.name} (${p.remote})`).join(', '),
        ]),
        'No mining domain is in the resolver cache.',
      )
    : ''
}`);
  }
  return parts.join('\n');
}

/** What was done about this report's findings, for the report's "Quarantine" section. */
export interface ReportActions {
  /** Items quarantined from this report's findings (their reportStartedAt is the report's). */
  quarantined: QuarantineItem[];
}

function quarantineHtml(a: ReportActions): string {
  return `<h2>Quarantine</h2>
${table(
  ['When', 'What', 'File', 'Quarantine id', 'Finding'],
  a.quarantined.map((i) => [
    localTime(Date.parse(i.at)),
    i.kind === 'line' && i.line ? `line ${i.line.number} removed: ${i.line.text}` : `${i.kind} moved out`,
    i.path,
    i.id,
    i.findingId ?? '',
  ]),
  "Nothing was removed from this report's findings.",
)}
<p class="small">Everything removed is kept in Idlewatch's quarantine and can be put back: the Quarantine page, or idlewatch quarantine restore ID.</p>`;
}

/**
 * The whole report as an HTML document; with `actions`, a Quarantine section lists what was
 * removed from this report's findings (the app knows; a fresh `idlewatch scan` has done nothing).
 */
export function renderScanHtml(r: ScanReport, actions?: ReportActions): string {
  const s = r.summary;
  const started = localTime(Date.parse(r.startedAt));
  const partialSteps = r.steps.filter((st) => st.status === 'partial').length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>Idlewatch deep scan ${e(started)}</title><style>${STYLE}</style></head>
<body>
<h1>Idlewatch deep scan</h1>
<p>${e(started)} · ${e(r.platform)} · ${e(r.processes.length)} processes · ${e((r.durationMs / 1000).toFixed(1))} s${r.root !== '/' ? ` · files checked under <span class="mono">${e(r.root)}</span>` : ''}</p>
<p class="summary"><span><b>${e(s.high)}</b> high</span><span><b>${e(s.medium)}</b> medium</span><span><b>${e(s.low)}</b> low</span><span><b>${e(s.allowlisted)}</b> allowlisted</span></p>
<h2>Findings</h2>
${r.findings.length === 0 ? '<p>Nothing suspicious was found.</p>' : `<table><thead><tr><th>Severity</th><th>Finding</th><th>Process or entry</th><th>Suggested action</th></tr></thead><tbody>${r.findings.map(findingRow).join('\n')}</tbody></table>`}
${actions ? quarantineHtml(actions) : ''}
<h2>Steps</h2>
${table(
  ['Step', 'Status', 'Result', 'Time'],
  r.steps.map((st) => [st.label, st.status, st.detail, `${st.durationMs} ms`]),
  'No step ran.',
)}
<h2>Could not be read</h2>
${table(
  ['Step', 'What'],
  r.problems.map((p) => [p.step, p.message]),
  partialSteps > 0
    ? 'No single place is named: see the steps marked partial above for what they could not see.'
    : 'Everything the scan looked at could be read.',
)}
<h2>GPUs</h2>
${table(
  ['Tool', 'Works', 'Detail'],
  r.gpu.tools.map((t) => [t.tool, t.ok ? 'yes' : 'no', t.detail]),
  'No GPU tool was tried.',
)}
${table(
  ['GPU', 'Vendor', 'Driver', 'Memory (MiB)', 'Source'],
  r.gpu.devices.map((d) => [
    d.name,
    d.vendor,
    d.driver ?? '',
    d.memoryMiB === null ? '' : String(Math.round(d.memoryMiB)),
    d.source,
  ]),
  r.gpu.tools.some((t) => t.ok) ? 'No GPU was found.' : 'No GPU could be listed: no GPU tool works here (see above).',
)}
${table(
  ['Pid', 'Process using a GPU', 'Memory (MiB)', 'Seen by'],
  r.gpu.processes.map((p) => [String(p.pid), p.name, p.memoryMiB === null ? '' : String(p.memoryMiB), p.source]),
  'No process was seen using a GPU.',
)}
<h2>Browsers</h2>
${table(
  ['Pid', 'Name', 'Browser', 'Role', 'Detail', 'CPU time (s)', 'While you were away'],
  r.browsers.map((b) => [
    String(b.pid),
    b.name,
    b.browser,
    b.role,
    b.subType ?? '',
    b.cpuSec === null ? '' : String(b.cpuSec),
    b.whileAway
      ? `CPU ${b.whileAway.cpuSec} s, GPU ${b.whileAway.gpuSec} s (last ${Math.round(b.whileAway.overSec / 60)} min)`
      : 'not watched (CLI scan)',
  ]),
  'No browser was running.',
)}
${softwareAndDnsHtml(r)}
<h2>Autostart and scheduled entries</h2>
${table(
  ['Kind', 'Where', 'Runs as', 'Command'],
  r.persistence.map((p) => [
    p.kind,
    p.file !== null ? `${p.file}${p.line !== null ? `:${p.line}` : ''}` : (p.location ?? ''),
    p.runAs ?? '',
    // An SSH key runs no command of its own unless forced: its type, fingerprint and comment say which key it is.
    p.kind === 'ssh-key' && p.location ? `${p.command ? `${p.command} · ` : ''}${p.location}` : p.command,
  ]),
  'No autostart or scheduled entries were found.',
)}
<h2>Network connections</h2>
${table(
  ['Pid', 'Proto', 'Local', 'Remote', 'State'],
  r.connections.map((c) => [String(c.pid), c.proto, c.local, c.remote, c.state]),
  r.platform === 'linux' ? 'No TCP or UDP socket was open.' : 'Connections are read on Linux only.',
)}
<p class="small">Mining-domain list: ${e(r.domainList.source)} (${e(r.domainList.count)} names).${r.hidden ? ` Hidden-process probe: ${e(hiddenProbeText(r.hidden))}.` : ''}</p>
</body></html>
`;
}
