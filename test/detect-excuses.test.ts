/**
 * Excuses a process claims for itself (issue 11, items 2, 3 and 6): an idle inhibitor, a benign
 * program's name, a start from another session or from a scheduler. Each is a claim: these tests
 * give the real thing its excuse and show the evasion that must not get one.
 */
import { describe, expect, it } from 'vitest';
import type { Incident, RuleId } from '../shared/detection.js';
import { detectSamples } from '../main/engine/detect/detector.js';
import { type Ancestor, peerHost } from '../main/engine/detect/lineage.js';
import { buildStream, type Segment, type SimProc, wobble } from '../main/engine/detect/sample-builder.js';
import { MEDIA_OVER_MS, mediaShaped, stepMediaShape } from '../main/engine/detect/signals/media.js';
import { remoteDetail, remoteOrigin, scheduledStart } from '../main/engine/detect/signals/origin.js';
import { programKey, RECUR_GAP_MS, RecurrenceBook } from '../main/engine/detect/signals/recurring.js';

const rules = (i: Incident | undefined): RuleId[] => i?.reasons.map((r) => r.rule) ?? [];
const byPid = (list: Incident[], pid: number): Incident | undefined => list.find((i) => i.pid === pid);
const detail = (i: Incident | undefined, rule: RuleId): string | undefined =>
  i?.reasons.find((r) => r.rule === rule)?.detail;
const atLeastMedium = (i: Incident | undefined): boolean => i?.severity === 'medium' || i?.severity === 'high';

/** Works from `afterMs` into the absence until the user comes back. */
const whileAway =
  (level: { cpu?: number; gpu?: number }, afterMs = 60_000, pid = 1) =>
  (c: { t: number; awayMs: number | null }) => {
    if (c.awayMs === null || c.awayMs < afterMs) return { cpu: 0.3 };
    const w = 1 + wobble(c.t, pid) * 0.01;
    return {
      ...(level.cpu !== undefined ? { cpu: level.cpu * w } : {}),
      ...(level.gpu !== undefined ? { gpu: level.gpu * w } : {}),
    };
  };

function run(platform: 'linux' | 'win32' | 'darwin', session: Segment[], procs: SimProc[]): Incident[] {
  const s = buildStream({ platform, session, procs });
  return detectSamples(s.header, s.samples);
}

// ---------------------------------------------------------------------------------------------
// Item 2: an idle inhibitor excuses only media playback, and only for its holder.

