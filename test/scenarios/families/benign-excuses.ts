/**
 * The real things whose excuses miners borrow (issue 11, items 2, 3 and 6): playback that starts
 * while nobody touches the input (a phone casting to the desktop, a playlist's next film), Steam's
 * shader pre-caching on Windows and from a Flatpak Steam, jobs someone starts over SSH while the
 * desk is empty, and scheduled maintenance (cron.daily, systemd timers, Windows' and macOS' own).
 */
import { computeGpu, displayGpu } from '../hosts.js';
import type { Actor, Level, Span } from '../model.js';
import { actor, type Family, idleWork, noisy, session, setup, spans, wholeTrace } from './common.js';
import { constant, kinds, plan } from './benign-kit.js';
import { sshListener, sshLogin } from './excuse-kit.js';

const castPlayback: Family = {
  family: 'media-starts-while-away',
  label: 'benign',
  variants: 5,
  build(rng, v) {
    const os = (['linux', 'win32', 'linux', 'darwin', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os });
    const h = s.host;
    const pick = [
      {
        what: 'Kodi started by its phone remote',
        name: 'kodi.bin',
        exe: '/usr/lib/x86_64-linux-gnu/kodi/kodi.bin',
        inhibitor: 'Kodi',
        browser: null,
        level: { cpu: noisy(rng.range(20, 45), 5), gpu: noisy(rng.range(10, 25), 3), gpuMemMiB: 300 },
      },
      {
        what: "MPC-HC's playlist moving to the next film",
        name: 'mpc-hc64.exe',
        exe: 'C:\\Program Files\\MPC-HC\\mpc-hc64.exe',
        inhibitor: 'mpc-hc64.exe',
        browser: null,
        level: { cpu: noisy(rng.range(5, 25), 3), gpu: noisy(rng.range(8, 20), 3), gpuMemMiB: 250 },
      },
      {
        what: 'a YouTube playlist autoplaying in Chrome',
        name: 'chrome',
        exe: '/opt/google/chrome/chrome',
        inhibitor: 'google-chrome',
        browser: 'chrome' as const,
        level: { cpu: noisy(rng.range(15, 35), 5) },
      },
      {
        what: 'AirPlay to the Mac (QuickTime Player)',
        name: 'QuickTime Player',
        exe: '/System/Applications/QuickTime Player.app/Contents/MacOS/QuickTime Player',
        inhibitor: 'QuickTime Player',
        browser: null,
        level: { cpu: noisy(rng.range(8, 30), 4), gpu: noisy(rng.range(6, 18), 2), gpuMemMiB: 200 },
      },
      {
        what: "Netflix's next episode in Edge",
        name: 'msedge.exe',
        exe: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
        inhibitor: 'msedge.exe',
        browser: 'edge' as const,
        level: { cpu: noisy(rng.range(15, 35), 5) },
      },
    ][v]!;
    // The person leaves; minutes later playback starts without anyone touching this machine.
    s.tb.active(rng.range(180, 500));
    const quiet = rng.range(180, 600);
    s.tb.away(quiet);
    const playFrom = s.tb.now;
    s.tb.away(rng.range(900, 1800), { inhibitor: pick.inhibitor });
    const playTo = s.tb.now + rng.range(5, 40) * 1000;
    s.tb.active(rng.range(120, 400));
    const tl = s.tb.build();
    const play: Span[] = [{ from: playFrom + 500, to: playTo }];
    const actors: Actor[] = [];
    const parent = pick.browser
      ? os === 'linux'
        ? 'chrome'
        : 'browser'
      : os === 'win32'
        ? 'explorer'
        : os === 'darwin'
          ? 'launchd'
          : 'systemd-user';
    actors.push(
      actor({
        key: 'player',
        role: 'lookalike',
        name: pick.name,
        exe: pick.exe,
        cmdline: pick.browser
          ? `${pick.exe} --type=renderer --lang=en-US --renderer-client-id=${rng.int(20, 60)}`
          : pick.exe,
        user: h.user,
        parent,
        lives: wholeTrace(rng, [600, 6000]),
        load: [spans(play, pick.level, 2000)],
        gpuId: displayGpu(h),
        expect: { inhibitor: pick.inhibitor },
      }),
    );
    if (pick.browser) {
      actors.push(
        actor({
          key: 'player-gpu',
          role: 'lookalike',
          name: pick.name,
          exe: pick.exe,
          cmdline: `${pick.exe} --type=gpu-process --gpu-preferences=WAAAAAAAAAAgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAA`,
          user: h.user,
          parent,
          lives: wholeTrace(rng, [600, 6000]),
          gpuId: displayGpu(h),
          load: [
            spans(play, { cpu: noisy(rng.range(6, 14), 2), gpu: noisy(rng.range(8, 22), 3), gpuMemMiB: 300 }, 2000),
          ],
          expect: { inhibitor: pick.inhibitor },
        }),
      );
    }
    return {
      summary: `${os} ${pick.what}: playback starts ${Math.round(quiet / 60)} min after the last input, holding an inhibitor (${pick.inhibitor})`,
      plan: plan(s, tl, actors, pick.browser ? { browser: pick.browser } : {}),
    };
  },
};

