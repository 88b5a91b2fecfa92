/**
 * An ordinary macOS desktop: launchd and its many daemons, kernel_task, WindowServer drawing,
 * Spotlight (mds, mds_stores and short-lived mdworker_shared), the Dock and Finder, and apps with
 * "Helper (Renderer)" processes.
 */
import { httpsConn } from '../hosts.js';
import { BgBuilder, type BgContext, constant, cpu, flicker, n, presence, type Scale } from './builder.js';

export interface MacOptions {
  browser: 'chrome' | 'safari' | 'firefox';
  scale: Scale;
}

const DAEMONS = [
  'logd',
  'UserEventAgent',
  'uninstalld',
  'fseventsd',
  'mediaremoted',
  'systemstats',
  'configd',
  'endpointsecurityd',
  'powerd',
  'IOMFB_bics_daemon',
  'remoted',
  'watchdogd',
  'kernelmanagerd',
  'diskarbitrationd',
  'coreduetd',
  'syslogd',
  'thermalmonitord',
  'opendirectoryd',
  'apsd',
  'launchservicesd',
  'timed',
  'usbmuxd',
  'securityd',
  'locationd',
  'autofsd',
  'dasd',
  'distnoted',
  'notifyd',
  'corebrightnessd',
  'airportd',
  'bluetoothd',
  'coreaudiod',
  'symptomsd',
  'trustd',
  'runningboardd',
  'cfprefsd',
  'lsd',
  'mDNSResponder',
  'mDNSResponderHelper',
  'sandboxd',
  'syspolicyd',
  'nsurlsessiond',
  'containermanagerd',
  'softwareupdated',
  'airplayd',
  'mobileassetd',
  'aned',
  'analyticsd',
  'appleeventsd',
  'audioclocksyncd',
  'biomed',
  'cloudpaird',
  'corekdld',
  'ctkd',
  'deleted',
  'diagnosticd',
  'findmydeviced',
  'gamecontrollerd',
  'hidd',
  'installd',
  'keybagd',
  'kdc',
  'mobiletimerd',
  'modelmanagerd',
  'multiversed',
  'nehelper',
  'ospredictiond',
  'PerfPowerServices',
  'rtcreportingd',
  'searchpartyd',
  'spindump',
  'sysmond',
  'tccd',
  'usbd',
  'wifianalyticsd',
  'wifip2pd',
  'WirelessRadioManagerd',
  'xpcroleaccountd',
  'amfid',
  'apfsd',
  'backupd-helper',
  'bootpd',
  'colorsyncd',
  'coreservicesd',
  'cryptexd',
  'dprivacyd',
  'driverkitd',
  'fairplayd',
  'filecoordinationd',
  'fudHelperAgent',
  'iconservicesd',
  'logd_helper',
  'lskdd',
  'mdmclient',
  'msd',
  'nfcd',
  'nesessionmanager',
  'powerexperienced',
  'revisiond',
  'rmd',
  'secinitd',
  'smd',
  'socketfilterfw',
  'suhelperd',
  'sysextd',
  'systemsoundserverd',
  'trustdFileHelper',
  'ucd',
  'wirelessproxd',
  'XProtectPluginService',
  'mds_stores_helper',
];