describe('an idle inhibitor excuses only media-shaped load of its holder', () => {
  const film = (name: string): Segment[] => [
    { kind: 'active', sec: 120 },
    { kind: 'away', sec: 1200, inhibitors: [name] },
    { kind: 'active', sec: 60 },
  ];

  it('excuses a real player at its installed path playing a film (a fraction of a core, modest GPU)', () => {
    const vlc: SimProc = {
      pid: 80,
      name: 'vlc',
      exe: '/usr/bin/vlc',
      load: whileAway({ cpu: 30, gpu: 18 }, 30_000, 80),
    };
    const inc = byPid(run('linux', film('vlc'), [vlc]), 80);
    expect(inc?.severity ?? 'low').toBe('low');
    if (inc) expect(detail(inc, 'benign-idle-work')).toMatch(/plays media/);
  });

  it('does not excuse four cores flat for 15 minutes, even from the real player at its installed path', () => {
    const vlc: SimProc = { pid: 81, name: 'vlc', exe: '/usr/bin/vlc', load: whileAway({ cpu: 400 }, 60_000, 81) };
    const inc = byPid(run('linux', film('vlc'), [vlc]), 81);
    expect(atLeastMedium(inc)).toBe(true);
    expect(detail(inc, 'benign-idle-work') ?? '').not.toMatch(/plays media/);
  });

  it('does not excuse a "media player" in a user-writable folder that holds an inhibitor', () => {
    // The miner takes a screen-saver inhibitor itself, posing as a player, and keeps its load
    // inside the media shape: only where it lives gives it away.
    const fake: SimProc = {
      pid: 82,
      name: 'vlc',
      exe: '/home/ana/.local/share/vlc/vlc',
      load: whileAway({ cpu: 95 }, 60_000, 82),
    };
    const inc = byPid(run('linux', film('VLC media player'), [fake]), 82);
    expect(atLeastMedium(inc)).toBe(true);
    expect(detail(inc, 'benign-idle-work') ?? '').not.toMatch(/plays media/);
  });

  it('does not excuse a browser tab that mines while another tab plays a video', () => {
    const chrome: SimProc = {
      pid: 3000,
      name: 'chrome',
      exe: '/opt/google/chrome/chrome',
      load: (c) => ({ cpu: c.away ? 2 : 8 }),
    };
    const video: SimProc = {
      pid: 3050,
      ppid: 3000,
      name: 'chrome',
      exe: '/opt/google/chrome/chrome',
      cmdline: '/opt/google/chrome/chrome --type=gpu-process --enable-features=VaapiVideoDecoder',
      load: () => ({ cpu: 12 + wobble(1), gpu: 14 }),
    };
    const tab: SimProc = {
      pid: 3100,
      ppid: 3000,
      name: 'chrome',
      exe: '/opt/google/chrome/chrome',
      cmdline: '/opt/google/chrome/chrome --type=renderer --lang=en-US',
      load: whileAway({ cpu: 400 }, 90_000, 3100),
    };
    const list = run('linux', film('Google Chrome'), [chrome, video, tab]);
    const inc = byPid(list, 3100);
    expect(atLeastMedium(inc)).toBe(true);
    expect(detail(inc, 'benign-idle-work') ?? '').not.toMatch(/plays media/);
    // The process that really plays the video keeps its excuse.
    expect(byPid(list, 3050)?.severity ?? 'low').toBe('low');
  });

  it('does not pass a player excuse to a process the player started', () => {
    const vlc: SimProc = { pid: 90, name: 'vlc', exe: '/usr/bin/vlc', load: () => ({ cpu: 20 }) };
    const child: SimProc = {
      pid: 91,
      ppid: 90,
      name: 'vlc-cache-gen',
      exe: '/home/ana/.local/lib/vlc-cache-gen',
      load: whileAway({ cpu: 395 }, 60_000, 91),
    };
    const inc = byPid(run('linux', film('vlc'), [vlc, child]), 91);
    expect(atLeastMedium(inc)).toBe(true);
  });

  it('withdraws the excuse when playback-shaped load turns into hashing', () => {
    // Evasion: stay inside the media shape until the excuse is granted, then mine.
    const vlc: SimProc = {
      pid: 83,
      name: 'vlc',
      exe: '/usr/bin/vlc',
      load: (c) => {
        if (c.awayMs === null || c.awayMs < 60_000) return { cpu: 0.3 };
        return c.awayMs < 180_000 ? { cpu: 30, gpu: 15 } : { cpu: 400 + wobble(c.t) * 3 };
      },
    };
    const inc = byPid(run('linux', film('vlc'), [vlc]), 83);
    expect(atLeastMedium(inc)).toBe(true);
    expect(detail(inc, 'benign-idle-work') ?? '').not.toMatch(/plays media/);
  });
});

// ---------------------------------------------------------------------------------------------
// Item 3: Steam's shader pre-compiler is recognised by provenance, on every platform.

