/**
 * Legitimate software that deliberately works while the machine is idle, some of it starting on
 * idle and stopping on input exactly like an idle miner: Steam's shader pre-caching, scheduled
 * backups, screensavers, Windows and macOS idle maintenance, desktop indexers, Chrome's cleanup
 * scanner. What tells them apart is where they come from.
 */
import { computeGpu, displayGpu, winPaths } from '../hosts.js';
import type { Actor, Level, Span } from '../model.js';
import { actor, type Family, idleWork, noisy, session, setup, spans, wholeTrace } from './common.js';
import { constant, kinds, plan, whileActive } from './benign-kit.js';

const shaderPrecache: Family = {
  family: 'steam-shader-precache',
  label: 'benign',
  variants: 5,
  build(rng, v) {
    const s = setup(rng, { platform: 'linux', gpu: rng.pick(['nvidia', 'amd']) });
    const tl = session(s, { kinds: kinds(rng) });
    const h = s.host;
    const steam = `${h.home}/.local/share/Steam`;
    const app = rng.pick([1245620, 1091500, 570, 730, 1086940, 2050650]);
    const exe = `${steam}/ubuntu12_64/fossilize_replay`;
    // Steam processes Vulkan shaders in the background when the machine is idle; some updates pause
    // it when the person comes back, some let it finish.
    const pauses = v % 2 === 0;
    const windows = idleWork(tl, rng, {
      afterIdleSec: rng.pick([60, 120, 180]),
      delaySec: [0, 30],
      stopSec: pauses ? [0.5, 3] : [240, 900],
      minRunSec: 30,
    });
    const workers = rng.int(Math.max(2, Math.floor(h.cpuCores / 4)), Math.max(2, h.cpuCores - 2));
    const base = `${exe} --master-process --quiet-slave --shmem-fd 36 --control-fd 39 --num-threads ${workers} --spirv-val --on-disk-validation-whitelist ${steam}/steamapps/shadercache/${app}/fozpipelinesv6/steam_pipeline_cache_whitelist --device-index 0 --timeout-seconds 10 --implicit-whitelist 0 --replayer-cache ${steam}/steamapps/shadercache/${app}/fozpipelinesv6/replay_cache ${steam}/steamapps/shadercache/${app}/fozpipelinesv6/steam_pipeline_cache.foz`;
    const actors: Actor[] = [];
    const lives: Span[] = windows.map((w) => ({ from: w.from - 500, to: w.to + 300 }));
    actors.push(
      actor({
        key: 'fossilize-master',
        role: 'lookalike',
        name: 'fossilize_replay',
        exe,
        cmdline: base,
        user: h.user,
        parent: 'steam',
        lives,
        load: [constant({ cpu: noisy(3, 1) })],
      }),
    );
    for (let i = 0; i < workers; i++) {
      actors.push(
        actor({
          key: `fossilize-${i}`,
          role: 'lookalike',
          name: 'fossilize_replay',
          exe,
          cmdline: `${exe} --slave-process --num-threads 1 --shmem-fd 36 --control-fd 39 --device-index 0 ${steam}/steamapps/shadercache/${app}/fozpipelinesv6/steam_pipeline_cache.foz`,
          user: h.user,
          parent: 'fossilize-master',
          lives: lives.map((l) => ({ from: l.from + 300, to: l.to - 100 })),
          gpuId: computeGpu(h),
          load: [spans(windows, { cpu: noisy(rng.range(85, 99), 4), gpu: noisy(2, 1), gpuMemMiB: 40 }, 2000)],
        }),
      );
    }
    return {
      summary: `linux Steam shader pre-caching: ${workers} fossilize_replay workers start when idle${pauses ? ', pause on return' : ', run on after return'}`,
      plan: plan(s, tl, actors, { withApps: ['steam'] }),
    };
  },
};