const AGENTS = [
  'loginwindow',
  'cfprefsd',
  'distnoted',
  'trustd',
  'secd',
  'SystemUIServer',
  'ControlCenter',
  'NotificationCenter',
  'Spotlight',
  'WallpaperAgent',
  'TextInputMenuAgent',
  'sharingd',
  'identityservicesd',
  'imagent',
  'CommCenter',
  'cloudd',
  'bird',
  'akd',
  'assistantd',
  'rapportd',
  'universalaccessd',
  'pboard',
  'knowledge-agent',
  'suggestd',
  'photolibraryd',
  'CalendarAgent',
  'AMPDeviceDiscoveryAgent',
  'corespotlightd',
  'ViewBridgeAuxiliary',
  'siriknowledged',
  'contactsd',
  'useractivityd',
  'routined',
  'coreservicesuiagent',
  'AccessibilityVisualsAgent',
  'AirPlayUIAgent',
  'AppleSpell',
  'askpermissiond',
  'avconferenced',
  'BiomeAgent',
  'CallHistoryPluginHelper',
  'ContinuityCaptureAgent',
  'CoreLocationAgent',
  'cloudphotod',
  'dmd',
  'familycircled',
  'fileproviderd',
  'followupd',
  'gamed',
  'homed',
  'iCloudNotificationAgent',
  'keyboardservicesd',
  'mediaremoteagent',
  'nbagent',
  'networkserviceproxy',
  'parsecd',
  'passd',
  'remindd',
  'ScreenTimeAgent',
  'siriactionsd',
  'SoftwareUpdateNotificationManager',
  'storedownloadd',
  'talagent',
  'tipsd',
  'translationd',
  'UsageTrackingAgent',
  'USBAgent',
  'WiFiAgent',
  'weatherd',
  'accountsd',
  'adprivacyd',
  'appstoreagent',
  'callservicesd',
  'chronod',
  'CloudKeychainProxy',
  'commerce',
  'ctkahp',
  'DataDetectorsSourceAccess',
  'donotdisturbd',
  'duetexpertd',
  'email.maild',
  'fontd',
  'intelligenceplatformd',
  'ManagedClientAgent',
  'mapspushd',
  'naturallanguaged',
  'newsd',
  'NotesMigratorService',
  'progressd',
  'promotedcontentd',
  'replayd',
  'ReportCrash',
  'sharedfilelistd',
  'shortcuts',
  'SafariBookmarksSyncAgent',
  'SafeEjectGPUAgent',
  'seserviced',
  'sociallayerd',
  'spotlightknowledged',
  'StatusKitAgent',
  'swcd',
  'syncdefaultsd',
  'transparencyd',
  'TrustedPeersHelper',
  'videosubscriptionsd',
  'WindowManager',
  'diagnostics_agent',
  'installerauthagent',
  'itunescloudd',
  'mlruntimed',
  'neagent',
  'ThemeWidgetControlViewService',
  'UniversalControl',
  'universalAccessAuthWarn',
  'WidgetKit Simulator',
];

