// The service definitions that run `idlewatch daemon`: the one text behind both
// `idlewatch daemon --print-unit KIND` and the files in deploy/ (test/cli-daemon-units.test.ts
// renders them with DEPLOY_EXEC and compares, so the two cannot drift apart).

export const UNIT_KINDS = ['systemd-user', 'systemd-system', 'launchd'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** The command the shipped files run: where `npm install -g` puts the `idlewatch` bin. */
export const DEPLOY_EXEC = '/usr/local/bin/idlewatch';

/** Where each kind lives in deploy/, relative to the repository. */
export const DEPLOY_FILES: Record<UnitKind, string> = {
  'systemd-user': 'deploy/systemd/user/idlewatch.service',
  'systemd-system': 'deploy/systemd/system/idlewatch.service',
  launchd: 'deploy/launchd/org.idlewatch.daemon.plist',
};

/** The data folder of the system unit (systemd's StateDirectory). */
export const SYSTEM_DATA_DIR = '/var/lib/idlewatch';

export interface UnitParams {
  /** The command that starts Idlewatch's CLI: [node, script] or [idlewatch]. */
  exec: string[];
  /** The daemon's own arguments as given with --print-unit; those that belong to the unit are dropped. */
  args: string[];
}

/** The daemon options carried into the unit (the rest are --print-unit's own). */
function daemonArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    const inline = a.includes('=');
    if (name === 'print-unit' || name === 'exec') {
      if (!inline) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** systemd's ExecStart word: quoted when needed; `%` is a specifier, `\` and `"` escapes. */
function systemdWord(w: string): string {
  const escaped = w.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderUnit(kind: UnitKind, p: UnitParams): string {
  const args = daemonArgs(p.args);
  switch (kind) {
    case 'systemd-user':
      return systemdUser([...p.exec, 'daemon', ...args]);
    case 'systemd-system': {
      const hasDataDir = args.some((a) => a === '--data-dir' || a.startsWith('--data-dir='));
      return systemdSystem([...p.exec, 'daemon', ...(hasDataDir ? [] : ['--data-dir', SYSTEM_DATA_DIR]), ...args]);
    }
    case 'launchd':
      return launchdAgent([...p.exec, 'daemon', ...args]);
  }
}

function systemdUser(cmd: string[]): string {
  return `# Idlewatch as a systemd user service: one per desktop user, inside their session, so that the
# idle sources (GNOME, the freedesktop screensaver, X11, logind) can tell when they are away.
#
#   idlewatch daemon --print-unit systemd-user > ~/.config/systemd/user/idlewatch.service
#   systemctl --user daemon-reload
#   systemctl --user enable --now idlewatch
#
# Logs: journalctl --user -u idlewatch. Settings changed in settings.json: systemctl --user reload idlewatch.
# For Prometheus, add --metrics 127.0.0.1:9464 to the --print-unit command (docs/fleet.md).
# To keep it running while the user is logged out: loginctl enable-linger USER.
[Unit]
Description=Idlewatch: what uses the GPU and CPU while you are away
After=graphical-session.target

[Service]
Type=simple
ExecStart=${cmd.map(systemdWord).join(' ')}
ExecReload=/bin/kill -HUP $MAINPID
# 75: the desktop app holds this data folder's sampler; try again later, it may have quit.
Restart=on-failure
RestartSec=30
TimeoutStopSec=5
Nice=5
NoNewPrivileges=yes

[Install]
WantedBy=default.target
`;
}

function systemdSystem(cmd: string[]): string {
  return `# Idlewatch as a system service, for machines without a desktop session (render nodes, servers).
# Nobody is at such a machine, so the user's state is "unknown": the rules that need the user away
# do not fire, the others (miner signatures, pool connections, hidden or deleted executables,
# impostor names, ...) do. On a desktop, use the user unit instead.
#
#   idlewatch daemon --print-unit systemd-system > /etc/systemd/system/idlewatch.service
#   systemctl daemon-reload
#   systemctl enable --now idlewatch
#
# It runs as root to read every user's processes; it writes only its data folder.
[Unit]
Description=Idlewatch: what uses the GPU and CPU on this machine
After=network.target

[Service]
Type=simple
ExecStart=${cmd.map(systemdWord).join(' ')}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=30
TimeoutStopSec=5
StateDirectory=idlewatch
StateDirectoryMode=0700
Nice=5
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes

[Install]
WantedBy=multi-user.target
`;
}

function launchdAgent(cmd: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!--
  Idlewatch as a launchd agent: one per user, in their GUI session, so idle time can be read.
  Written by the daemon's print-unit option (an XML comment cannot show its two dashes; see
  docs/fleet.md) to ~/Library/LaunchAgents/org.idlewatch.daemon.plist, then loaded with
    launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/org.idlewatch.daemon.plist
  launchd discards the daemon's log lines unless a StandardErrorPath key names a file (a full
  path: launchd does not expand ~).
-->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>org.idlewatch.daemon</string>
  <key>ProgramArguments</key>
  <array>
${cmd.map((w) => `    <string>${xmlText(w)}</string>`).join('\n')}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>30</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <key>LimitLoadToSessionType</key>
  <string>Aqua</string>
</dict>
</plist>
`;
}