const backup: Family = {
  family: 'scheduled-backup',
  label: 'benign',
  variants: 6,
  build(rng, v) {
    const os = (['linux', 'linux', 'win32', 'darwin', 'linux', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: kinds(rng), aways: 1, awaySec: [1200, 2200] });
    const h = s.host;
    // A timer fires at a fixed clock time that happens to fall while the person is away; the job
    // ends by itself, whether or not they came back.
    const gap = tl.quietGaps(tl.thresholdSec)[0] ?? { from: 60_000, to: tl.durationMs };
    const fire = gap.from + rng.range(0.15, 0.5) * (gap.to - gap.from);
    const run = { from: fire, to: fire + rng.range(300, 1200) * 1000 };
    const kind = (['restic', 'borg', 'wbengine', 'backupd', 'cron-daily', 'filehistory'] as const)[v] ?? 'restic';
    const startedAt = new Date(
      Date.UTC(2026, 4, rng.int(1, 28), rng.pick([1, 2, 3, 22, 23]), rng.pick([0, 30]), 0) - fire,
    ).toISOString();
    const actors: Actor[] = [];
    const heavy = (cores: number): Level => ({ cpu: noisy(cores * 100 * rng.range(0.6, 0.9), 20) });
    if (kind === 'restic') {
      actors.push(
        actor({
          key: 'restic',
          role: 'lookalike',
          name: 'restic',
          exe: '/usr/bin/restic',
          cmdline: `/usr/bin/restic backup --one-file-system --exclude-caches --tag nightly ${h.home}`,
          user: rng.pick(['root', h.user]),
          parent: 'systemd',
          lives: [run],
          load: [constant(heavy(Math.min(4, h.cpuCores)))],
          conns: [{ proto: 'tcp', remote: `203.0.113.${rng.int(2, 250)}:443`, state: 'ESTABLISHED' }],
        }),
      );
    } else if (kind === 'borg') {
      actors.push(
        actor({
          key: 'borg',
          role: 'lookalike',
          name: 'borg',
          exe: '/usr/bin/python3.12',
          cmdline: `/usr/bin/python3 /usr/bin/borg create --compression zstd,6 --stats ssh://backup@nas.local/./repo::${h.user}-{now} ${h.home}`,
          user: h.user,
          parent: 'systemd-user',
          lives: [run],
          load: [constant({ cpu: noisy(98, 4) })],
        }),
      );
      actors.push(
        actor({
          key: 'borg-ssh',
          role: 'lookalike',
          name: 'ssh',
          exe: '/usr/bin/ssh',
          cmdline: 'ssh backup@nas.local borg serve --restrict-to-path /srv/borg',
          user: h.user,
          parent: 'borg',
          lives: [run],
          load: [constant({ cpu: noisy(12, 3) })],
        }),
      );
    } else if (kind === 'wbengine' || kind === 'filehistory') {
      const name = kind === 'wbengine' ? 'wbengine.exe' : 'FileHistory.exe';
      actors.push(
        actor({
          key: 'winbackup',
          role: 'lookalike',
          name,
          exe: `C:\\Windows\\System32\\${name}`,
          cmdline:
            kind === 'wbengine'
              ? '"C:\\Windows\\system32\\wbengine.exe"'
              : 'C:\\Windows\\System32\\FileHistory.exe -Scheduled',
          user: kind === 'wbengine' ? 'SYSTEM' : h.user,
          parent: 'svchost.exe#3',
          lives: [run],
          load: [constant(heavy(2))],
        }),
      );
    } else if (kind === 'backupd') {
      actors.push(
        actor({
          key: 'backupd',
          role: 'lookalike',
          name: 'backupd',
          exe: '/System/Library/CoreServices/backupd.bundle/Contents/Resources/backupd',
          cmdline: '/System/Library/CoreServices/backupd.bundle/Contents/Resources/backupd',
          user: 'root',
          parent: 'launchd',
          lives: [run],
          load: [constant({ cpu: noisy(rng.range(40, 90), 15) })],
        }),
      );
    } else {
      // cron.daily through anacron: updatedb and man-db, one after the other.
      const half = run.from + (run.to - run.from) / 2;
      actors.push(
        actor({
          key: 'updatedb',
          role: 'lookalike',
          name: 'updatedb.plocate',
          exe: '/usr/sbin/updatedb.plocate',
          cmdline: '/usr/sbin/updatedb.plocate',
          user: 'root',
          parent: 'systemd',
          lives: [{ from: run.from, to: half }],
          load: [constant({ cpu: noisy(45, 10) })],
        }),
      );
      actors.push(
        actor({
          key: 'mandb',
          role: 'lookalike',
          name: 'mandb',
          exe: '/usr/bin/mandb',
          cmdline: '/usr/bin/mandb --quiet',
          user: 'man',
          parent: 'systemd',
          lives: [{ from: half, to: run.to }],
          load: [constant({ cpu: noisy(95, 5) })],
        }),
      );
    }
    return {
      summary: `${os} scheduled ${kind} at a fixed time during the away period, ends by itself`,
      plan: plan(s, tl, actors, { startedAt }),
    };
  },
};

