import type { ScanReport } from '../../../shared/scan.js';
import {
  dnsCacheText,
  osUpdatesText,
  supportTableText,
  ttlText,
  verdictWord,
} from '../../../shared/scan-software-text.js';

/**
 * The software and dns steps of a scan report: every installed browser with its version and
 * verdict, the OS update state with what could not be read, and the mining names in the resolver
 * cache. Reports from versions before these steps have neither part, and show nothing here.
 */
export function ScanSoftwareDns({ report }: { report: ScanReport }) {
  const sw = report.software;
  const dns = report.dnsCache;
  if (!sw && !dns) return null;
  return (
    <section className="panel" aria-labelledby="software-heading" data-testid="scan-software">
      <h3 id="software-heading">Software currency and DNS cache</h3>
      {sw ? (
        <>
          <p className="muted">{supportTableText(sw)}.</p>
          {sw.browsers.length === 0 ? (
            <p className="empty">No installed browser was found.</p>
          ) : (
            <table className="grid" aria-label="Installed browsers">
              <thead>
                <tr>
                  <th scope="col">Browser</th>
                  <th scope="col">Version</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Read from</th>
                </tr>
              </thead>
              <tbody>
                {sw.browsers.map((b) => (
                  <tr key={`${b.browser}:${b.channel}:${b.version}:${b.path ?? ''}`} data-browser={b.browser}>
                    <td>{b.label}</td>
                    <td>{b.version}</td>
                    <td>
                      <strong>{verdictWord(b)}</strong>: {b.verdictText}
                    </td>
                    <td className="path">{b.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p data-testid="os-updates">Operating-system updates: {osUpdatesText(sw.os)}.</p>
          {sw.os.notes.length > 0 ? (
            <ul className="muted">
              {sw.os.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
      {dns ? (
        <>
          <p data-testid="dns-cache">DNS cache: {dnsCacheText(dns)}.</p>
          {dns.hits.length > 0 ? (
            <ul className="evidence" aria-label="Mining domains in the DNS cache">
              {dns.hits.map((h) => (
                <li key={`${h.name}:${h.type}:${h.data}`}>
                  {h.name} {h.type} {h.data} ({ttlText(h.ttlSec)}; listed as {h.domain})
                  {h.processes.length > 0
                    ? `; connected: ${h.processes.map((p) => `pid ${p.pid} ${p.name}`).join(', ')}`
                    : ''}
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
