/**
 * Step 4: persistence entries collected per platform, each judged by the command it runs, and the
 * suspicious ones turned into findings that name the file and line (or registry value, task, WMI
 * consumer) and how to remove them.
 */
import type { PersistenceEntry, PersistenceKind, ScanAction } from '../../../shared/scan.js';
import type { DomainList } from '../detect/mining-domains.js';
import { type CommandVerdict, checkCommand, maxSeverity } from './command-rules.js';
import { collectLaunchd } from './darwin-launchd.js';
import { type NewFinding, wholeFileRef } from './findings.js';
import { collectLinuxPersistence } from './linux-persistence.js';
import { REMOVABLE_KINDS } from './persistence-remove.js';
import type { CollectedEntry } from './persistence-types.js';
import type { OddPlace, ScanContext } from './scan-context.js';
import { collectWindowsPersistence, type ToolRunner } from './windows-persistence.js';

/** Entries are appended to `out` (on Linux as they are read, so a stopped step keeps what it had). */
export async function collectPersistence(
  ctx: ScanContext,
  run: ToolRunner,
  out: CollectedEntry[] = [],
): Promise<CollectedEntry[]> {
  if (ctx.platform === 'win32') out.push(...(await collectWindowsPersistence(ctx, run)));
  else if (ctx.platform === 'darwin') out.push(...(await collectLaunchd(ctx, run)));
  else await collectLinuxPersistence(ctx, out);
  return out;
}

/** Null when nothing about the entry is suspicious. Any ld.so.preload entry is: it is how rootkits hide processes. */
export function judgeEntry(
  e: CollectedEntry,
  platform: ScanContext['platform'],
  domains: DomainList,
): CommandVerdict | null {
  if (e.kind === 'defender-exclusion') {
    // Not a command: the collector judged the excluded path itself.
    return e.judged && e.judged.length > 0 ? { severity: 'high', reasons: [...e.judged], program: null } : null;
  }
  const verdict = checkCommand(e.command, { platform, domains, home: e.home, shellRc: e.shellScript });
  if (e.kind !== 'ld-preload') {
    // A collector that judged the entry itself (a kept-alive launchd job from a writable place)
    // adds its reasons to whatever the command says.
    if (!e.judged || e.judged.length === 0) return verdict;
    return {
      severity: maxSeverity(verdict?.severity ?? null, e.judgedSeverity ?? 'medium'),
      reasons: [...e.judged, ...(verdict?.reasons ?? [])],
      program: verdict?.program ?? e.program ?? null,
    };
  }
  return {
    severity: maxSeverity(verdict?.severity ?? null, 'high'),
    reasons: [
      `/etc/ld.so.preload loads ${e.command} into every program started on this machine; rootkits use it to hide processes and files, and almost no legitimate software does`,
      ...(verdict?.reasons ?? []),
    ],
    program: null,
  };
}

const KIND_LABELS: Record<PersistenceKind, string> = {
  crontab: 'Scheduled job (cron)',
  systemd: 'systemd service',
  autostart: 'Desktop autostart entry',
  'rc-local': 'Boot script (rc.local)',
  'shell-rc': 'Shell start-up file',
  'ld-preload': 'Preloaded library (ld.so.preload)',
  'registry-run': 'Registry Run entry',
  'scheduled-task': 'Scheduled task',
  'wmi-subscription': 'WMI event subscription',
  hosts: 'Hosts file line',
  'web-script': 'Served web page or script',
  'defender-exclusion': 'Defender exclusion',
  launchd: 'launchd job',
  sysctl: 'Kernel setting (sysctl.d)',
  'kernel-module': 'Kernel module setting (modprobe.d, modules-load.d)',
  'boot-cmdline': 'Kernel command line',
  'ssh-key': 'SSH authorized key',
  'registry-policy': 'Windows policy value',
};

export function kindLabel(kind: PersistenceKind): string {
  return KIND_LABELS[kind];
}