const screensaver: Family = {
  family: 'screensaver',
  label: 'benign',
  variants: 6,
  build(rng, v) {
    const os = (['linux', 'win32', 'darwin', 'linux', 'win32', 'linux'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: ['away'], aways: rng.int(1, 2) });
    const h = s.host;
    // It starts after its own timeout, one process per activation, and exits on the first input.
    const timeout = Math.max(tl.thresholdSec, rng.pick([120, 300, 600]));
    const windows = idleWork(tl, rng, { afterIdleSec: timeout, delaySec: [0, 1], stopSec: [0.1, 0.6], minRunSec: 30 });
    const hack =
      os === 'linux'
        ? rng.pick([
            { name: 'glmatrix', exe: '/usr/libexec/xscreensaver/glmatrix', cmdline: 'glmatrix -root' },
            { name: 'flurry', exe: '/usr/libexec/xscreensaver/flurry', cmdline: 'flurry -root -preset random' },
            { name: 'antspotlight', exe: '/usr/libexec/xscreensaver/antspotlight', cmdline: 'antspotlight -root' },
          ])
        : os === 'win32'
          ? rng.pick([
              {
                name: 'Mystify.scr',
                exe: 'C:\\Windows\\System32\\Mystify.scr',
                cmdline: '"C:\\Windows\\System32\\Mystify.scr" /s',
              },
              {
                name: 'Ribbons.scr',
                exe: 'C:\\Windows\\System32\\Ribbons.scr',
                cmdline: '"C:\\Windows\\System32\\Ribbons.scr" /s',
              },
              {
                name: 'Bubbles.scr',
                exe: 'C:\\Windows\\System32\\Bubbles.scr',
                cmdline: '"C:\\Windows\\System32\\Bubbles.scr" /s',
              },
            ])
          : {
              name: 'legacyScreenSaver',
              exe: '/System/Library/Frameworks/ScreenSaver.framework/PlugIns/legacyScreenSaver.appex/Contents/MacOS/legacyScreenSaver',
              cmdline:
                '/System/Library/Frameworks/ScreenSaver.framework/PlugIns/legacyScreenSaver.appex/Contents/MacOS/legacyScreenSaver',
            };
    const actors: Actor[] = [];
    let parent: string | undefined;
    if (os === 'linux') {
      actors.push(
        actor({
          key: 'xscreensaver',
          role: 'lookalike',
          name: 'xscreensaver',
          exe: '/usr/bin/xscreensaver',
          cmdline: 'xscreensaver -no-splash',
          user: h.user,
          parent: 'systemd-user',
          lives: wholeTrace(rng),
          load: [{ kind: 'flicker', p: 0.02, cpu: [1, 1] }],
        }),
      );
      parent = 'xscreensaver';
    } else if (os === 'win32') {
      parent = 'winlogon';
    } else {
      parent = 'launchd';
    }
    const level: Level = {
      gpu: noisy(rng.range(15, 60), 5),
      cpu: noisy(rng.range(5, 30), 3),
      gpuMemMiB: rng.int(60, 200),
    };
    actors.push(
      actor({
        key: 'hack',
        role: 'lookalike',
        name: hack.name,
        exe: hack.exe,
        cmdline: hack.cmdline,
        user: h.user,
        parent,
        lives: windows.map((w) => ({ from: w.from - 200, to: w.to })),
        load: [spans(windows, level, 500)],
        gpuId: displayGpu(h),
        expect: { onlyWhenIdleSecAtLeast: timeout, graceSec: 1 },
      }),
    );
    return {
      summary: `${os} screensaver ${hack.name} from the system folder: GPU while idle, exits on input`,
      plan: plan(s, tl, actors),
    };
  },
};