export function macBackground(ctx: BgContext, opts: MacOptions): BgBuilder {
  const b = new BgBuilder(ctx);
  const { host } = ctx;
  const u = host.user;
  // kernel_task: interrupts and, under thermal pressure, forced idle time; always a few percent.
  b.add({
    key: 'kernel_task',
    name: 'kernel_task',
    exe: null,
    cmdline: '',
    user: 'root',
    pid: 0,
    ppid: 0,
    lives: b.sinceBoot(0.01),
    load: [constant(cpu(4, 2))],
  });
  b.add({
    key: 'launchd',
    name: 'launchd',
    exe: '/sbin/launchd',
    cmdline: '/sbin/launchd',
    user: 'root',
    pid: 1,
    ppid: 0,
    lives: b.sinceBoot(0.05),
    load: [flicker(0.1, 0.2, 2)],
  });
  for (const d of DAEMONS) {
    const exe =
      d === 'coreaudiod'
        ? '/usr/sbin/coreaudiod'
        : d.endsWith('d')
          ? `/usr/libexec/${d}`
          : `/System/Library/CoreServices/${d}`;
    b.add({
      name: d,
      exe,
      cmdline: exe,
      user: d === 'coreaudiod' ? '_coreaudiod' : 'root',
      parent: 'launchd',
      lives: b.sinceBoot(30),
      load: [flicker(0.03, 0.1, 1)],
    });
  }
  b.add({
    key: 'WindowServer',
    name: 'WindowServer',
    exe: '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer',
    cmdline: '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon',
    user: '_windowserver',
    parent: 'launchd',
    lives: b.sinceBoot(10),
    load: [presence({ cpu: n(6, 4), gpu: n(6, 4) }, 0.05, 10)],
  });
  // Spotlight: the indexer daemons, plus workers that come and go all day.
  b.add({
    key: 'mds',
    name: 'mds',
    exe: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds',
    cmdline: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds',
    user: 'root',
    parent: 'launchd',
    lives: b.sinceBoot(20),
    load: [b.bursts(3, [3, 20], cpu(10, 5)), flicker(0.05, 0.1, 1)],
  });
  b.add({
    name: 'mds_stores',
    exe: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds_stores',
    cmdline: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds_stores',
    user: 'root',
    parent: 'launchd',
    lives: b.sinceBoot(20),
    load: [b.bursts(3, [5, 40], cpu(20, 10)), flicker(0.05, 0.1, 1)],
  });
  for (let i = 0; i < 4; i++) {
    b.add({
      name: 'mdworker_shared',
      exe: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared',
      cmdline:
        '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared -s mdworker -c MDSImporterWorker -m com.apple.mdworker.shared',
      user: u,
      parent: 'launchd',
      lives: b.churn([20, 240], [10, 90]),
      load: [flicker(0.3, 0.5, 8)],
    });
  }
  for (const a of AGENTS) {
    const exe = a.endsWith('d') ? `/usr/libexec/${a}` : `/System/Library/CoreServices/${a}.app/Contents/MacOS/${a}`;
    const drawing = ['ControlCenter', 'Spotlight', 'SystemUIServer', 'WindowManager'].includes(a);
    b.add({
      name: a,
      exe,
      cmdline: exe,
      user: u,
      parent: 'launchd',
      lives: b.sinceLogin(30),
      load: drawing ? [presence(cpu(0.8, 0.5), 0.05, 10)] : [flicker(0.02, 0.1, 1)],
    });
  }
  b.add({
    name: 'Dock',
    exe: '/System/Library/CoreServices/Dock.app/Contents/MacOS/Dock',
    cmdline: '/System/Library/CoreServices/Dock.app/Contents/MacOS/Dock',
    user: u,
    parent: 'launchd',
    lives: b.sinceLogin(10),
    load: [presence(cpu(0.8, 0.5), 0.05, 10)],
  });
  b.add({
    name: 'Finder',
    exe: '/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder',
    cmdline: '/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder',
    user: u,
    parent: 'launchd',
    lives: b.sinceLogin(10),
    load: [presence(cpu(0.6, 0.4), 0.05, 10)],
  });
  // Every app brings XPC helpers; several run once per user and once for root.
  for (const x of [
    'com.apple.appkit.xpc.openAndSavePanelService',
    'com.apple.CodeSigningHelper',
    'com.apple.hiservices-xpcservice',
    'com.apple.quicklook.ThumbnailsAgent',
    'com.apple.Safari.SafeBrowsing.Service',
    'com.apple.tonelibraryd',
    'com.apple.CloudDocs.iCloudDriveFileProvider',
    'com.apple.DictionaryServiceHelper',
    'com.apple.iCloudHelper',
    'com.apple.StreamingUnzipService',
    'com.apple.PressAndHold',
    'com.apple.sbd',
    'com.apple.ctcategories.service',
    'com.apple.AppStoreDaemon.StorePrivilegedTaskService',
    'com.apple.MediaPlayer.RemotePlayerService',
    'com.apple.WebKit.Networking',
    'com.apple.WebKit.GPU',
    'com.apple.geod',
    'com.apple.accessibility.mediaaccessibilityd',
    'com.apple.audio.SandboxHelper',
    'com.apple.FileProvider.ArchiveService',
  ]) {
    for (let i = 0; i < b.rng.int(1, 3); i++) {
      const exe = `/System/Library/Frameworks/${x.split('.').pop()}.framework/XPCServices/${x}.xpc/Contents/MacOS/${x}`;
      b.add({ name: x, exe, cmdline: exe, user: i === 1 ? 'root' : u, parent: 'launchd', lives: b.sinceLogin(900) });
    }
  }
  for (let i = 0; i < 8; i++) {
    b.add({
      name: 'com.apple.WebKit.WebContent',
      exe: '/System/Library/Frameworks/WebKit.framework/Versions/A/XPCServices/com.apple.WebKit.WebContent.xpc/Contents/MacOS/com.apple.WebKit.WebContent',
      cmdline:
        '/System/Library/Frameworks/WebKit.framework/Versions/A/XPCServices/com.apple.WebKit.WebContent.xpc/Contents/MacOS/com.apple.WebKit.WebContent',
      user: u,
      parent: 'launchd',
      lives: b.sinceLogin(600),
      load: [flicker(0.02, 0.1, 1)],
    });
  }
  for (const x of [
    'XprotectService',
    'com.apple.geod',
    'AppSSODaemon',
    'IMDPersistenceAgent',
    'CategoriesService',
    'QuickLookUIService',
    'AutoFillPanelService',
  ]) {
    b.add({
      name: x,
      exe: `/System/Library/PrivateFrameworks/${x}.framework/XPCServices/${x}.xpc/Contents/MacOS/${x}`,
      cmdline: `/System/Library/PrivateFrameworks/${x}.framework/XPCServices/${x}.xpc/Contents/MacOS/${x}`,
      user: u,
      parent: 'launchd',
      lives: b.churn([300, 1200], [30, 600]),
    });
  }

  // The browser: one "Helper (Renderer)" per site.
  const app =
    opts.browser === 'chrome'
      ? { name: 'Google Chrome', dir: '/Applications/Google Chrome.app', helper: 'Google Chrome Helper' }
      : opts.browser === 'firefox'
        ? { name: 'firefox', dir: '/Applications/Firefox.app', helper: 'plugin-container' }
        : { name: 'Safari', dir: '/Applications/Safari.app', helper: 'com.apple.WebKit.WebContent' };
  const mainExe = `${app.dir}/Contents/MacOS/${app.name}`;
  b.add({
    key: 'browser',
    name: app.name,
    exe: mainExe,
    cmdline: mainExe,
    user: u,
    parent: 'launchd',
    lives: b.sinceEarlier(),
    conns: [httpsConn(b.rng), httpsConn(b.rng)],
    load: [presence(cpu(5, 3), 0.05, 15)],
  });
  const tabs =
    opts.scale === 'light' ? b.rng.int(3, 8) : opts.scale === 'normal' ? b.rng.int(8, 25) : b.rng.int(40, 100);
  const helperExe =
    opts.browser === 'chrome'
      ? `${app.dir}/Contents/Frameworks/Google Chrome Framework.framework/Versions/142.0.7444.60/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/Google Chrome Helper (Renderer)`
      : opts.browser === 'firefox'
        ? `${app.dir}/Contents/MacOS/plugin-container.app/Contents/MacOS/plugin-container`
        : '/System/Library/Frameworks/WebKit.framework/Versions/A/XPCServices/com.apple.WebKit.WebContent.xpc/Contents/MacOS/com.apple.WebKit.WebContent';
  const helperName = opts.browser === 'chrome' ? 'Google Chrome Helper (Renderer)' : app.helper;
  for (let i = 0; i < tabs; i++) {
    const load = i < 2 ? [presence(cpu(8, 6), 0.02, 15)] : i < 4 ? [constant(cpu(1, 0.8))] : [flicker(0.04, 0.2, 3)];
    b.add({
      name: helperName,
      exe: helperExe,
      cmdline: `${helperExe} --type=renderer --renderer-client-id=${i + 6}`,
      user: u,
      parent: 'browser',
      lives: i > tabs - 3 ? b.churn([120, 900], [60, 1200], true) : b.sinceEarlier(),
      load,
    });
  }
  if (opts.browser === 'chrome') {
    const gpuHelper = `${app.dir}/Contents/Frameworks/Google Chrome Framework.framework/Versions/142.0.7444.60/Helpers/Google Chrome Helper (GPU).app/Contents/MacOS/Google Chrome Helper (GPU)`;
    b.add({
      name: 'Google Chrome Helper (GPU)',
      exe: gpuHelper,
      cmdline: `${gpuHelper} --type=gpu-process`,
      user: u,
      parent: 'browser',
      lives: b.sinceEarlier(),
      load: [presence({ cpu: n(3, 2), gpu: n(3, 2) }, 0.05, 15)],
    });
  }
  const count = opts.scale === 'light' ? 2 : opts.scale === 'normal' ? 4 : 7;
  const apps = ['Slack', 'Spotify', 'Discord', 'Visual Studio Code', 'Dropbox', 'zoom.us', 'Microsoft Teams', 'Notion'];
  for (const name of b.rng.shuffle([...apps]).slice(0, count)) {
    const exe = `/Applications/${name}.app/Contents/MacOS/${name === 'Visual Studio Code' ? 'Electron' : name}`;
    const key = b.add({
      name,
      exe,
      cmdline: exe,
      user: u,
      parent: 'launchd',
      lives: b.sinceEarlier(),
      conns: [httpsConn(b.rng)],
      load: [presence(cpu(2, 1.5), 0.2, 15)],
    });
    for (const h of ['Helper', 'Helper (GPU)', 'Helper (Renderer)']) {
      const hexe = `/Applications/${name}.app/Contents/Frameworks/${name} Helper.app/Contents/MacOS/${name} ${h}`;
      b.add({
        name: `${name} ${h}`,
        exe: hexe,
        cmdline: `${hexe} --type=${h === 'Helper' ? 'utility' : h === 'Helper (GPU)' ? 'gpu-process' : 'renderer'}`,
        user: u,
        parent: key,
        lives: b.sinceEarlier(),
        load: [flicker(0.05, 0.2, 2)],
      });
    }
  }
  return b;
}