const shaderElsewhere: Family = {
  family: 'steam-shader-precache-more',
  label: 'benign',
  variants: 4,
  build(rng, v) {
    const flatpak = v === 3;
    const os = flatpak ? 'linux' : 'win32';
    const s = setup(rng, { platform: os, gpu: rng.pick(['nvidia', 'amd']) });
    const tl = session(s, { kinds: kinds(rng) });
    const h = s.host;
    const root = flatpak
      ? `${h.home}/.var/app/com.valvesoftware.Steam/.local/share/Steam`
      : 'C:\\Program Files (x86)\\Steam';
    const exe = flatpak ? `${root}/ubuntu12_64/fossilize_replay` : `${root}\\fossilize-replay64.exe`;
    const name = flatpak ? 'fossilize_replay' : 'fossilize-replay64.exe';
    const actors: Actor[] = [];
    let parent = 'steam';
    if (flatpak) {
      actors.push(
        actor({
          key: 'steam-flatpak',
          role: 'lookalike',
          name: 'steam',
          exe: `${root}/ubuntu12_32/steam`,
          cmdline: `${root}/ubuntu12_32/steam -srt-logger-opened -silent`,
          user: h.user,
          parent: 'systemd-user',
          lives: wholeTrace(rng, [600, 9000]),
          load: [{ kind: 'flicker', p: 0.2, cpu: [1, 3] }],
        }),
      );
      parent = 'steam-flatpak';
    }
    const pauses = v % 2 === 0;
    const windows = idleWork(tl, rng, {
      afterIdleSec: rng.pick([60, 120, 180]),
      delaySec: [0, 30],
      stopSec: pauses ? [0.5, 3] : [240, 900],
      minRunSec: 30,
    });
    const workers = rng.int(Math.max(2, Math.floor(h.cpuCores / 4)), Math.max(2, h.cpuCores - 2));
    const lives: Span[] = windows.map((w) => ({ from: w.from - 500, to: w.to + 300 }));
    const app = rng.pick([1245620, 1091500, 570, 730, 1086940, 2050650]);
    const cache = flatpak
      ? `${root}/steamapps/shadercache/${app}/fozpipelinesv6`
      : `${root}\\steamapps\\shadercache\\${app}\\fozpipelinesv6`;
    actors.push(
      actor({
        key: 'fossilize-master',
        role: 'lookalike',
        name,
        exe,
        cmdline: `"${exe}" --master-process --quiet-slave --num-threads ${workers} --spirv-val --device-index 0 --timeout-seconds 10 ${cache}`,
        user: h.user,
        parent,
        lives,
        load: [constant({ cpu: noisy(3, 1) })],
      }),
    );
    for (let i = 0; i < workers; i++) {
      actors.push(
        actor({
          key: `fossilize-${i}`,
          role: 'lookalike',
          name,
          exe,
          cmdline: `"${exe}" --slave-process --num-threads 1 --device-index 0 ${cache}`,
          user: h.user,
          parent: 'fossilize-master',
          lives: lives.map((l) => ({ from: l.from + 300, to: l.to - 100 })),
          gpuId: computeGpu(h),
          load: [spans(windows, { cpu: noisy(rng.range(85, 99), 4), gpu: noisy(2, 1), gpuMemMiB: 40 }, 2000)],
        }),
      );
    }
    return {
      summary: `${os} ${flatpak ? 'Flatpak ' : ''}Steam shader pre-caching: ${workers} ${name} workers start when idle${pauses ? ', pause on return' : ', run on after return'}`,
      plan: plan(s, tl, actors, flatpak ? {} : { withApps: ['steam'] }),
    };
  },
};