const winMaintenance: Family = {
  family: 'windows-idle-maintenance',
  label: 'benign',
  variants: 6,
  build(rng, v) {
    const s = setup(rng, { platform: 'win32' });
    const tl = session(s, { kinds: ['away', 'locked-auto'], aways: 1, awaySec: [900, 1800] });
    const h = s.host;
    // Task Scheduler's idle condition: start after ~4 minutes idle, stop when the user returns.
    const windows = idleWork(tl, rng, {
      afterIdleSec: rng.pick([240, 300, 600]),
      delaySec: [0, 90],
      stopSec: [1, 15],
      minRunSec: 60,
    });
    const kind = (['tiworker', 'defender', 'indexer', 'ngen', 'compattel', 'defrag'] as const)[v] ?? 'tiworker';
    const actors: Actor[] = [];
    const omit: string[] = [];
    const lives: Span[] = windows.map((w) => ({ from: w.from - 1000, to: w.to + 500 }));
    const work = (level: Level, rampMs = 5000) => spans(windows, level, rampMs);
    if (kind === 'tiworker') {
      const dir =
        'C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.26100.4940_none_7f2a9b5c3c5e1a2d';
      actors.push(
        actor({
          key: 'tiworker',
          role: 'lookalike',
          name: 'TiWorker.exe',
          exe: `${dir}\\TiWorker.exe`,
          cmdline: `C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.26100.4940_none_7f2a9b5c3c5e1a2d\\TiWorker.exe -Embedding`,
          user: 'SYSTEM',
          parent: 'svchost.exe',
          lives,
          load: [work({ cpu: noisy(rng.range(90, 100), 8) })],
        }),
      );
      actors.push(
        actor({
          key: 'trustedinstaller',
          role: 'lookalike',
          name: 'TrustedInstaller.exe',
          exe: 'C:\\Windows\\servicing\\TrustedInstaller.exe',
          cmdline: 'C:\\Windows\\servicing\\TrustedInstaller.exe',
          user: 'SYSTEM',
          parent: 'services',
          lives,
          load: [work({ cpu: noisy(4, 2) })],
        }),
      );
    } else if (kind === 'defender') {
      // The scheduled scan runs inside the Defender service process itself.
      const defender = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25090.3009-0';
      omit.push('MsMpEng.exe');
      actors.push(
        actor({
          key: 'msmpeng',
          role: 'lookalike',
          name: 'MsMpEng.exe',
          exe: `${defender}\\MsMpEng.exe`,
          cmdline: `"${defender}\\MsMpEng.exe"`,
          user: 'SYSTEM',
          parent: 'services',
          lives: wholeTrace(rng, [3600, 40_000]),
          load: [work({ cpu: noisy(rng.range(60, 140), 20) }), { kind: 'flicker', p: 0.1, cpu: [0.2, 2] }],
        }),
      );
      actors.push(
        actor({
          key: 'mpcmdrun',
          role: 'lookalike',
          name: 'MpCmdRun.exe',
          exe: `${defender}\\MpCmdRun.exe`,
          cmdline: `"${defender}\\MpCmdRun.exe" Scan -ScheduleJob -ScanTrigger 55 -IdleScheduledJob`,
          user: 'SYSTEM',
          parent: 'svchost.exe#3',
          lives,
          load: [work({ cpu: noisy(1, 0.5) })],
        }),
      );
    } else if (kind === 'indexer') {
      omit.push('SearchIndexer.exe');
      actors.push(
        actor({
          key: 'searchindexer',
          role: 'lookalike',
          name: 'SearchIndexer.exe',
          exe: 'C:\\Windows\\System32\\SearchIndexer.exe',
          cmdline: 'C:\\Windows\\system32\\SearchIndexer.exe /Embedding',
          user: 'SYSTEM',
          parent: 'services',
          lives: wholeTrace(rng, [3600, 40_000]),
          load: [work({ cpu: noisy(rng.range(25, 60), 10) }), { kind: 'flicker', p: 0.05, cpu: [0.1, 1] }],
        }),
      );
      for (let i = 0; i < 2; i++)
        actors.push(
          actor({
            key: `protocolhost${i}`,
            role: 'lookalike',
            name: i === 0 ? 'SearchProtocolHost.exe' : 'SearchFilterHost.exe',
            exe: `C:\\Windows\\System32\\${i === 0 ? 'SearchProtocolHost.exe' : 'SearchFilterHost.exe'}`,
            cmdline: `"C:\\Windows\\system32\\${i === 0 ? 'SearchProtocolHost.exe' : 'SearchFilterHost.exe'}" Global\\UsGthrFltPipeMssGthrPipe${rng.int(1, 99)}`,
            user: 'SYSTEM',
            parent: 'searchindexer',
            lives,
            load: [work({ cpu: noisy(rng.range(20, 60), 10) })],
          }),
        );
    } else if (kind === 'ngen') {
      // .NET native image generation during idle: several mscorsvw.exe at once.
      actors.push(
        actor({
          key: 'ngentask',
          role: 'lookalike',
          name: 'ngentask.exe',
          exe: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\ngentask.exe',
          cmdline: '"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\ngentask.exe" /RuntimeWide /StopEvent:1234',
          user: 'SYSTEM',
          parent: 'svchost.exe#3',
          lives,
          load: [work({ cpu: noisy(2, 1) })],
        }),
      );
      for (let i = 0; i < Math.min(4, h.cpuCores); i++)
        actors.push(
          actor({
            key: `mscorsvw${i}`,
            role: 'lookalike',
            name: 'mscorsvw.exe',
            exe: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\mscorsvw.exe',
            cmdline: `C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\mscorsvw.exe -StartupEvent ${rng.hex(3)} -InterruptEvent 0 -NGENProcess ${rng.hex(3)} -Pipe ${rng.hex(3)} -Comment "NGen Worker Process"`,
            user: 'SYSTEM',
            parent: 'ngentask',
            lives,
            load: [work({ cpu: noisy(rng.range(70, 99), 10) })],
          }),
        );
    } else if (kind === 'compattel') {
      actors.push(
        actor({
          key: 'compattel',
          role: 'lookalike',
          name: 'CompatTelRunner.exe',
          exe: 'C:\\Windows\\System32\\CompatTelRunner.exe',
          cmdline:
            'C:\\Windows\\system32\\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun -cv:' +
            rng.alnum(16),
          user: 'SYSTEM',
          parent: 'svchost.exe#3',
          lives,
          load: [work({ cpu: noisy(rng.range(90, 100), 5) })],
        }),
      );
    } else {
      actors.push(
        actor({
          key: 'defrag',
          role: 'lookalike',
          name: 'defrag.exe',
          exe: 'C:\\Windows\\System32\\defrag.exe',
          cmdline: 'C:\\Windows\\system32\\defrag.exe -c -h -o -$',
          user: 'SYSTEM',
          parent: 'svchost.exe#3',
          lives,
          load: [work({ cpu: noisy(rng.range(8, 25), 4) })],
        }),
      );
    }
    return {
      summary: `win32 idle maintenance: ${kind} starts after idle (Task Scheduler idle condition), stops on return`,
      plan: plan(s, tl, actors, { omit }),
    };
  },
};