/** What to do by hand where Idlewatch does not edit the entry itself (or should not stop at the edit). */
function manualSteps(e: CollectedEntry): string | null {
  switch (e.kind) {
    case 'registry-run': {
      const [key, name] = (e.location ?? '').split(' : ');
      return `Delete the value "${name ?? ''}" under ${key ?? 'the Run key'} (Registry Editor, or reg delete "${key ?? ''}" /v "${name ?? ''}" /f)`;
    }
    case 'scheduled-task':
      return `Delete the task "${e.location ?? ''}" in Task Scheduler (or schtasks /delete /tn "${e.location ?? ''}" /f)`;
    case 'wmi-subscription':
      return `Remove the WMI subscription ${e.location ?? ''} together with its event filter and binding (root\\subscription namespace)`;
    case 'defender-exclusion':
      return `Remove the exclusion in Windows Security (Virus & threat protection settings, Exclusions) or as administrator: ${e.location ?? 'Remove-MpPreference'}`;
    case 'launchd':
      return `Unload the job (launchctl bootout) and delete ${e.file ?? 'its plist'}`;
    case 'systemd': {
      const unit =
        e.file
          ?.split('/')
          .pop()
          ?.replace(/\.conf$/, '') ?? 'the unit';
      return `Stop and disable it: systemctl disable --now ${unit}, then systemctl daemon-reload`;
    }
    default:
      return null;
  }
}

export function entryActions(e: CollectedEntry): ScanAction[] {
  const actions: ScanAction[] = [];
  if (e.file !== null && e.line !== null && e.fileState && REMOVABLE_KINDS.has(e.kind)) {
    actions.push({ kind: 'remove-persistence', file: e.file, line: e.line });
  }
  const manual = manualSteps(e);
  if (manual) actions.push({ kind: 'manual', text: manual });
  return actions;
}

export function persistenceFinding(e: CollectedEntry, v: CommandVerdict): NewFinding {
  const where = e.file !== null ? `${e.file}${e.line !== null ? `:${e.line}` : ''}` : (e.location ?? '');
  const evidence = [...v.reasons, ...e.notes];
  evidence.push(`${where}: ${e.text}`);
  if (e.runAs) evidence.push(`runs as ${e.runAs}`);
  return {
    key: where,
    rule: e.kind === 'ld-preload' ? 'ld-preload' : e.judged?.length && e.rule ? e.rule : 'persistence',
    severity: v.severity,
    title: `${kindLabel(e.kind)}: ${v.reasons[0] ?? 'suspicious command'}`,
    evidence,
    persistence: {
      kind: e.kind,
      file: e.file,
      line: e.line,
      text: e.text,
      command: e.command,
      location: e.location,
      runAs: e.runAs,
      fileState: e.fileState,
    },
    actions: entryActions(e),
  };
}

/** The entry as the report lists it (without the collector's working fields). */
export function publicEntry(e: CollectedEntry): PersistenceEntry {
  return {
    kind: e.kind,
    file: e.file,
    line: e.line,
    text: e.text,
    command: e.command,
    location: e.location,
    runAs: e.runAs,
  };
}

/**
 * A persistence place the scan could not read as the text file it should be: a FIFO, a device, a
 * link to one, a file far too large, a folder of too many entries. Its contents are unknown (it may
 * hide an entry, or be there to stop scanners), so it is a finding to look at, never auto-removed.
 */
export function oddPlaceFinding(o: OddPlace): NewFinding {
  return {
    key: o.path,
    rule: 'persistence',
    severity: 'medium',
    title: `${kindLabel(o.kind)}: ${o.path} ${o.what}`,
    evidence: [
      `${o.path} ${o.what}`,
      'a place that starts programs should hold small text files; what this one would start could not be checked',
    ],
    persistence: wholeFileRef(o.kind, o.path),
    actions: [
      {
        kind: 'manual',
        text: `Look at ${o.path} (ls -l, stat): find out what made it so, and replace it with what belongs there, or remove it`,
      },
    ],
  };
}
