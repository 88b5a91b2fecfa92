/**
 * An ordinary Linux desktop: kernel threads (no executable, empty command line), systemd and its
 * daemons, a GNOME or KDE session on the GPU at low load, a browser with many renderer processes,
 * chat, sync and music apps, editors spawning git, cron jobs. Loads are what such processes show
 * in top on a normal day: mostly nothing, crumbs, bursts when used.
 */
import { displayGpu, httpsConn } from '../hosts.js';
import type { Level } from '../model.js';
import { BgBuilder, type BgContext, constant, cpu, flicker, n, presence, type Scale } from './builder.js';

export interface LinuxOptions {
  desktop: 'gnome' | 'kde';
  browser: 'firefox' | 'chrome' | 'none';
  scale: Scale;
  /** Apps that must be there (a scenario's actor is their child). */
  withApps?: string[];
}

function kernelThreads(b: BgBuilder): void {
  const { host } = b.ctx;
  b.add({ name: 'kthreadd', exe: null, cmdline: '', user: 'root', pid: 2, ppid: 0, lives: b.sinceBoot(0.1) });
  const k = (name: string, load = [flicker(0.002, 1, 1)]) =>
    b.add({ name, exe: null, cmdline: '', user: 'root', ppid: 2, lives: b.sinceBoot(3), load });
  for (const name of [
    'pool_workqueue_release',
    'kworker/R-rcu_g',
    'kworker/R-rcu_p',
    'kworker/R-slub_',
    'kworker/R-netns',
    'kworker/R-mm_pe',
    'rcu_tasks_kthread',
    'rcu_tasks_rude_kthread',
    'rcu_tasks_trace_kthread',
    'rcu_preempt',
    'rcu_exp_par_gp_kthread_worker/0',
    'rcu_exp_gp_kthread_worker',
    'kdevtmpfs',
    'kworker/R-inet_',
    'kauditd',
    'khungtaskd',
    'oom_reaper',
    'kworker/R-write',
    'kcompactd0',
    'ksmd',
    'khugepaged',
    'kworker/R-kinte',
    'kworker/R-kbloc',
    'kworker/R-blkcg',
    'irq/9-acpi',
    'kworker/R-tpm_d',
    'kworker/R-ata_s',
    'kworker/R-md',
    'kworker/R-edac-',
    'kworker/R-devfr',
    'watchdogd',
    'kswapd0',
    'ecryptfs-kthread',
    'kworker/R-kthro',
    'kworker/R-acpi_',
    'scsi_eh_0',
    'kworker/R-scsi_',
    'kworker/R-nvme-',
    'kworker/R-nvme-',
    'kworker/R-nvme-',
    'jbd2/nvme0n1p2-8',
    'kworker/R-ext4-',
    'kworker/R-crypt',
    'irq/126-aerdrv',
    'kworker/R-cfg80',
    'irq/160-iwlwifi',
    'kworker/R-USBC0',
    'card1-crtc0',
    'card1-crtc1',
    'card1-crtc2',
    'card1-crtc3',
    'psimon',
    'kworker/R-ttm',
  ]) {
    k(name);
  }
  if (host.gpus.some((g) => g.vendor === 'nvidia')) {
    k('irq/186-nvidia', [flicker(0.05, 1, 2)]);
    k('nv_queue');
    k('nv_queue');
    k('nvidia-modeset/kthread_q');
    k('nvidia-modeset/deferred_close_kthread_q');
    k('UVM global queue');
    k('UVM deferred release queue');
    k('UVM Tools Event Queue');
  }
  for (let c = 0; c < host.cpuCores; c++) {
    k(`cpuhp/${c}`, []);
    k(`idle_inject/${c}`, []);
    k(`migration/${c}`, [flicker(0.01, 1, 1)]);
    k(`ksoftirqd/${c}`, [flicker(0.02, 1, 2)]);
    k(`kworker/${c}:0H-events_highpri`, [flicker(0.005, 1, 1)]);
    k(
      `kworker/${c}:${b.rng.int(0, 3)}-${b.rng.pick(['events', 'mm_percpu_wq', 'pm', 'cgroup_destroy', 'events_freezable'])}`,
      [flicker(0.03, 1, 2)],
    );
  }
  // Unbound kworkers come and go all day.
  const unbound = `kworker/u${host.cpuCores * 2}`;
  for (let i = 0; i < 8 + host.cpuCores / 2; i++) {
    b.add({
      name: `${unbound}:${b.rng.int(0, 40)}-${b.rng.pick(['events_unbound', 'flush-259:0', 'writeback', 'ext4-rsv-conversion', 'iwlwifi:mac80211'])}`,
      exe: null,
      cmdline: '',
      user: 'root',
      ppid: 2,
      lives: i < 6 ? b.sinceBoot(600) : b.churn([60, 600], [30, 900]),
      load: [flicker(0.04, 1, 3)],
    });
  }
}