const macMaintenance: Family = {
  family: 'macos-idle-maintenance',
  label: 'benign',
  variants: 3,
  build(rng, v) {
    const s = setup(rng, { platform: 'darwin' });
    const tl = session(s, { aways: 1, kinds: ['away', 'locked-auto'], awaySec: [900, 1800] });
    const h = s.host;
    // photoanalysisd and mediaanalysisd do their work when the Mac is idle (and on power).
    const windows = idleWork(tl, rng, {
      afterIdleSec: rng.pick([180, 300, 600]),
      delaySec: [0, 120],
      stopSec: [0.5, 5],
      minRunSec: 60,
    });
    const pick = (
      [
        {
          name: 'photoanalysisd',
          exe: '/System/Library/PrivateFrameworks/PhotoAnalysis.framework/Versions/A/Support/photoanalysisd',
          level: { cpu: noisy(rng.range(60, 150), 15), gpu: noisy(30, 8) },
        },
        {
          name: 'mediaanalysisd',
          exe: '/System/Library/PrivateFrameworks/MediaAnalysis.framework/Versions/A/mediaanalysisd',
          level: { cpu: noisy(rng.range(80, 200), 20), gpu: noisy(45, 10) },
        },
        {
          name: 'mds_stores',
          exe: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds_stores',
          level: { cpu: noisy(rng.range(60, 110), 15) },
        },
      ] as const
    )[v] ?? { name: 'photoanalysisd', exe: '/usr/libexec/photoanalysisd', level: { cpu: noisy(80, 10) } };
    const omit = pick.name === 'mds_stores' ? ['mds_stores'] : [];
    const a = actor({
      key: 'analysis',
      role: 'lookalike',
      name: pick.name,
      exe: pick.exe,
      cmdline: pick.exe,
      user: pick.name === 'mds_stores' ? 'root' : h.user,
      parent: 'launchd',
      lives: wholeTrace(rng, [3600, 40_000]),
      load: [spans(windows, pick.level, 5000)],
    });
    return {
      summary: `darwin ${pick.name} doing its idle-time analysis, stops when the user returns`,
      plan: plan(s, tl, [a], { omit }),
    };
  },
};

