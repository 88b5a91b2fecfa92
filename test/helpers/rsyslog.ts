import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { terminateAndWait, waitFor } from './processes.js';

/** Where rsyslogd is, or null (Debian's rsyslog package; .ci/run installs it). */
export function findRsyslogd(): string | null {
  for (const p of ['/usr/sbin/rsyslogd', '/sbin/rsyslogd']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v rsyslogd'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** Tab-separated: facility, severity, MSGID, APP-NAME, PROCID, STRUCTURED-DATA, MSG. */
export interface ReceivedLine {
  facility: string;
  severity: string;
  msgid: string;
  appName: string;
  procid: string;
  structuredData: string;
  msg: string;
}

/**
 * A real rsyslogd of the test's own: its config, pid file and work folder in `dir`, imuxsock on a
 * private socket (never /dev/log; no kernel log), parsing RFC 5424 (the special local parser off),
 * writing every message to `dir/received.log` as one tab-separated line.
 */
export class TestRsyslog {
  readonly socket: string;
  readonly out: string;
  private child: ChildProcess | null = null;
  private stderr = '';

  /** `extraConfig`: rsyslog configuration placed before the catch-all action (a shipped snippet). */
  constructor(
    private readonly binary: string,
    private readonly dir: string,
    private readonly extraConfig = '',
  ) {
    this.socket = join(dir, 'log.sock');
    this.out = join(dir, 'received.log');
  }

  async start(): Promise<void> {
    const conf = join(this.dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      `global(workDirectory="${this.dir}" maxMessageSize="8k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${this.socket}" UseSpecialParser="off" ParseHostname="on")
template(name="fields" type="list") {
  property(name="syslogfacility-text") constant(value="\\t")
  property(name="syslogseverity-text") constant(value="\\t")
  property(name="msgid") constant(value="\\t")
  property(name="app-name") constant(value="\\t")
  property(name="procid") constant(value="\\t")
  property(name="structured-data") constant(value="\\t")
  property(name="msg") constant(value="\\n")
}
${this.extraConfig}
*.* action(type="omfile" file="${this.out}" template="fields")
`,
    );
    const child = spawn(this.binary, ['-n', '-f', conf, '-i', join(this.dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderr += d;
    });
    this.child = child;
    await waitFor(
      () => existsSync(this.socket) || child.exitCode !== null,
      15_000,
      `rsyslogd to create ${this.socket}`,
    );
    if (child.exitCode !== null) throw new Error(`rsyslogd exited at start: ${this.stderr}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child) await terminateAndWait(child);
  }

  lines(): ReceivedLine[] {
    if (!existsSync(this.out)) return [];
    return readFileSync(this.out, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [facility, severity, msgid, appName, procid, structuredData, ...rest] = l.split('\t');
        return {
          facility: facility ?? '',
          severity: severity ?? '',
          msgid: msgid ?? '',
          appName: appName ?? '',
          procid: procid ?? '',
          structuredData: structuredData ?? '',
          msg: rest.join('\t'),
        };
      });
  }
}