const sshJob: Family = {
  family: 'ssh-remote-job',
  label: 'benign',
  variants: 5,
  build(rng, v) {
    const os = v === 4 ? 'darwin' : 'linux';
    const s = setup(rng, { platform: os });
    const tl = session(s, { aways: 1, awaySec: [1200, 2400] });
    const h = s.host;
    const gap = tl.quietGaps(tl.thresholdSec)[0] ?? { from: 60_000, to: tl.durationMs };
    // The same person (or a colleague) logs in from a laptop while the desk is empty.
    const login = gap.from + rng.range(tl.thresholdSec + 20, tl.thresholdSec + 400) * 1000;
    const logout = Math.min(tl.durationMs + 60_000, gap.to + rng.range(-200, 600) * 1000);
    const actors: Actor[] = [];
    if (os === 'darwin') actors.push(sshListener(rng, 'darwin'));
    const ssh = sshLogin(rng, {
      os,
      user: h.user,
      client: `192.0.2.${rng.int(2, 250)}`,
      from: login,
      to: logout,
      listener: os === 'darwin' ? 'sshd-listener' : 'sshd',
      role: 'lookalike',
    });
    actors.push(...ssh.actors);
    const start = login + rng.range(20, 120) * 1000;
    const job = [
      {
        what: 'a node script',
        name: 'node',
        exe: '/usr/bin/node',
        cmdline: 'node scripts/build-index.js',
        cores: 1,
        min: [1, 10],
      },
      {
        what: 'a Python data job',
        name: 'python3',
        exe: '/usr/bin/python3.12',
        cmdline: 'python3 analyse.py --input data/2026-q3.parquet',
        cores: rng.int(1, 4),
        min: [3, 15],
      },
      {
        what: 'a model training run',
        name: 'python3',
        // Miniconda's default prefix (a project's .venv would also be a hidden folder: see the report).
        exe: `${h.home}/miniconda3/bin/python3`,
        cmdline: `${h.home}/miniconda3/bin/python3 train.py --epochs 3 --workers 4`,
        cores: 4,
        min: [10, 25],
      },
      {
        what: 'a test suite',
        name: 'cargo',
        exe: `${h.home}/.cargo/bin/cargo`,
        cmdline: 'cargo test --release',
        cores: rng.int(2, 6),
        min: [2, 8],
      },
      {
        what: 'a node script',
        name: 'node',
        exe: '/opt/homebrew/bin/node',
        cmdline: 'node index.mjs',
        cores: 1,
        min: [1, 6],
      },
    ][v]!;
    const to = Math.min(logout - 2000, start + rng.range(job.min[0]!, job.min[1]!) * 60_000);
    const cores = Math.min(job.cores, h.cpuCores);
    // Work that varies as real jobs do (I/O waits, phases), not hashing's flat line.
    const level: Level = { cpu: noisy(cores * rng.range(70, 98), cores * rng.range(4, 12)) };
    actors.push(
      actor({
        key: 'job',
        role: 'lookalike',
        name: job.name,
        exe: job.exe,
        cmdline: job.cmdline,
        user: h.user,
        parent: ssh.shell,
        lives: [{ from: start, to }],
        load: [spans([{ from: start + 300, to }], level, 2000)],
      }),
    );
    return {
      summary: `${os} ${job.what} (${cores} core${cores > 1 ? 's' : ''}) started over SSH while the desk is empty`,
      plan: plan(s, tl, actors),
    };
  },
};