const linuxIndexing: Family = {
  family: 'linux-idle-indexing',
  label: 'benign',
  variants: 3,
  build(rng, v) {
    const kde = v === 1;
    const s = setup(rng, { platform: 'linux' });
    const tl = session(s, { aways: 1, kinds: ['away', 'locked-manual'], awaySec: [900, 1500] });
    const h = s.host;
    // GNOME's tracker and KDE's baloo back off while the user types and catch up when idle.
    const windows = idleWork(tl, rng, {
      afterIdleSec: rng.pick([30, 60, 120]),
      delaySec: [0, 30],
      stopSec: [0.5, 4],
      minRunSec: 30,
    });
    const pick = kde
      ? { key: 'baloo_file_extr', name: 'baloo_file_extractor', exe: '/usr/bin/baloo_file_extractor' }
      : v === 0
        ? { key: 'tracker-miner-f', name: 'tracker-miner-fs-3', exe: '/usr/libexec/tracker-miner-fs-3' }
        : { key: 'tracker-extract', name: 'tracker-extract-3', exe: '/usr/libexec/tracker-extract-3' };
    const a = actor({
      key: 'indexer',
      role: 'lookalike',
      name: pick.name,
      exe: pick.exe,
      cmdline: pick.exe,
      user: h.user,
      parent: 'systemd-user',
      lives: wholeTrace(rng, [600, 20_000]),
      load: [spans(windows, { cpu: noisy(rng.range(40, 100), 12) }, 3000)],
    });
    return {
      summary: `linux ${pick.name} indexing new files while idle, backs off on input`,
      plan: plan(s, tl, [a], { desktop: kde ? 'kde' : 'gnome', omit: [pick.key] }),
    };
  },
};

const swReporter: Family = {
  family: 'chrome-software-reporter',
  label: 'benign',
  variants: 2,
  build(rng, v) {
    const s = setup(rng, { platform: 'win32' });
    const tl = session(s, { aways: 1, kinds: ['away'], awaySec: [900, 1500] });
    const h = s.host;
    // Chrome's cleanup scanner: a weekly run from AppData that keeps a core or two busy for minutes.
    const gap = tl.quietGaps(tl.thresholdSec)[0] ?? { from: 120_000, to: tl.durationMs };
    const from = v === 0 ? whileActive(tl, rng.range(30, 150)) : gap.from + rng.range(90, 400) * 1000;
    const run = { from, to: from + rng.range(400, 1100) * 1000 };
    const dir = `${winPaths(h).localAppData}\\Google\\Chrome\\User Data\\SwReporter\\142.326.200`;
    const a = actor({
      key: 'swreporter',
      role: 'lookalike',
      name: 'software_reporter_tool.exe',
      exe: `${dir}\\software_reporter_tool.exe`,
      cmdline: `"${dir}\\software_reporter_tool.exe" --engine=2 --scan-locations=1,2,3,4,5,6,7,8,10 --disabled-locations=9,11 --session-id=${rng.alnum(24)} --registry-suffix=ESET --enable-crash-reporting --srt-field-trials=SRTCanary`,
      user: h.user,
      parent: 'browser',
      lives: [run],
      load: [constant({ cpu: noisy(rng.range(90, 180), 15) })],
    });
    return {
      summary: `win32 Chrome software_reporter_tool.exe from AppData scanning for ${Math.round((run.to - run.from) / 60000)} min${v === 1 ? ', started while away' : ''}`,
      plan: plan(s, tl, [a], { browser: 'chrome' }),
    };
  },
};

export const IDLE_WORK: Family[] = [
  shaderPrecache,
  backup,
  screensaver,
  winMaintenance,
  macMaintenance,
  linuxIndexing,
  swReporter,
];