function system(b: BgBuilder): void {
  const { host } = b.ctx;
  b.add({
    key: 'systemd',
    name: 'systemd',
    exe: '/usr/lib/systemd/systemd',
    cmdline: '/sbin/init splash',
    user: 'root',
    pid: 1,
    ppid: 0,
    lives: b.sinceBoot(0.1),
    load: [flicker(0.02, 1, 3)],
  });
  const svc = (name: string, exe: string, cmdline: string, user = 'root', load = [flicker(0.01, 1, 1)]) =>
    b.add({ name, exe, cmdline, user, parent: 'systemd', lives: b.sinceBoot(15), load });
  svc('systemd-journal', '/usr/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald', 'root', [
    flicker(0.08, 1, 3),
  ]);
  svc('systemd-udevd', '/usr/bin/udevadm', '/usr/lib/systemd/systemd-udevd');
  svc('systemd-oomd', '/usr/lib/systemd/systemd-oomd', '/usr/lib/systemd/systemd-oomd', 'systemd-oom', [
    flicker(0.05, 1, 1),
  ]);
  svc('systemd-resolve', '/usr/lib/systemd/systemd-resolved', '/usr/lib/systemd/systemd-resolved', 'systemd-resolve');
  svc(
    'systemd-timesyn',
    '/usr/lib/systemd/systemd-timesyncd',
    '/usr/lib/systemd/systemd-timesyncd',
    'systemd-timesync',
  );
  svc('systemd-logind', '/usr/lib/systemd/systemd-logind', '/usr/lib/systemd/systemd-logind');
  svc(
    'dbus-daemon',
    '/usr/bin/dbus-daemon',
    '@dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only',
    'messagebus',
    [flicker(0.05, 1, 2)],
  );
  svc('NetworkManager', '/usr/sbin/NetworkManager', '/usr/sbin/NetworkManager --no-daemon', 'root', [
    flicker(0.02, 1, 2),
  ]);
  svc(
    'wpa_supplicant',
    '/usr/sbin/wpa_supplicant',
    '/usr/sbin/wpa_supplicant -u -s -O DIR=/run/wpa_supplicant GROUP=netdev',
  );
  svc('polkitd', '/usr/lib/polkit-1/polkitd', '/usr/lib/polkit-1/polkitd --no-debug', 'polkitd');
  svc('accounts-daemon', '/usr/libexec/accounts-daemon', '/usr/libexec/accounts-daemon');
  svc('udisksd', '/usr/libexec/udisks2/udisksd', '/usr/libexec/udisks2/udisksd');
  svc('upowerd', '/usr/libexec/upowerd', '/usr/libexec/upowerd');
  svc('rtkit-daemon', '/usr/libexec/rtkit-daemon', '/usr/libexec/rtkit-daemon', 'rtkit');
  svc('cupsd', '/usr/sbin/cupsd', '/usr/sbin/cupsd -l');
  svc('cups-browsed', '/usr/sbin/cups-browsed', '/usr/sbin/cups-browsed');
  svc('avahi-daemon', '/usr/sbin/avahi-daemon', 'avahi-daemon: running [workstation.local]', 'avahi', [
    flicker(0.01, 1, 1),
  ]);
  svc('ModemManager', '/usr/sbin/ModemManager', '/usr/sbin/ModemManager');
  svc('thermald', '/usr/sbin/thermald', '/usr/sbin/thermald --systemd --dbus-enable --adaptive');
  svc('irqbalance', '/usr/sbin/irqbalance', '/usr/sbin/irqbalance --foreground', 'root', [flicker(0.01, 1, 1)]);
  svc('cron', '/usr/sbin/cron', '/usr/sbin/cron -f -P');
  svc('rsyslogd', '/usr/sbin/rsyslogd', '/usr/sbin/rsyslogd -n -iNONE', 'syslog');
  svc('snapd', '/usr/lib/snapd/snapd', '/usr/lib/snapd/snapd', 'root', [
    flicker(0.01, 1, 2),
    b.bursts(1, [5, 30], cpu(15)),
  ]);
  svc('power-profiles-', '/usr/libexec/power-profiles-daemon', '/usr/libexec/power-profiles-daemon');
  svc('switcheroo-cont', '/usr/libexec/switcheroo-control', '/usr/libexec/switcheroo-control');
  svc('colord', '/usr/libexec/colord', '/usr/libexec/colord', 'colord');
  svc('gdm3', '/usr/sbin/gdm3', '/usr/sbin/gdm3');
  svc('sshd', '/usr/sbin/sshd', 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups');
  svc('fwupd', '/usr/libexec/fwupd/fwupd', '/usr/libexec/fwupd/fwupd', 'root', [b.bursts(0.5, [5, 20], cpu(20))]);
  // PackageKit refreshes metadata now and then: a real CPU burst from a system folder.
  svc('packagekitd', '/usr/libexec/packagekitd', '/usr/libexec/packagekitd', 'root', [
    b.bursts(0.7, [20, 90], cpu(45, 20)),
  ]);
  if (host.gpus.some((g) => g.vendor === 'nvidia')) {
    svc(
      'nvidia-persiste',
      '/usr/bin/nvidia-persistenced',
      '/usr/bin/nvidia-persistenced --user nvidia-persistenced --no-persistence-mode --verbose',
      'nvidia-persistenced',
    );
  }
  // Cron: short jobs every few minutes (sessionclean, anacron checks, sysstat).
  b.add({
    name: 'sh',
    exe: '/usr/bin/dash',
    cmdline: '/bin/sh -c command -v debian-sa1 > /dev/null && debian-sa1 1 1',
    user: 'root',
    parent: 'cron',
    lives: b.churn([540, 660], [0.3, 1.5]),
    load: [flicker(0.5, 1, 4)],
  });
  b.add({
    name: 'sa1',
    exe: '/usr/lib/sysstat/sadc',
    cmdline: '/usr/lib/sysstat/sadc -F -L -S DISK 1 1 /var/log/sysstat',
    user: 'root',
    parent: 'cron',
    lives: b.churn([540, 660], [0.5, 2]),
    load: [flicker(0.5, 1, 6)],
  });
}

function session(b: BgBuilder, opts: LinuxOptions): void {
  const { host } = b.ctx;
  const u = host.user;
  const gpu = displayGpu(host);
  b.add({
    key: 'systemd-user',
    name: 'systemd',
    exe: '/usr/lib/systemd/systemd',
    cmdline: '/usr/lib/systemd/systemd --user',
    user: u,
    parent: 'systemd',
    lives: b.sinceLogin(2),
  });
  const usvc = (name: string, exe: string, cmdline: string, load = [flicker(0.01, 1, 1)]) =>
    b.add({ name, exe, cmdline, user: u, parent: 'systemd-user', lives: b.sinceLogin(20), load });
  usvc('(sd-pam)', '/usr/lib/systemd/systemd', '(sd-pam)', []);
  usvc(
    'dbus-daemon',
    '/usr/bin/dbus-daemon',
    '/usr/bin/dbus-daemon --session --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only',
    [flicker(0.08, 1, 2)],
  );
  usvc('pipewire', '/usr/bin/pipewire', '/usr/bin/pipewire', [presence(cpu(1.2, 0.5), 0.3, 60)]);
  usvc('pipewire-pulse', '/usr/bin/pipewire-pulse', '/usr/bin/pipewire-pulse', [flicker(0.05, 1, 1)]);
  usvc('wireplumber', '/usr/bin/wireplumber', '/usr/bin/wireplumber', [flicker(0.03, 1, 1)]);
  usvc('gvfsd', '/usr/libexec/gvfsd', '/usr/libexec/gvfsd');
  usvc('gvfsd-fuse', '/usr/libexec/gvfsd-fuse', '/usr/libexec/gvfsd-fuse /run/user/1000/gvfs -f');
  usvc('gvfs-udisks2-vo', '/usr/libexec/gvfs-udisks2-volume-monitor', '/usr/libexec/gvfs-udisks2-volume-monitor', [
    flicker(0.02, 1, 1),
  ]);
  usvc('gvfsd-trash', '/usr/libexec/gvfsd-trash', '/usr/libexec/gvfsd-trash --spawner :1.13 /org/gtk/gvfs/exec_spaw/0');
  usvc('gvfsd-metadata', '/usr/libexec/gvfsd-metadata', '/usr/libexec/gvfsd-metadata');
  usvc('xdg-desktop-por', '/usr/libexec/xdg-desktop-portal', '/usr/libexec/xdg-desktop-portal');
  usvc('xdg-document-po', '/usr/libexec/xdg-document-portal', '/usr/libexec/xdg-document-portal');
  usvc('xdg-permission-', '/usr/libexec/xdg-permission-store', '/usr/libexec/xdg-permission-store');
  usvc('at-spi-bus-laun', '/usr/libexec/at-spi-bus-launcher', '/usr/libexec/at-spi-bus-launcher');
  usvc('at-spi2-registr', '/usr/libexec/at-spi2-registryd', '/usr/libexec/at-spi2-registryd --use-gnome-session');
  usvc('gpg-agent', '/usr/bin/gpg-agent', '/usr/bin/gpg-agent --supervised');
  usvc('ssh-agent', '/usr/bin/ssh-agent', '/usr/bin/ssh-agent -D -a /run/user/1000/openssh_agent');
  usvc('ibus-daemon', '/usr/bin/ibus-daemon', '/usr/bin/ibus-daemon --panel disable', [presence(cpu(0.8, 0.4), 0, 5)]);
  usvc('ibus-engine-sim', '/usr/libexec/ibus-engine-simple', '/usr/libexec/ibus-engine-simple');

  // The compositor and display server draw when someone uses the machine and almost stop when not
  // (and the screen blanks).
  const drawing = (c: number, g: number): Level => ({ cpu: n(c, c * 0.5), gpu: n(g, g * 0.5) });
  if (opts.desktop === 'gnome') {
    b.add({
      name: 'gdm-session-wor',
      exe: '/usr/libexec/gdm-session-worker',
      cmdline: 'gdm-session-worker [pam/gdm-password]',
      user: 'root',
      parent: 'gdm3',
      lives: b.sinceLogin(1),
    });
    b.add({
      name: 'gdm-wayland-ses',
      exe: '/usr/libexec/gdm-wayland-session',
      cmdline:
        '/usr/libexec/gdm-wayland-session env GNOME_SHELL_SESSION_MODE=ubuntu /usr/bin/gnome-session --session=ubuntu',
      user: u,
      parent: 'gdm-session-wor',
      lives: b.sinceLogin(2),
    });
    usvc('gnome-session-c', '/usr/libexec/gnome-session-ctl', '/usr/libexec/gnome-session-ctl --monitor');
    usvc(
      'gnome-session-b',
      '/usr/libexec/gnome-session-binary',
      '/usr/libexec/gnome-session-binary --systemd-service --session=ubuntu',
    );
    b.add({
      key: 'gnome-shell',
      name: 'gnome-shell',
      exe: '/usr/bin/gnome-shell',
      cmdline: '/usr/bin/gnome-shell',
      user: u,
      parent: 'systemd-user',
      lives: b.sinceLogin(5),
      gpuId: gpu,
      gpuMemMiB: b.rng.int(120, 380),
      load: [presence(drawing(6, 4), 0.05, 10), flicker(0.1, 1, 3)],
    });
    b.add({
      name: 'Xwayland',
      exe: '/usr/bin/Xwayland',
      cmdline: `/usr/bin/Xwayland :0 -rootless -noreset -accessx -core -auth /run/user/1000/.mutter-Xwaylandauth.${b.rng.alnum(6)} -listenfd 4 -listenfd 5 -displayfd 6 -initfd 7 -byteswappedclients`,
      user: u,
      parent: 'gnome-shell',
      lives: b.sinceLogin(8),
      gpuId: gpu,
      gpuMemMiB: b.rng.int(20, 80),
      load: [presence(drawing(1.5, 0.8), 0.02, 10)],
    });
    for (const gsd of [
      'gsd-a11y-settings',
      'gsd-color',
      'gsd-datetime',
      'gsd-housekeeping',
      'gsd-keyboard',
      'gsd-media-keys',
      'gsd-power',
      'gsd-print-notifications',
      'gsd-rfkill',
      'gsd-screensaver-proxy',
      'gsd-sharing',
      'gsd-smartcard',
      'gsd-sound',
      'gsd-wacom',
      'gsd-xsettings',
      'gsd-disk-utility-notify',
    ]) {
      usvc(gsd, `/usr/libexec/${gsd}`, `/usr/libexec/${gsd}`, [flicker(0.004, 1, 1)]);
    }
    usvc('gnome-shell-cal', '/usr/libexec/gnome-shell-calendar-server', '/usr/libexec/gnome-shell-calendar-server');
    usvc('evolution-sourc', '/usr/libexec/evolution-source-registry', '/usr/libexec/evolution-source-registry');
    usvc('evolution-calen', '/usr/libexec/evolution-calendar-factory', '/usr/libexec/evolution-calendar-factory');
    usvc('evolution-addre', '/usr/libexec/evolution-addressbook-factory', '/usr/libexec/evolution-addressbook-factory');
    usvc('goa-daemon', '/usr/libexec/goa-daemon', '/usr/libexec/goa-daemon');
    usvc('goa-identity-se', '/usr/libexec/goa-identity-service', '/usr/libexec/goa-identity-service');
    usvc('dconf-service', '/usr/libexec/dconf-service', '/usr/libexec/dconf-service');
    usvc('gjs', '/usr/bin/gjs-console', '/usr/bin/gjs -m /usr/share/gnome-shell/org.gnome.Shell.Notifications');
    usvc('gjs', '/usr/bin/gjs-console', '/usr/bin/gjs -m /usr/share/gnome-shell/org.gnome.ScreenSaver');
    usvc('tracker-miner-f', '/usr/libexec/tracker-miner-fs-3', '/usr/libexec/tracker-miner-fs-3', [
      b.bursts(1.5, [5, 40], cpu(25, 10), 'present'),
      flicker(0.01, 1, 1),
    ]);
    usvc('gnome-terminal-', '/usr/libexec/gnome-terminal-server', '/usr/libexec/gnome-terminal-server', [
      presence(cpu(2, 1.5), 0, 5),
    ]);
    usvc('nautilus', '/usr/bin/nautilus', '/usr/bin/nautilus --gapplication-service');
    usvc('update-notifier', '/usr/bin/update-notifier', 'update-notifier');
    usvc(
      'snap-store',
      '/snap/snap-store/1113/usr/bin/snap-store',
      '/snap/snap-store/1113/usr/bin/snap-store --gapplication-service',
      [b.bursts(0.5, [10, 40], cpu(30, 15))],
    );
  } else {
    b.add({
      name: 'sddm-helper',
      exe: '/usr/lib/x86_64-linux-gnu/sddm/sddm-helper',
      cmdline:
        '/usr/lib/x86_64-linux-gnu/sddm/sddm-helper --socket /tmp/sddm-auth-1 --id 1 --start /usr/bin/startplasma-x11 --user ' +
        u,
      user: 'root',
      parent: 'systemd',
      lives: b.sinceLogin(1),
    });
    b.add({
      key: 'Xorg',
      name: 'Xorg',
      exe: '/usr/lib/xorg/Xorg',
      cmdline:
        '/usr/lib/xorg/Xorg -nolisten tcp -background none -seat seat0 vt2 -auth /var/run/sddm/{' +
        b.rng.hex(8) +
        '} -noreset -displayfd 16',
      user: 'root',
      parent: 'systemd',
      lives: b.sinceLogin(1),
      gpuId: gpu,
      gpuMemMiB: b.rng.int(150, 450),
      load: [presence(drawing(3, 3), 0.05, 10)],
    });
    usvc('startplasma-x11', '/usr/bin/startplasma-x11', '/usr/bin/startplasma-x11');
    usvc('plasma_session', '/usr/bin/plasma_session', '/usr/bin/plasma_session');
    b.add({
      name: 'kwin_x11',
      exe: '/usr/bin/kwin_x11',
      cmdline: '/usr/bin/kwin_x11 --replace',
      user: u,
      parent: 'systemd-user',
      lives: b.sinceLogin(5),
      gpuId: gpu,
      gpuMemMiB: b.rng.int(60, 200),
      load: [presence(drawing(4, 3), 0.05, 10)],
    });
    b.add({
      name: 'plasmashell',
      exe: '/usr/bin/plasmashell',
      cmdline: '/usr/bin/plasmashell --no-respawn',
      user: u,
      parent: 'systemd-user',
      lives: b.sinceLogin(5),
      gpuId: gpu,
      gpuMemMiB: b.rng.int(60, 200),
      load: [presence(drawing(3, 1), 0.1, 10), flicker(0.1, 1, 2)],
    });
    for (const k of [
      'kded5',
      'kaccess',
      'ksmserver',
      'kactivitymanagerd',
      'polkit-kde-authentication-agent-1',
      'xembedsniproxy',
      'gmenudbusmenuproxy',
      'org_kde_powerdevil',
      'kscreen_backend_launcher',
      'kdeconnectd',
      'DiscoverNotifier',
      'kalendarac',
      'ksystemstats',
      'kglobalaccel5',
    ]) {
      usvc(k, `/usr/bin/${k}`, `/usr/bin/${k}`, [flicker(0.01, 1, 1)]);
    }
    // Baloo indexes new files: bursts while files change, mostly during use.
    usvc('baloo_file', '/usr/bin/baloo_file', '/usr/bin/baloo_file', [flicker(0.01, 1, 1)]);
    usvc('baloo_file_extr', '/usr/bin/baloo_file_extractor', '/usr/bin/baloo_file_extractor', [
      b.bursts(1.5, [5, 30], cpu(20, 10), 'present'),
    ]);
    usvc('konsole', '/usr/bin/konsole', '/usr/bin/konsole', [presence(cpu(2, 1.5), 0, 5)]);
    usvc('dolphin', '/usr/bin/dolphin', '/usr/bin/dolphin');
  }
  // A terminal with shells, one running an ssh session.
  for (let i = 0; i < b.rng.int(1, 4); i++) {
    const sh = b.add({
      name: 'bash',
      exe: '/usr/bin/bash',
      cmdline: 'bash',
      user: u,
      parent: opts.desktop === 'gnome' ? 'gnome-terminal-' : 'konsole',
      lives: b.sinceEarlier(),
    });
    if (i === 0 && b.rng.chance(0.5))
      b.add({
        name: 'ssh',
        exe: '/usr/bin/ssh',
        cmdline: `ssh build@10.0.${b.rng.int(0, 9)}.${b.rng.int(2, 250)}`,
        user: u,
        parent: sh,
        lives: b.sinceEarlier(),
        load: [presence(cpu(0.5), 0)],
      });
    if (i === 1 && b.rng.chance(0.5))
      b.add({
        name: 'htop',
        exe: '/usr/bin/htop',
        cmdline: 'htop',
        user: u,
        parent: sh,
        lives: b.sinceEarlier(),
        load: [constant(cpu(1.5, 0.8))],
      });
  }
}

function firefox(b: BgBuilder, scale: Scale): void {
  const { host } = b.ctx;
  const u = host.user;
  const gpu = displayGpu(host);
  const exe = b.rng.chance(0.5) ? '/usr/lib/firefox/firefox' : '/snap/firefox/5187/usr/lib/firefox/firefox';
  const conns = Array.from({ length: b.rng.int(4, 14) }, () => httpsConn(b.rng));
  b.add({
    key: 'firefox',
    name: 'firefox',
    exe,
    cmdline: exe,
    user: u,
    parent: 'systemd-user',
    lives: b.sinceEarlier(),
    gpuId: gpu,
    gpuMemMiB: b.rng.int(150, 600),
    conns,
    load: [presence({ cpu: n(8, 6), gpu: n(3, 2) }, 0.03, 15), flicker(0.2, 1, 3)],
  });
  const child = (name: string, args: string, load = [flicker(0.03, 1, 2)], lives = b.sinceEarlier()) =>
    b.add({ name, exe, cmdline: `${exe} -contentproc ${args}`, user: u, parent: 'firefox', lives, load });
  child(
    'Socket Process',
    `-ipcHandle 0 -signalPipe 1 -initialChannelId {${b.rng.hex(8)}} -parentPid 0 -appDir /usr/lib/firefox/browser 1 socket`,
    [flicker(0.2, 1, 2)],
  );
  child(
    'Privileged Cont',
    '-isForBrowser -prefsHandle 0:36 -prefMapHandle 1:270 -jsInitHandle 2:230 -parentBuildID 20251118 -sandboxingKind 0 -appDir /usr/lib/firefox/browser {' +
      b.rng.hex(8) +
      '} 2 true tab',
  );
  child(
    'WebExtensions',
    '-isForBrowser -prefsHandle 0:36 -prefMapHandle 1:270 -parentBuildID 20251118 -appDir /usr/lib/firefox/browser 3 true tab',
    [flicker(0.05, 1, 2)],
  );
  child('RDD Process', `-ipcHandle 0 -signalPipe 1 -parentPid 0 -appDir /usr/lib/firefox/browser 4 rdd`);
  child('Utility Process', `-ipcHandle 0 -signalPipe 1 -parentPid 0 -appDir /usr/lib/firefox/browser 5 utility`);
  const tabs = scale === 'light' ? b.rng.int(3, 8) : scale === 'normal' ? b.rng.int(8, 25) : b.rng.int(60, 200);
  for (let i = 0; i < tabs; i++) {
    const id = i + 6;
    // One tab the person reads; a few with timers and ads; the rest asleep.
    const load = i < 2 ? [presence(cpu(10, 8), 0.02, 15)] : i < 4 ? [constant(cpu(1.5, 1))] : [flicker(0.04, 1, 3)];
    const lives = i > tabs - 3 ? b.churn([120, 900], [60, 1200], true) : b.sinceEarlier();
    child(
      i % 5 === 4 ? 'Web Content' : 'Isolated Web Co',
      `-isForBrowser -prefsHandle 0:36 -prefMapHandle 1:270 -jsInitHandle 2:230 -parentBuildID 20251118 -sandboxingKind 0 -appDir /usr/lib/firefox/browser {${b.rng.hex(8)}} ${id} true tab`,
      load,
      lives,
    );
  }
}

function chrome(b: BgBuilder, scale: Scale): void {
  const { host } = b.ctx;
  const u = host.user;
  const gpu = displayGpu(host);
  const exe = b.rng.pick(['/opt/google/chrome/chrome', '/usr/lib/chromium/chromium', '/opt/brave.com/brave/brave']);
  const name = exe.split('/').pop() ?? 'chrome';
  const conns = Array.from({ length: b.rng.int(4, 14) }, () => httpsConn(b.rng));
  b.add({
    key: 'chrome',
    name,
    exe,
    cmdline: exe,
    user: u,
    parent: 'systemd-user',
    lives: b.sinceEarlier(),
    conns,
    load: [presence(cpu(4, 3), 0.05, 15), flicker(0.2, 1, 2)],
  });
  const child = (
    args: string,
    load = [flicker(0.03, 1, 2)],
    lives = b.sinceEarlier(),
    more: { gpuId?: string; gpuMemMiB?: number } = {},
  ) => b.add({ name, exe, cmdline: `${exe} ${args}`, user: u, parent: 'chrome', lives, load, ...more });
  child('--type=zygote --no-zygote-sandbox');
  child('--type=zygote');
  child(
    '--type=gpu-process --crashpad-handler-pid=0 --enable-crash-reporter= --change-stack-guard-on-fork=enable --gpu-preferences=UAAAAAAAAAAgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAA --shared-files --field-trial-handle=3,i,' +
      b.rng.int(1e15, 9e15),
    [presence({ cpu: n(4, 3), gpu: n(4, 3) }, 0.05, 15)],
    b.sinceEarlier(),
    { gpuId: gpu, gpuMemMiB: b.rng.int(150, 500) },
  );
  child(
    '--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --shared-files',
    [flicker(0.2, 1, 2)],
  );
  child(
    '--type=utility --utility-sub-type=storage.mojom.StorageService --lang=en-US --service-sandbox-type=utility --shared-files',
  );
  child(
    '--type=utility --utility-sub-type=audio.mojom.AudioService --lang=en-US --service-sandbox-type=none --shared-files',
    [presence(cpu(1, 0.5), 0.1)],
  );
  b.add({
    name: 'chrome_crashpad',
    exe: '/opt/google/chrome/chrome_crashpad_handler',
    cmdline:
      '/opt/google/chrome/chrome_crashpad_handler --monitor-self --monitor-self-annotation=ptype=crashpad-handler --database=' +
      host.home +
      '/.config/google-chrome/Crash Reports',
    user: u,
    parent: 'chrome',
    lives: b.sinceEarlier(),
  });
  const tabs = scale === 'light' ? b.rng.int(3, 8) : scale === 'normal' ? b.rng.int(10, 30) : b.rng.int(60, 220);
  for (let i = 0; i < tabs; i++) {
    const load = i < 2 ? [presence(cpu(10, 8), 0.02, 15)] : i < 5 ? [constant(cpu(1.2, 1))] : [flicker(0.04, 1, 3)];
    const lives = i > tabs - 4 ? b.churn([120, 900], [60, 1200], true) : b.sinceEarlier();
    child(
      `--type=renderer --crashpad-handler-pid=0 --enable-crash-reporter= --extension-process=${i % 7 === 6 ? 'true' : 'false'} --display-capture-permissions-policy-allowed --change-stack-guard-on-fork=enable --lang=en-US --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=${i + 7} --time-ticks-at-unix-epoch=-${b.rng.int(1e15, 9e15)} --launch-time-ticks=${b.rng.int(1e9, 9e9)} --shared-files=v8_context_snapshot_data:100 --field-trial-handle=3,i,${b.rng.int(1e15, 9e15)}`,
      load,
      lives,
    );
  }
}

/** Desktop apps people keep open: Electron chat, music, sync clients, an editor with its helpers. */
function apps(b: BgBuilder, scale: Scale, withApps: string[]): void {
  const { host } = b.ctx;
  const u = host.user;
  const gpu = displayGpu(host);
  const home = host.home;
  const pickApps = scale === 'light' ? 2 : scale === 'normal' ? 5 : 9;
  const all = [
    'slack',
    'discord',
    'spotify',
    'dropbox',
    'code',
    'thunderbird',
    'signal',
    'nextcloud',
    'steam',
    'docker',
    'syncthing',
    'telegram',
  ];
  const chosen = [...new Set([...withApps, ...b.rng.shuffle([...all]).slice(0, pickApps)])];
  const electron = (name: string, exe: string, helpers: number, idleCpu: number) => {
    const main = b.add({
      name,
      exe,
      cmdline: exe,
      user: u,
      parent: 'systemd-user',
      lives: b.sinceEarlier(),
      conns: [httpsConn(b.rng), httpsConn(b.rng)],
      load: [presence(cpu(3, 2), 0.2, 15), flicker(0.1, 1, 2)],
    });
    b.add({ name, exe, cmdline: `${exe} --type=zygote`, user: u, parent: main, lives: b.sinceEarlier() });
    b.add({
      name,
      exe,
      cmdline: `${exe} --type=gpu-process --field-trial-handle=${b.rng.int(1e15, 9e15)}`,
      user: u,
      parent: main,
      lives: b.sinceEarlier(),
      gpuId: gpu,
      gpuMemMiB: b.rng.int(40, 160),
      load: [presence({ cpu: n(1.5, 1), gpu: n(1.5, 1) }, 0.1, 15)],
    });
    b.add({
      name,
      exe,
      cmdline: `${exe} --type=utility --utility-sub-type=network.mojom.NetworkService`,
      user: u,
      parent: main,
      lives: b.sinceEarlier(),
      load: [flicker(0.1, 1, 1)],
    });
    for (let i = 0; i < helpers; i++) {
      b.add({
        name,
        exe,
        cmdline: `${exe} --type=renderer --renderer-client-id=${i + 5}`,
        user: u,
        parent: main,
        lives: b.sinceEarlier(),
        load: [presence(cpu(2, 2), 0.3, 15), constant(cpu(idleCpu, idleCpu / 2))],
      });
    }
  };
  for (const app of chosen) {
    switch (app) {
      case 'slack':
        electron('slack', '/usr/lib/slack/slack', 2, 0.8);
        break;
      case 'discord':
        electron('Discord', '/usr/share/discord/Discord', 2, 0.6);
        break;
      case 'signal':
        electron('signal-desktop', '/opt/Signal/signal-desktop', 1, 0.3);
        break;
      case 'code': {
        const exe = '/usr/share/code/code';
        electron('code', exe, 3, 0.5);
        // The editor's git extension runs git on a timer while the window is used.
        b.add({
          name: 'git',
          exe: '/usr/bin/git',
          cmdline: 'git status -z -uall',
          user: u,
          parent: 'code',
          lives: b.churn([3, 20], [0.05, 0.4], true),
          load: [constant(cpu(40, 20))],
        });
        b.add({
          name: 'node',
          exe,
          cmdline: `${exe} --ms-enable-electron-run-as-node ${home}/.vscode/extensions/ms-python.vscode-pylance-2025.10.1/dist/server.bundle.js --cancellationReceive=file:${b.rng.hex(40)} --node-ipc --clientProcessId=0`,
          user: u,
          parent: 'code',
          lives: b.sinceEarlier(),
          load: [presence(cpu(6, 5), 0.02, 20)],
        });
        break;
      }
      case 'spotify':
        b.add({
          name: 'spotify',
          exe: '/usr/share/spotify/spotify',
          cmdline: '/usr/share/spotify/spotify',
          user: u,
          parent: 'systemd-user',
          lives: b.sinceEarlier(),
          conns: [httpsConn(b.rng)],
          load: [constant(cpu(2, 1))],
        });
        for (let i = 0; i < 4; i++)
          b.add({
            name: 'spotify',
            exe: '/usr/share/spotify/spotify',
            cmdline: `/usr/share/spotify/spotify --type=${['zygote', 'gpu-process', 'utility', 'renderer'][i]}`,
            user: u,
            parent: 'spotify',
            lives: b.sinceEarlier(),
            load: [flicker(0.05, 1, 2)],
          });
        break;
      case 'dropbox':
        b.add({
          name: 'dropbox',
          exe: `${home}/.dropbox-dist/dropbox-lnx.x86_64-235.4.5321/dropbox`,
          cmdline: `${home}/.dropbox-dist/dropbox-lnx.x86_64-235.4.5321/dropbox -sf`,
          user: u,
          parent: 'systemd-user',
          lives: b.sinceEarlier(),
          conns: [httpsConn(b.rng)],
          load: [flicker(0.1, 1, 2), b.bursts(2, [5, 60], cpu(20, 10))],
        });
        break;
      case 'nextcloud':
        b.add({
          name: 'nextcloud',
          exe: '/usr/bin/nextcloud',
          cmdline: '/usr/bin/nextcloud --background',
          user: u,
          parent: 'systemd-user',
          lives: b.sinceEarlier(),
          conns: [httpsConn(b.rng)],
          load: [b.bursts(3, [3, 30], cpu(15, 8))],
        });
        break;
      case 'syncthing':
        b.add({
          name: 'syncthing',
          exe: '/usr/bin/syncthing',
          cmdline: '/usr/bin/syncthing serve --no-browser --no-restart --logflags=0',
          user: u,
          parent: 'systemd-user',
          lives: b.sinceEarlier(),
          conns: [{ proto: 'tcp', remote: `192.168.1.${b.rng.int(2, 250)}:22000`, state: 'ESTABLISHED' }],
          load: [flicker(0.1, 1, 2), b.bursts(2, [10, 90], cpu(30, 15))],
        });
        break;
      case 'thunderbird':
        b.add({
          name: 'thunderbird',
          exe: '/usr/lib/thunderbird/thunderbird',
          cmdline: '/usr/lib/thunderbird/thunderbird',
          user: u,
          parent: 'systemd-user',
          lives: b.sinceEarlier(),
          conns: [httpsConn(b.rng)],
          load: [b.bursts(6, [2, 10], cpu(12, 6)), flicker(0.05, 1, 2)],
        });
        break;
      case 'telegram':
        b.add({
          name: 'telegram-deskto',
          exe: '/opt/telegram/Telegram',
          cmdline: `/opt/telegram/Telegram -workdir /home/${u}/.local/share/TelegramDesktop/ -- %u`,
          user: u,
          parent: 'systemd-user',
          lives: b.sinceEarlier(),
          load: [presence(cpu(2, 1), 0.2)],
        });
        break;
      case 'steam': {
        const steamDir = `${home}/.local/share/Steam`;
        const steam = b.add({
          key: 'steam',
          name: 'steam',
          exe: `${steamDir}/ubuntu12_32/steam`,
          cmdline: `${steamDir}/ubuntu12_32/steam -srt-logger-opened -silent`,
          user: u,
          parent: 'systemd-user',
          lives: b.sinceEarlier(),
          conns: [
            { proto: 'tcp', remote: `155.133.${b.rng.int(224, 255)}.${b.rng.int(2, 250)}:27017`, state: 'ESTABLISHED' },
          ],
          load: [flicker(0.2, 1, 3)],
        });
        b.add({
          name: 'steamwebhelper',
          exe: `${steamDir}/ubuntu12_64/steamwebhelper`,
          cmdline: `${steamDir}/ubuntu12_64/steamwebhelper -lang=en_US -cachedir=${home}/.local/share/Steam/config/htmlcache -steampid=0 -buildid=1763071543 -steamid=0 -logdir=${steamDir}/logs -uimode=7 -startcount=0 -steamuniverse=Public -realm=Global -clientui=${steamDir}/clientui -steampath=${steamDir}/ubuntu12_32/steam -launcher=0 -no-restart-on-ui-mode-change --valve-enable-site-isolation --enable-smooth-scrolling --password-store=basic --log-file=${steamDir}/logs/cef_log.txt --disable-quick-menu`,
          user: u,
          parent: steam,
          lives: b.sinceEarlier(),
          load: [flicker(0.1, 1, 3)],
        });
        for (let i = 0; i < 4; i++)
          b.add({
            name: 'steamwebhelper',
            exe: `${steamDir}/ubuntu12_64/steamwebhelper`,
            cmdline: `${steamDir}/ubuntu12_64/steamwebhelper --type=${['zygote', 'gpu-process', 'utility', 'renderer'][i]} --user-data-dir=${steamDir}/config/htmlcache`,
            user: u,
            parent: 'steamwebhelper',
            lives: b.sinceEarlier(),
            gpuId: gpu,
            gpuMemMiB: i === 1 ? 60 : 0,
            load: [flicker(0.05, 1, 2)],
          });
        b.add({
          name: 'pressure-vessel',
          exe: `${steamDir}/ubuntu12_32/steam-runtime/pressure-vessel/bin/pressure-vessel-wrap`,
          cmdline: 'pressure-vessel-wrap --batch --',
          user: u,
          parent: steam,
          lives: b.sinceEarlier(),
        });
        break;
      }
      case 'docker': {
        svcRoot(b, 'containerd', '/usr/bin/containerd', '/usr/bin/containerd', [flicker(0.1, 1, 2)]);
        svcRoot(
          b,
          'dockerd',
          '/usr/bin/dockerd',
          '/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock',
          [flicker(0.05, 1, 2)],
        );
        const containers = scale === 'heavy' ? b.rng.int(6, 16) : b.rng.int(1, 3);
        for (let c = 0; c < containers; c++) {
          const id = b.rng.hex(64);
          const shim = b.add({
            name: 'containerd-shim',
            exe: '/usr/bin/containerd-shim-runc-v2',
            cmdline: `/usr/bin/containerd-shim-runc-v2 -namespace moby -id ${id} -address /run/containerd/containerd.sock`,
            user: 'root',
            parent: 'systemd',
            lives: b.sinceEarlier(),
          });
          const kind = b.rng.pick(['postgres', 'redis', 'nginx', 'node']);
          if (kind === 'postgres') {
            const pg = b.add({
              name: 'postgres',
              exe: '/usr/lib/postgresql/16/bin/postgres',
              cmdline: 'postgres',
              user: '999',
              parent: shim,
              lives: b.sinceEarlier(),
            });
            for (const w of [
              'checkpointer',
              'background writer',
              'walwriter',
              'autovacuum launcher',
              'logical replication launcher',
            ]) {
              b.add({
                name: 'postgres',
                exe: '/usr/lib/postgresql/16/bin/postgres',
                cmdline: `postgres: ${w} `,
                user: '999',
                parent: pg,
                lives: b.sinceEarlier(),
                load: [flicker(0.01, 1, 1)],
              });
            }
          } else if (kind === 'redis') {
            b.add({
              name: 'redis-server',
              exe: '/usr/local/bin/redis-server',
              cmdline: 'redis-server *:6379',
              user: '999',
              parent: shim,
              lives: b.sinceEarlier(),
              load: [constant(cpu(0.3, 0.2))],
            });
          } else if (kind === 'nginx') {
            const ng = b.add({
              name: 'nginx',
              exe: '/usr/sbin/nginx',
              cmdline: 'nginx: master process nginx -g daemon off;',
              user: 'root',
              parent: shim,
              lives: b.sinceEarlier(),
            });
            for (let w = 0; w < host.cpuCores; w++)
              b.add({
                name: 'nginx',
                exe: '/usr/sbin/nginx',
                cmdline: 'nginx: worker process',
                user: '101',
                parent: ng,
                lives: b.sinceEarlier(),
              });
          } else {
            b.add({
              name: 'node',
              exe: '/usr/local/bin/node',
              cmdline: 'node dist/server.js',
              user: '1000',
              parent: shim,
              lives: b.sinceEarlier(),
              load: [flicker(0.1, 1, 3)],
            });
          }
        }
        break;
      }
    }
  }
}

function svcRoot(b: BgBuilder, name: string, exe: string, cmdline: string, load = [flicker(0.01, 1, 1)]): string {
  return b.add({ name, exe, cmdline, user: 'root', parent: 'systemd', lives: b.sinceBoot(20), load });
}

export function linuxBackground(ctx: BgContext, opts: LinuxOptions): BgBuilder {
  const b = new BgBuilder(ctx);
  system(b);
  kernelThreads(b);
  session(b, opts);
  if (opts.browser === 'firefox') firefox(b, opts.scale);
  if (opts.browser === 'chrome') chrome(b, opts.scale);
  apps(b, opts.scale, opts.withApps ?? []);
  return b;
}