describe("Steam's shader pre-compiler is recognised by where it lives and who started it", () => {
  const leave: Segment[] = [
    { kind: 'active', sec: 120 },
    { kind: 'away', sec: 900 },
    { kind: 'active', sec: 60 },
  ];

  it('win32: fossilize-replay64.exe under the Steam folder, child of steam.exe, is Steam shader pre-caching', () => {
    const steam: SimProc = {
      pid: 5000,
      name: 'steam.exe',
      exe: 'C:\\Program Files (x86)\\Steam\\steam.exe',
      cmdline: '"C:\\Program Files (x86)\\Steam\\steam.exe" -silent',
      load: () => ({ cpu: 1 }),
    };
    const workers: SimProc[] = [0, 1, 2].map((i) => ({
      pid: 5100 + i * 4,
      ppid: 5000,
      name: 'fossilize-replay64.exe',
      exe: 'C:\\Program Files (x86)\\Steam\\fossilize-replay64.exe',
      cmdline:
        '"C:\\Program Files (x86)\\Steam\\fossilize-replay64.exe" --slave-process --num-threads 1 --device-index 0',
      load: whileAway({ cpu: 97 }, 60_000, 5100 + i),
    }));
    const list = run('win32', leave, [steam, ...workers]);
    for (const w of workers) {
      const inc = byPid(list, w.pid);
      expect(inc?.severity ?? 'low').toBe('low');
      expect(detail(inc, 'benign-idle-work')).toMatch(/Steam shader pre-caching/);
    }
  });

  it('linux: fossilize_replay under ~/.local/share/Steam, child of steam, is Steam shader pre-caching', () => {
    const dir = '/home/ana/.local/share/Steam';
    const steam: SimProc = { pid: 500, name: 'steam', exe: `${dir}/ubuntu12_32/steam`, load: () => ({ cpu: 1 }) };
    const w: SimProc = {
      pid: 510,
      ppid: 500,
      name: 'fossilize_repla',
      exe: `${dir}/ubuntu12_64/fossilize_replay`,
      cmdline: `${dir}/ubuntu12_64/fossilize_replay --slave-process --num-threads 1`,
      load: whileAway({ cpu: 97 }, 60_000, 510),
    };
    const inc = byPid(run('linux', leave, [steam, w]), 510);
    expect(inc?.severity ?? 'low').toBe('low');
    expect(detail(inc, 'benign-idle-work')).toMatch(/Steam shader pre-caching/);
  });

  it('darwin: the pre-compiler inside the Steam folder, child of steam_osx, is Steam shader pre-caching', () => {
    const dir = '/Users/ana/Library/Application Support/Steam';
    const steam: SimProc = {
      pid: 600,
      name: 'steam_osx',
      exe: `${dir}/Steam.AppBundle/Steam/Contents/MacOS/steam_osx`,
      load: () => ({ cpu: 1 }),
    };
    const w: SimProc = {
      pid: 610,
      ppid: 600,
      name: 'fossilize_replay',
      exe: `${dir}/Steam.AppBundle/Steam/Contents/MacOS/fossilize_replay`,
      load: whileAway({ cpu: 97 }, 60_000, 610),
    };
    const inc = byPid(run('darwin', leave, [steam, w]), 610);
    expect(inc?.severity ?? 'low').toBe('low');
    expect(detail(inc, 'benign-idle-work')).toMatch(/Steam shader pre-caching/);
  });

  it('a fossilize name in a user-writable folder is an impostor, not an excuse (linux and win32)', () => {
    const linux: SimProc = {
      pid: 520,
      name: 'fossilize_replay',
      exe: '/home/ana/Downloads/fossilize_replay',
      load: whileAway({ cpu: 390 }, 60_000, 520),
    };
    const l = byPid(run('linux', leave, [linux]), 520);
    expect(atLeastMedium(l)).toBe(true);
    expect(rules(l)).toContain('system-name-impostor');
    expect(detail(l, 'benign-idle-work')).toBeUndefined();
    const win: SimProc = {
      pid: 5200,
      name: 'fossilize-replay64.exe',
      exe: 'C:\\Users\\ana\\Documents\\fossilize-replay64.exe',
      load: whileAway({ cpu: 390 }, 60_000, 5200),
    };
    const w = byPid(run('win32', leave, [win]), 5200);
    expect(atLeastMedium(w)).toBe(true);
    expect(rules(w)).toContain('system-name-impostor');
  });

  it('in the Steam folder but not started by Steam earns no excuse (a miner dropped beside Steam)', () => {
    const task: SimProc = {
      pid: 5300,
      ppid: 1200,
      name: 'fossilize-replay64.exe',
      exe: 'C:\\Program Files (x86)\\Steam\\fossilize-replay64.exe',
      load: whileAway({ cpu: 390 }, 60_000, 5300),
    };
    const svchost: SimProc = {
      pid: 1200,
      name: 'svchost.exe',
      exe: 'C:\\Windows\\System32\\svchost.exe',
      cmdline: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule',
      user: 'SYSTEM',
    };
    const inc = byPid(run('win32', leave, [svchost, task]), 5300);
    expect(atLeastMedium(inc)).toBe(true);
    expect(detail(inc, 'benign-idle-work')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Item 6: work started while you are away: from another session, or by a scheduler.

describe('work started from a remote session is reported as such, with every other piece of evidence', () => {
  const leave: Segment[] = [
    { kind: 'active', sec: 120 },
    { kind: 'away', sec: 600 },
    { kind: 'active', sec: 60 },
  ];
  const sshd = (conns = true): SimProc[] => [
    {
      pid: 700,
      name: 'sshd',
      exe: '/usr/sbin/sshd',
      cmdline: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups',
      user: 'root',
    },
    {
      pid: 7000,
      ppid: 700,
      name: 'sshd',
      exe: '/usr/sbin/sshd',
      cmdline: 'sshd: ana [priv]',
      user: 'root',
      from: 240_000,
      startT: 240_000,
      ...(conns ? { conns: [{ proto: 'tcp', remote: '192.0.2.7:51514', state: 'ESTABLISHED' }] } : {}),
    },
    {
      pid: 7005,
      ppid: 7000,
      name: 'sshd',
      exe: '/usr/sbin/sshd',
      cmdline: 'sshd: ana@pts/1',
      from: 241_000,
      startT: 241_000,
      ...(conns ? { conns: [{ proto: 'tcp', remote: '192.0.2.7:51514', state: 'ESTABLISHED' }] } : {}),
    },
    { pid: 7010, ppid: 7005, name: 'bash', exe: '/usr/bin/bash', cmdline: '-bash', from: 242_000, startT: 242_000 },
  ];
  const node: SimProc = {
    pid: 7100,
    ppid: 7010,
    name: 'node',
    exe: '/usr/bin/node',
    cmdline: 'node scripts/build-index.js',
    from: 300_000,
    to: 360_000,
    startT: 300_000,
    load: (c) => ({ cpu: 100 + wobble(c.t, 7) }),
  };

  it('a node job from an SSH session (100% of a core for 60 s) is low and says where it came from', () => {
    const inc = byPid(run('linux', leave, [...sshd(), node]), 7100);
    expect(inc?.severity ?? 'low').toBe('low');
    const text = inc?.reasons.map((r) => r.detail).join(' | ') ?? '';
    expect(text).toMatch(/started from an SSH session from 192\.0\.2\.7 as ana/);
    expect(text).not.toMatch(/while you were away/);
  });

  it('without the connection list it says so without the address', () => {
    const inc = byPid(run('linux', leave, [...sshd(false), node]), 7100);
    expect(inc?.severity ?? 'low').toBe('low');
    expect(inc?.reasons.map((r) => r.detail).join(' | ')).toMatch(/started from an SSH session as ana\b/);
  });

  it('a miner started over SSH keeps its hostile evidence (attackers log in over SSH too)', () => {
    const miner: SimProc = {
      ...node,
      name: 'node',
      exe: '/tmp/.X25-unix/node',
      cmdline: '/tmp/.X25-unix/node',
      to: 720_000,
      load: (c) => ({ cpu: 400 + wobble(c.t, 3) * 4 }),
    };
    const inc = byPid(run('linux', leave, [...sshd(), miner]), 7100);
    expect(atLeastMedium(inc)).toBe(true);
    expect(rules(inc)).toContain('temp-folder-executable');
    expect(inc?.reasons.map((r) => r.detail).join(' | ')).toMatch(/SSH session from 192\.0\.2\.7/);
  });

  it('an sshd in a temporary folder is an impostor parent: no remote reading', () => {
    const fake: SimProc[] = [
      { pid: 7200, name: 'sshd', exe: '/tmp/sshd', cmdline: 'sshd: ana@pts/1', from: 200_000, startT: 200_000 },
      { ...node, ppid: 7200, exe: '/usr/bin/node' },
    ];
    const inc = byPid(run('linux', leave, fake), 7100);
    expect(atLeastMedium(inc)).toBe(true);
    expect(inc?.reasons.map((r) => r.detail).join(' | ')).not.toMatch(/SSH session/);
  });

  it('a process re-parented to init claims no session', () => {
    const orphan: SimProc = { ...node, ppid: 1 };
    const init: SimProc = { pid: 1, name: 'systemd', exe: '/usr/lib/systemd/systemd', user: 'root', ppid: 0 };
    const inc = byPid(run('linux', leave, [init, ...sshd(), orphan]), 7100);
    expect(atLeastMedium(inc)).toBe(true);
  });
});

describe('scheduled maintenance is low; a scheduler re-launching a burner while you are away is evidence', () => {
  const night: Segment[] = [
    { kind: 'active', sec: 120 },
    { kind: 'away', sec: 2400 },
    { kind: 'active', sec: 60 },
  ];
  const cron: SimProc = {
    pid: 900,
    name: 'cron',
    exe: '/usr/sbin/cron',
    cmdline: '/usr/sbin/cron -f -P',
    user: 'root',
  };
  const init: SimProc = { pid: 1, name: 'systemd', exe: '/usr/lib/systemd/systemd', user: 'root', ppid: 0 };

  it('linux maintenance from cron and systemd timers stays low', () => {
    const jobs: SimProc[] = [
      ['updatedb.plocate', '/usr/sbin/updatedb.plocate', 300],
      ['mandb', '/usr/bin/mandb', 600],
      ['fstrim', '/usr/sbin/fstrim', 900],
      ['logrotate', '/usr/sbin/logrotate', 1200],
      ['unattended-upgr', '/usr/bin/python3.12', 1500],
    ].map(([name, exe, at], i) => ({
      pid: 2000 + i,
      ppid: i % 2 === 0 ? 1 : 900,
      name: String(name),
      exe: String(exe),
      user: 'root',
      from: Number(at) * 1000,
      to: Number(at) * 1000 + 240_000,
      startT: Number(at) * 1000,
      load: (c) => ({ cpu: 95 + wobble(c.t, i) * 3 }),
    }));
    const list = run('linux', night, [init, cron, ...jobs]);
    for (const j of jobs) expect(byPid(list, j.pid)?.severity ?? 'low').toBe('low');
  });

  it('win32 and darwin maintenance (TiWorker, a Defender scan, Spotlight, Time Machine) stays low', () => {
    const win = run('win32', night, [
      {
        pid: 2100,
        name: 'TiWorker.exe',
        exe: 'C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.26100.4940_none_7f2a9b5c3c5e1a2d\\TiWorker.exe',
        user: 'SYSTEM',
        from: 300_000,
        startT: 300_000,
        load: whileAway({ cpu: 98 }, 0, 2100),
      },
      {
        pid: 2104,
        name: 'MsMpEng.exe',
        exe: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25090.3009-0\\MsMpEng.exe',
        user: 'SYSTEM',
        load: whileAway({ cpu: 120 }, 240_000, 2104),
      },
    ]);
    expect(byPid(win, 2100)?.severity ?? 'low').toBe('low');
    expect(byPid(win, 2104)?.severity ?? 'low').toBe('low');
    const mac = run('darwin', night, [
      {
        pid: 300,
        name: 'mds_stores',
        exe: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds_stores',
        user: 'root',
        load: whileAway({ cpu: 90 }, 200_000, 300),
      },
      {
        pid: 310,
        name: 'backupd',
        exe: '/System/Library/CoreServices/backupd.bundle/Contents/Resources/backupd',
        user: 'root',
        from: 600_000,
        startT: 600_000,
        load: (c) => ({ cpu: 70 + wobble(c.t, 310) * 5 }),
      },
    ]);
    expect(byPid(mac, 300)?.severity ?? 'low').toBe('low');
    expect(byPid(mac, 310)?.severity ?? 'low').toBe('low');
  });

  /** Cron starts it every 5 minutes; each run burns the CPU for 4 minutes while nobody is there. */
  function relaunched(exe: string, name: string, parent: number): SimProc[] {
    const out: SimProc[] = [];
    for (let k = 0; k < 6; k++) {
      const from = 300_000 + k * 300_000;
      out.push({
        pid: 3000 + k * 37,
        ppid: parent,
        name,
        exe,
        cmdline: exe,
        user: 'root',
        from,
        to: from + 240_000,
        startT: from,
        load: (c) => ({ cpu: 395 + wobble(c.t, k + 1) * 3 }),
      });
    }
    return out;
  }

  it('a burner in a system folder that cron re-launches every few minutes while you are away is flagged', () => {
    // A root dropper names its miner like an OS helper in /usr/sbin: the path alone earns the
    // "program of the operating system" excuse, so only its recurrence gives it away.
    const lives = relaunched('/usr/sbin/systemd-fsck-helper', 'systemd-fsck-he', 900);
    const list = run('linux', night, [init, cron, ...lives]);
    const flagged = lives.map((l) => byPid(list, l.pid)).filter(atLeastMedium);
    expect(flagged.length).toBeGreaterThanOrEqual(lives.length - 1);
    const again = flagged[flagged.length - 1];
    expect(again?.reasons.map((r) => r.detail).join(' | ')).toMatch(
      /started by a scheduler again 1 min after its last run ended/,
    );
  });

  it('the same through a scheduled task on Windows (System32 name, Task Scheduler parent)', () => {
    const schedule: SimProc = {
      pid: 1200,
      name: 'svchost.exe',
      exe: 'C:\\Windows\\System32\\svchost.exe',
      cmdline: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule',
      user: 'SYSTEM',
    };
    const lives = relaunched('C:\\Windows\\System32\\WmiApSrvEx.exe', 'WmiApSrvEx.exe', 1200);
    const list = run('win32', night, [schedule, ...lives]);
    expect(lives.map((l) => byPid(list, l.pid)).filter(atLeastMedium).length).toBeGreaterThanOrEqual(lives.length - 1);
  });
});

describe('the pure pieces', () => {
  const a = (p: Partial<Ancestor> & { name: string }): Ancestor => ({
    pid: 10,
    ppid: 1,
    exe: null,
    cmdline: '',
    user: 'ana',
    peer: null,
    ...p,
  });

  it('reads SSH sessions on each platform, from unreadable root processes too, and refuses impostor servers', () => {
    const shell = a({ name: 'zsh', exe: '/bin/zsh' });
    expect(
      remoteOrigin(
        [shell, a({ name: 'sshd-session', exe: '/usr/libexec/sshd-session', cmdline: 'sshd-session: ana@ttys001' })],
        'darwin',
      ),
    ).toEqual({ via: 'an SSH session', user: 'ana', from: null });
    expect(
      remoteOrigin(
        [
          a({ name: 'pwsh.exe', exe: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe' }),
          a({ name: 'sshd.exe', exe: 'C:\\Windows\\System32\\OpenSSH\\sshd.exe', peer: '2001:db8::7', user: 'ana' }),
        ],
        'win32',
      ),
    ).toEqual({ via: 'an SSH session', user: 'ana', from: '2001:db8::7' });
    // An unprivileged recorder reads neither path: root's sshd is what a user-level dropper cannot be.
    expect(
      remoteOrigin(
        [a({ name: 'bash' }), a({ name: 'sshd', cmdline: 'sshd: ana@pts/0' }), a({ name: 'sshd', user: 'root' })],
        'linux',
      )?.user,
    ).toBe('ana');
    expect(remoteOrigin([a({ name: 'bash' }), a({ name: 'sshd', cmdline: 'sshd: ana@pts/0' })], 'linux')).toBeNull();
    expect(
      remoteOrigin(
        [a({ name: 'sshd', exe: '/home/ana/.ssh/sshd' }), a({ name: 'sshd', exe: '/usr/sbin/sshd' })],
        'linux',
      ),
    ).toBeNull();
    expect(remoteDetail({ via: 'an SSH session', user: 'ana', from: '192.0.2.7' })).toBe(
      'started from an SSH session from 192.0.2.7 as ana',
    );
    expect(peerHost([{ proto: 'tcp6', remote: '[2001:db8::7]:51514', state: 'ESTABLISHED' }])).toBe('2001:db8::7');
  });

  it('knows schedulers by name and path, through the job shell; a service svchost is not Task Scheduler', () => {
    const cron = a({ name: 'cron', exe: '/usr/sbin/cron', user: 'root' });
    expect(scheduledStart([a({ name: 'sh', exe: '/usr/bin/dash' }), cron], 'linux')).toBe(true);
    expect(scheduledStart([a({ name: 'cron', exe: '/home/ana/cron' })], 'linux')).toBe(false);
    expect(scheduledStart([a({ name: 'bash' }), a({ name: 'gnome-terminal-server' })], 'linux')).toBe(false);
    const svchost = (cmdline: string) =>
      a({ name: 'svchost.exe', exe: 'C:\\Windows\\System32\\svchost.exe', cmdline, user: 'SYSTEM' });
    expect(scheduledStart([svchost('C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule')], 'win32')).toBe(
      true,
    );
    expect(scheduledStart([svchost('C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p')], 'win32')).toBe(false);
    // launchd is every macOS process's parent: no scheduler reading from it.
    expect(scheduledStart([], 'darwin')).toBe(false);
  });

  it('keeps the media shape: a seek spike is forgiven, 20 s out of shape is not', () => {
    expect(mediaShaped(35, 20)).toBe(true);
    expect(mediaShaped(400, 0)).toBe(false);
    expect(mediaShaped(20, 95)).toBe(false);
    let s = stepMediaShape(null, 150, 10, 1000);
    expect(s.forfeit).toBe(false);
    s = stepMediaShape(s.overSince, 30, 10, 5000);
    expect(s).toEqual({ overSince: null, forfeit: false });
    s = stepMediaShape(null, 400, 0, 10_000);
    expect(stepMediaShape(s.overSince, 400, 0, 10_000 + MEDIA_OVER_MS).forfeit).toBe(true);
  });

  it('counts a relaunch only after the last run ended, and not for parallel workers', () => {
    const book = new RecurrenceBook();
    expect(book.launched('/usr/sbin/x', 0)).toBeNull();
    expect(book.launched('/usr/sbin/x', 100)).toBeNull(); // a parallel worker
    book.exited('/usr/sbin/x', 60_000);
    book.exited('/usr/sbin/x', 61_000);
    expect(book.launched('/usr/sbin/x', 301_000)).toBe(240_000);
    book.exited('/usr/sbin/x', 400_000);
    expect(book.launched('/usr/sbin/x', 400_000 + RECUR_GAP_MS + 1)).toBeNull(); // tomorrow's run
    book.busyWhilePresent('/usr/sbin/x', 500_000);
    expect(book.idleOnly('/usr/sbin/x', 600_000)).toBe(false);
    expect(programKey({ exe: '/usr/sbin/X', name: 'x' })).toBe('/usr/sbin/x');
  });
});