const scheduledMaintenance: Family = {
  family: 'scheduled-maintenance',
  label: 'benign',
  variants: 6,
  build(rng, v) {
    const os = (['linux', 'linux', 'linux', 'win32', 'darwin', 'linux'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os });
    const tl = session(s, { aways: 1, kinds: ['away', 'locked-auto'], awaySec: v === 4 ? [7000, 9000] : [1500, 2700] });
    const h = s.host;
    const gap = tl.quietGaps(tl.thresholdSec)[0] ?? { from: 60_000, to: tl.durationMs };
    const at = (frac: number): number => gap.from + frac * (gap.to - gap.from);
    const actors: Actor[] = [];
    const job = (
      key: string,
      name: string,
      exe: string,
      cmdline: string,
      user: string,
      parent: string,
      from: number,
      min: number,
      level: Level,
    ) =>
      actors.push(
        actor({
          key,
          role: 'lookalike',
          name,
          exe,
          cmdline,
          user,
          parent,
          lives: [{ from, to: from + min * 60_000 }],
          load: [constant(level)],
        }),
      );
    let what: string;
    if (v === 0) {
      // cron.daily through anacron and run-parts: man-db, then plocate's updatedb.
      what = 'cron.daily (anacron → run-parts → man-db, updatedb)';
      const t0 = at(rng.range(0.2, 0.35));
      job('anacron', 'anacron', '/usr/sbin/anacron', '/usr/sbin/anacron -d -q -s', 'root', 'cron', t0, 14, {
        cpu: noisy(0.3, 0.2),
      });
      job(
        'run-parts',
        'run-parts',
        '/usr/bin/run-parts',
        'run-parts --report /etc/cron.daily',
        'root',
        'anacron',
        t0 + 500,
        13,
        {
          cpu: noisy(0.3, 0.2),
        },
      );
      job(
        'mandb',
        'mandb',
        '/usr/bin/mandb',
        '/usr/bin/mandb --quiet',
        'man',
        'run-parts',
        t0 + 2000,
        rng.range(2, 5),
        {
          cpu: noisy(rng.range(70, 98), 8),
        },
      );
      job(
        'updatedb',
        'updatedb.plocate',
        '/usr/sbin/updatedb.plocate',
        '/usr/sbin/updatedb.plocate',
        'root',
        'run-parts',
        t0 + 6 * 60_000,
        rng.range(2, 6),
        {
          cpu: noisy(rng.range(30, 60), 10),
        },
      );
    } else if (v === 1) {
      // systemd timers: fstrim, logrotate, then apt-daily's unattended-upgrade (python) with dpkg.
      what = 'systemd timers (fstrim, logrotate, unattended-upgrade)';
      job(
        'fstrim',
        'fstrim',
        '/usr/sbin/fstrim',
        '/usr/sbin/fstrim --listed-in /etc/fstab:/proc/self/mountinfo --verbose --quiet-unsupported',
        'root',
        'systemd',
        at(0.15),
        rng.range(0.5, 2),
        {
          cpu: noisy(rng.range(20, 60), 8),
        },
      );
      job(
        'logrotate',
        'logrotate',
        '/usr/sbin/logrotate',
        '/usr/sbin/logrotate /etc/logrotate.conf',
        'root',
        'systemd',
        at(0.3),
        rng.range(1, 3),
        {
          cpu: noisy(rng.range(60, 95), 8),
        },
      );
      job(
        'unattended',
        'unattended-upgr',
        '/usr/bin/python3.12',
        '/usr/bin/python3 /usr/bin/unattended-upgrade',
        'root',
        'systemd',
        at(0.45),
        12,
        {
          cpu: noisy(rng.range(40, 90), 15),
        },
      );
      job(
        'dpkg',
        'dpkg',
        '/usr/bin/dpkg',
        '/usr/bin/dpkg --status-fd 10 --configure --pending',
        'root',
        'unattended',
        at(0.45) + 4 * 60_000,
        5,
        {
          cpu: noisy(rng.range(50, 95), 15),
        },
      );
    } else if (v === 2) {
      // A user's own cron line: sync the work folder every 10 minutes, whether or not anyone is here.
      what = "a user's cron rsync every 10 min (also while present)";
      const phase = rng.range(0, 600) * 1000;
      const lives: Span[] = [];
      const work: { from: number; to: number; level: Level; rampMs: number }[] = [];
      for (let t = phase; t < tl.durationMs; t += 10 * 60_000) {
        const run = rng.range(40, 140) * 1000;
        lives.push({ from: t, to: t + run + 1000 });
        work.push({ from: t + 300, to: t + run, level: { cpu: noisy(rng.range(40, 80), 10) }, rampMs: 1000 });
      }
      actors.push(
        actor({
          key: 'rsync',
          role: 'lookalike',
          name: 'rsync',
          exe: '/usr/bin/rsync',
          cmdline: `rsync -a --delete ${h.home}/work/ nas.local:/backup/${h.user}/work/`,
          user: h.user,
          parent: 'cron',
          lives,
          load: [{ kind: 'spans', spans: work }],
        }),
      );
    } else if (v === 3) {
      // Windows: a Defender scheduled scan started by Task Scheduler, then servicing (TiWorker).
      what = 'a scheduled Defender scan and Windows servicing';
      const defender = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25090.3009-0';
      job(
        'mpcmdrun',
        'MpCmdRun.exe',
        `${defender}\\MpCmdRun.exe`,
        `"${defender}\\MpCmdRun.exe" Scan -ScheduleJob -ScanTrigger 55`,
        'SYSTEM',
        'svchost.exe#3',
        at(0.2),
        10,
        {
          cpu: noisy(rng.range(40, 110), 15),
        },
      );
      job(
        'tiworker',
        'TiWorker.exe',
        'C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.26100.4940_none_7f2a9b5c3c5e1a2d\\TiWorker.exe',
        'C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.26100.4940_none_7f2a9b5c3c5e1a2d\\TiWorker.exe -Embedding',
        'SYSTEM',
        'svchost.exe',
        at(0.55),
        rng.range(5, 12),
        { cpu: noisy(rng.range(80, 100), 8) },
      );
    } else if (v === 4) {
      // macOS: Time Machine every hour of a long absence, and Spotlight indexing what it wrote.
      what = 'hourly Time Machine backups and Spotlight over a long absence';
      for (let k = 0; k < 3; k++) {
        const from = gap.from + (20 + k * 60) * 60_000 + rng.range(0, 120) * 1000;
        if (from > gap.to - 10 * 60_000) break;
        job(
          `backupd${k}`,
          'backupd',
          '/System/Library/CoreServices/backupd.bundle/Contents/Resources/backupd',
          '/System/Library/CoreServices/backupd.bundle/Contents/Resources/backupd',
          'root',
          'launchd',
          from,
          rng.range(4, 12),
          {
            cpu: noisy(rng.range(40, 90), 15),
          },
        );
      }
      job(
        'mdworker',
        'mdworker_shared',
        '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared',
        '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared -s mdworker -c MDSImporterWorker -m com.apple.mdworker.shared',
        h.user,
        'launchd',
        gap.from + 35 * 60_000,
        6,
        {
          cpu: noisy(rng.range(40, 90), 12),
        },
      );
    } else {
      // systemd timers of plocate and man-db, once each.
      what = 'plocate-updatedb.timer and man-db.timer';
      job(
        'updatedb',
        'updatedb.plocate',
        '/usr/sbin/updatedb.plocate',
        '/usr/sbin/updatedb.plocate',
        'root',
        'systemd',
        at(0.25),
        rng.range(2, 6),
        {
          cpu: noisy(rng.range(30, 70), 10),
        },
      );
      job('mandb', 'mandb', '/usr/bin/mandb', '/usr/bin/mandb --quiet', 'man', 'systemd', at(0.6), rng.range(2, 5), {
        cpu: noisy(rng.range(80, 98), 6),
      });
    }
    const startedAt = new Date(
      Date.UTC(2026, 4, rng.int(1, 28), rng.pick([1, 2, 3, 22, 23]), 0, 0) - gap.from,
    ).toISOString();
    return { summary: `${os} scheduled maintenance while away: ${what}`, plan: plan(s, tl, actors, { startedAt }) };
  },
};

export const EXCUSE_BENIGN: Family[] = [castPlayback, shaderElsewhere, sshJob, scheduledMaintenance];
