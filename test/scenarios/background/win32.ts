/**
 * An ordinary Windows 11 desktop: the kernel's own entries, services hosted in many svchost.exe
 * instances, the shell (explorer.exe, dwm.exe drawing on the GPU), Defender, the search indexer,
 * per-app RuntimeBroker.exe instances from System32, and apps that legitimately live under the
 * user's AppData (Discord, Spotify, OneDrive, Teams): a folder alone says little.
 */
import { displayGpu, httpsConn, winPaths } from '../hosts.js';
import { BgBuilder, type BgContext, constant, cpu, flicker, n, presence, type Scale } from './builder.js';

export interface WinOptions {
  browser: 'chrome' | 'edge' | 'firefox';
  scale: Scale;
  /** Apps that must be there (a scenario's actor is their child). */
  withApps?: string[];
}

const SYS32 = 'C:\\Windows\\System32';

/** svchost service groups as `tasklist /svc` shows them on Windows 11. */
const SVCHOST_GROUPS: readonly [string, string][] = [
  ['DcomLaunch -p', 'SYSTEM'],
  ['RPCSS -p', 'NETWORK SERVICE'],
  ['LocalServiceNetworkRestricted -p -s lmhosts', 'LOCAL SERVICE'],
  ['netsvcs -p -s Schedule', 'SYSTEM'],
  ['netsvcs -p -s ProfSvc', 'SYSTEM'],
  ['netsvcs -p -s UserManager', 'SYSTEM'],
  ['netsvcs -p -s Winmgmt', 'SYSTEM'],
  ['netsvcs -p -s gpsvc', 'SYSTEM'],
  ['netsvcs -p -s SENS', 'SYSTEM'],
  ['netsvcs -p -s Themes', 'SYSTEM'],
  ['netsvcs -p -s iphlpsvc', 'SYSTEM'],
  ['netsvcs -p -s ShellHWDetection', 'SYSTEM'],
  ['netsvcs -p -s BITS', 'SYSTEM'],
  ['netsvcs -p -s wuauserv', 'SYSTEM'],
  ['netsvcs -p -s UsoSvc', 'SYSTEM'],
  ['LocalServiceNoNetworkFirewall -p', 'LOCAL SERVICE'],
  ['LocalServiceNetworkRestricted -p -s Dhcp', 'LOCAL SERVICE'],
  ['LocalServiceNetworkRestricted -p -s EventLog', 'LOCAL SERVICE'],
  ['LocalService -p -s nsi', 'LOCAL SERVICE'],
  ['LocalService -p -s W32Time', 'LOCAL SERVICE'],
  ['LocalSystemNetworkRestricted -p -s SysMain', 'SYSTEM'],
  ['LocalSystemNetworkRestricted -p -s TrkWks', 'SYSTEM'],
  ['LocalSystemNetworkRestricted -p -s WdiSystemHost', 'SYSTEM'],
  ['NetworkService -p -s Dnscache', 'NETWORK SERVICE'],
  ['NetworkService -p -s CryptSvc', 'NETWORK SERVICE'],
  ['NetworkService -p -s LanmanWorkstation', 'NETWORK SERVICE'],
  ['LocalServiceNetworkRestricted -p -s AudioEndpointBuilder', 'SYSTEM'],
  ['LocalServiceNetworkRestricted -p -s Audiosrv', 'LOCAL SERVICE'],
  ['UnistackSvcGroup -s CDPUserSvc', 'USER'],
  ['UnistackSvcGroup -s WpnUserService', 'USER'],
  ['ClipboardSvcGroup -p -s cbdhsvc', 'USER'],
  ['appmodel -p -s StateRepository', 'SYSTEM'],
  ['appmodel -p -s camsvc', 'SYSTEM'],
  ['LocalSystemNetworkRestricted -p -s NcbService', 'SYSTEM'],
  ['wsappx -p -s AppXSvc', 'SYSTEM'],
  ['wsappx -p -s ClipSVC', 'SYSTEM'],
  ['LocalServiceAndNoImpersonation -p -s SSDPSRV', 'LOCAL SERVICE'],
  ['LocalService -p -s BthAvctpSvc', 'LOCAL SERVICE'],
  ['LocalSystemNetworkRestricted -p -s PcaSvc', 'SYSTEM'],
  ['NetSvcs -p -s DoSvc', 'NETWORK SERVICE'],
  ['LocalService -s WinHttpAutoProxySvc', 'LOCAL SERVICE'],
  ['utcsvc -p', 'SYSTEM'],
  ['imgsvc', 'LOCAL SERVICE'],
  ['print -s Spooler', 'SYSTEM'],
  ['LocalSystemNetworkRestricted -p -s DeviceAssociationService', 'SYSTEM'],
  ['LocalServiceNetworkRestricted -p -s TimeBrokerSvc', 'LOCAL SERVICE'],
  ['LocalService -p -s CDPSvc', 'LOCAL SERVICE'],
  ['LocalService -p -s DispBrokerDesktopSvc', 'LOCAL SERVICE'],
  ['LocalService -p -s FontCache', 'LOCAL SERVICE'],
  ['LocalService -p -s EventSystem', 'LOCAL SERVICE'],
  ['LocalServiceNoNetwork -p', 'LOCAL SERVICE'],
  ['LocalSystemNetworkRestricted -p -s StorSvc', 'SYSTEM'],
  ['LocalSystemNetworkRestricted -p -s UmRdpService', 'SYSTEM'],
  ['netsvcs -p -s lfsvc', 'SYSTEM'],
  ['netsvcs -p -s Appinfo', 'SYSTEM'],
  ['netsvcs -p -s LanmanServer', 'SYSTEM'],
  ['netsvcs -p -s wlidsvc', 'SYSTEM'],
  ['netsvcs -p -s TokenBroker', 'SYSTEM'],
  ['netsvcs -p -s DsmSvc', 'SYSTEM'],
  ['netsvcs -p -s InstallService', 'SYSTEM'],
  ['netsvcs -p -s WpnService', 'SYSTEM'],
  ['NetworkService -p -s NlaSvc', 'NETWORK SERVICE'],
  ['NetworkService -s LanmanWorkstation', 'NETWORK SERVICE'],
  ['LocalService -p -s netprofm', 'LOCAL SERVICE'],
  ['LocalServiceNetworkRestricted -p -s WinHttpAutoProxySvc', 'LOCAL SERVICE'],
  ['LocalSystemNetworkRestricted -p -s DsSvc', 'SYSTEM'],
  ['LocalSystemNetworkRestricted -p -s TabletInputService', 'SYSTEM'],
  ['NetworkServiceNetworkRestricted -p -s PolicyAgent', 'NETWORK SERVICE'],
  ['DevicesFlow -s DevicesFlowUserSvc', 'USER'],
  ['UnistackSvcGroup -s OneSyncSvc', 'USER'],
  ['UnistackSvcGroup -s UserDataSvc', 'USER'],
  ['UnistackSvcGroup -s PimIndexMaintenanceSvc', 'USER'],
  ['UnistackSvcGroup -s UnistoreSvc', 'USER'],
  ['BthAppGroup -p -s BluetoothUserService', 'USER'],
  ['LocalService -p -s WdiServiceHost', 'LOCAL SERVICE'],
  ['LocalSystemNetworkRestricted -p -s hidserv', 'SYSTEM'],
  ['LocalServiceNetworkRestricted -p -s WarpJITSvc', 'LOCAL SERVICE'],
  ['rdxgroup', 'SYSTEM'],
  ['swprv', 'SYSTEM'],
  ['smphost', 'NETWORK SERVICE'],
  ['GraphicsPerfSvcGroup -s GraphicsPerfSvc', 'SYSTEM'],
  ['LocalSystemNetworkRestricted -p -s WPDBusEnum', 'SYSTEM'],
  ['netsvcs -p -s IKEEXT', 'SYSTEM'],
  ['LocalServiceNetworkRestricted -p -s WdNisSvc', 'LOCAL SERVICE'],
];

/** Vendor services and tray helpers of an ordinary PC (audio, graphics, Intel ME, Office). */
const VENDOR: readonly [string, string, string][] = [
  [
    'RtkAudUService64.exe',
    'C:\\Windows\\System32\\DriverStore\\FileRepository\\realtekservice.inf_amd64_e5a0b5d6a3b0c1f4\\RtkAudUService64.exe',
    'SYSTEM',
  ],
  [
    'jhi_service.exe',
    'C:\\Windows\\System32\\DriverStore\\FileRepository\\dal.inf_amd64_0c2bc0a7a0a5d0de\\jhi_service.exe',
    'SYSTEM',
  ],
  ['LMS.exe', 'C:\\Windows\\System32\\DriverStore\\FileRepository\\lms.inf_amd64_0cd5c5c1e6e5e1d2\\LMS.exe', 'SYSTEM'],
  [
    'IntelCpHDCPSvc.exe',
    'C:\\Windows\\System32\\DriverStore\\FileRepository\\iigd_dch.inf_amd64_5f6a4b2d1e6f7a8b\\IntelCpHDCPSvc.exe',
    'SYSTEM',
  ],
  [
    'igfxEM.exe',
    'C:\\Windows\\System32\\DriverStore\\FileRepository\\iigd_dch.inf_amd64_5f6a4b2d1e6f7a8b\\igfxEM.exe',
    'USER',
  ],
  [
    'OfficeClickToRun.exe',
    'C:\\Program Files\\Common Files\\microsoft shared\\ClickToRun\\OfficeClickToRun.exe',
    'SYSTEM',
  ],
  ['armsvc.exe', 'C:\\Program Files (x86)\\Common Files\\Adobe\\ARM\\1.0\\armsvc.exe', 'SYSTEM'],
  ['GameInputSvc.exe', 'C:\\Program Files\\Microsoft GameInput\\x64\\GameInputSvc.exe', 'SYSTEM'],
  ['sppsvc.exe', 'C:\\Windows\\System32\\sppsvc.exe', 'NETWORK SERVICE'],
  ['SgrmBroker.exe', 'C:\\Windows\\System32\\SgrmBroker.exe', 'SYSTEM'],
  ['unsecapp.exe', 'C:\\Windows\\System32\\wbem\\unsecapp.exe', 'SYSTEM'],
  ['SystemSettingsBroker.exe', 'C:\\Windows\\System32\\SystemSettingsBroker.exe', 'USER'],
  [
    'CrossDeviceResume.exe',
    'C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\CrossDeviceResume.exe',
    'USER',
  ],
  [
    'GameBar.exe',
    'C:\\Program Files\\WindowsApps\\Microsoft.XboxGamingOverlay_7.325.9251.0_x64__8wekyb3d8bbwe\\GameBar.exe',
    'USER',
  ],
  [
    'Microsoft.Photos.exe',
    'C:\\Program Files\\WindowsApps\\Microsoft.Windows.Photos_2025.11090.24001.0_x64__8wekyb3d8bbwe\\Photos.exe',
    'USER',
  ],
  ['msedge.exe', 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe', 'USER'],
  ['UserOOBEBroker.exe', 'C:\\Windows\\System32\\oobe\\UserOOBEBroker.exe', 'USER'],
  ['ApplicationFrameHost.exe', 'C:\\Windows\\System32\\ApplicationFrameHost.exe', 'USER'],
];

function kernel(b: BgBuilder): void {
  // Protected processes: no path even with privilege.
  b.add({
    key: 'idle',
    name: 'System Idle Process',
    exe: null,
    cmdline: '',
    user: null,
    pid: 0,
    ppid: 0,
    lives: b.sinceBoot(0.01),
  });
  b.add({
    key: 'System',
    name: 'System',
    exe: null,
    cmdline: '',
    user: 'SYSTEM',
    pid: 4,
    ppid: 0,
    lives: b.sinceBoot(0.01),
    load: [flicker(0.3, 0.1, 1.5)],
  });
  b.add({ name: 'Secure System', exe: null, cmdline: '', user: 'SYSTEM', parent: 'System', lives: b.sinceBoot(0.1) });
  b.add({ name: 'Registry', exe: null, cmdline: '', user: 'SYSTEM', parent: 'System', lives: b.sinceBoot(0.1) });
  b.add({
    name: 'smss.exe',
    exe: `${SYS32}\\smss.exe`,
    cmdline: '\\SystemRoot\\System32\\smss.exe',
    user: 'SYSTEM',
    parent: 'System',
    lives: b.sinceBoot(0.5),
  });
  b.add({
    name: 'Memory Compression',
    exe: null,
    cmdline: '',
    user: 'SYSTEM',
    parent: 'System',
    lives: b.sinceBoot(20),
    load: [flicker(0.02, 0.1, 2)],
  });
  b.add({
    name: 'csrss.exe',
    exe: `${SYS32}\\csrss.exe`,
    cmdline:
      '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16',
    user: 'SYSTEM',
    ppid: 612,
    lives: b.sinceBoot(2),
  });
  b.add({
    name: 'csrss.exe',
    exe: `${SYS32}\\csrss.exe`,
    cmdline:
      '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows',
    user: 'SYSTEM',
    ppid: 700,
    lives: b.sinceBoot(3),
    load: [presence(cpu(0.4, 0.3), 0)],
  });
  b.add({
    key: 'wininit',
    name: 'wininit.exe',
    exe: `${SYS32}\\wininit.exe`,
    cmdline: 'wininit.exe',
    user: 'SYSTEM',
    ppid: 612,
    lives: b.sinceBoot(2),
  });
  b.add({
    key: 'winlogon',
    name: 'winlogon.exe',
    exe: `${SYS32}\\winlogon.exe`,
    cmdline: 'winlogon.exe',
    user: 'SYSTEM',
    ppid: 700,
    lives: b.sinceBoot(3),
  });
  b.add({
    key: 'services',
    name: 'services.exe',
    exe: `${SYS32}\\services.exe`,
    cmdline: 'C:\\Windows\\system32\\services.exe',
    user: 'SYSTEM',
    parent: 'wininit',
    lives: b.sinceBoot(3),
    load: [flicker(0.03, 0.1, 1)],
  });
  b.add({
    name: 'lsass.exe',
    exe: `${SYS32}\\lsass.exe`,
    cmdline: 'C:\\Windows\\system32\\lsass.exe',
    user: 'SYSTEM',
    parent: 'wininit',
    lives: b.sinceBoot(3),
    load: [flicker(0.03, 0.1, 1)],
  });
  b.add({
    name: 'fontdrvhost.exe',
    exe: `${SYS32}\\fontdrvhost.exe`,
    cmdline: '"fontdrvhost.exe"',
    user: 'UMFD-0',
    parent: 'wininit',
    lives: b.sinceBoot(3),
  });
  b.add({
    name: 'fontdrvhost.exe',
    exe: `${SYS32}\\fontdrvhost.exe`,
    cmdline: '"fontdrvhost.exe"',
    user: 'UMFD-1',
    parent: 'winlogon',
    lives: b.sinceBoot(4),
  });
  b.add({
    name: 'LsaIso.exe',
    exe: `${SYS32}\\LsaIso.exe`,
    cmdline: '\\??\\C:\\Windows\\system32\\lsaiso.exe',
    user: 'SYSTEM',
    parent: 'wininit',
    lives: b.sinceBoot(3),
  });
}

function services(b: BgBuilder): void {
  const { host } = b.ctx;
  for (const [group, who] of SVCHOST_GROUPS) {
    const user = who === 'USER' ? host.user : who;
    // Windows Update and the Delivery Optimization service wake up now and then.
    const busy = /wuauserv|UsoSvc|DoSvc|BITS/.test(group);
    const load = busy ? [b.bursts(1, [20, 120], cpu(25, 10)), flicker(0.02, 0.1, 1)] : [flicker(0.02, 0.1, 0.8)];
    b.add({
      name: 'svchost.exe',
      exe: `${SYS32}\\svchost.exe`,
      cmdline: `C:\\Windows\\system32\\svchost.exe -k ${group}`,
      user,
      parent: 'services',
      lives: b.sinceBoot(30),
      load,
    });
  }
  const svc = (name: string, exe: string, cmdline: string, user = 'SYSTEM', load = [flicker(0.02, 0.1, 1)]) =>
    b.add({ key: name, name, exe, cmdline, user, parent: 'services', lives: b.sinceBoot(40), load });
  const defender = `C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25090.3009-0`;
  // Defender scans downloads and new files: bursts during use, short quiet scans otherwise.
  svc('MsMpEng.exe', `${defender}\\MsMpEng.exe`, `"${defender}\\MsMpEng.exe"`, 'SYSTEM', [
    b.bursts(4, [3, 25], cpu(35, 15), 'present'),
    flicker(0.1, 0.2, 2),
  ]);
  svc('NisSrv.exe', `${defender}\\NisSrv.exe`, `"${defender}\\NisSrv.exe"`, 'LOCAL SERVICE');
  svc(
    'SecurityHealthService.exe',
    `${SYS32}\\SecurityHealthService.exe`,
    'C:\\Windows\\system32\\SecurityHealthService.exe',
  );
  svc(
    'SearchIndexer.exe',
    `${SYS32}\\SearchIndexer.exe`,
    'C:\\Windows\\system32\\SearchIndexer.exe /Embedding',
    'SYSTEM',
    [b.bursts(2, [5, 40], cpu(12, 6)), flicker(0.05, 0.1, 1)],
  );
  svc('spoolsv.exe', `${SYS32}\\spoolsv.exe`, 'C:\\Windows\\System32\\spoolsv.exe');
  svc(
    'WUDFHost.exe',
    `${SYS32}\\WUDFHost.exe`,
    '"C:\\Windows\\System32\\WUDFHost.exe" -HostGUID:{193a1820-d9ac-4997-8c55-be817523f6aa} -IoEventPortName:\\UMDFCommunicationPorts\\WUDF\\HostProcess-' +
      b.rng.hex(8),
    'LOCAL SERVICE',
  );
  svc(
    'dasHost.exe',
    `${SYS32}\\dasHost.exe`,
    `dashost.exe {${b.rng.hex(8)}-0b7c-4d0a-a9d3-1d6f8f0d4c4b}`,
    'LOCAL SERVICE',
  );
  svc(
    'MpDefenderCoreService.exe',
    `${defender}\\MpDefenderCoreService.exe`,
    `"${defender}\\MpDefenderCoreService.exe"`,
  );
  svc('wlanext.exe', `${SYS32}\\wlanext.exe`, 'C:\\Windows\\system32\\WLANExt.exe 1234');
  svc('audiodg.exe', `${SYS32}\\audiodg.exe`, `C:\\Windows\\system32\\AUDIODG.EXE 0x${b.rng.hex(4)}`, 'LOCAL SERVICE', [
    presence(cpu(0.6, 0.3), 0.2, 60),
  ]);
  svc('AggregatorHost.exe', `${SYS32}\\AggregatorHost.exe`, 'AggregatorHost.exe');
  svc(
    'MoUsoCoreWorker.exe',
    `${SYS32}\\MoUsoCoreWorker.exe`,
    'C:\\Windows\\System32\\mousocoreworker.exe -Embedding',
    'SYSTEM',
    [b.bursts(0.5, [20, 90], cpu(20, 10))],
  );
  if (host.gpus.some((g) => g.vendor === 'nvidia')) {
    const nv = `C:\\Windows\\System32\\DriverStore\\FileRepository\\nv_dispui.inf_amd64_${b.rng.hex(16)}`;
    svc(
      'NVDisplay.Container.exe',
      `${nv}\\Display.NvContainer\\NVDisplay.Container.exe`,
      `"${nv}\\Display.NvContainer\\NVDisplay.Container.exe" -s NVDisplay.ContainerLocalSystem -f "C:\\ProgramData\\NVIDIA\\NVDisplay.ContainerLocalSystem.log" -l 3 -d "${nv}\\Display.NvContainer\\plugins\\LocalSystem" -r -p 30000 -cfg "NVDisplay.ContainerLocalSystem\\LocalSystem"`,
    );
    svc(
      'nvcontainer.exe',
      'C:\\Program Files\\NVIDIA Corporation\\NvContainer\\nvcontainer.exe',
      '"C:\\Program Files\\NVIDIA Corporation\\NvContainer\\nvcontainer.exe" -s NvContainerLocalSystem -f "C:\\ProgramData\\NVIDIA\\NvContainerLocalSystem.log" -l 3 -d "C:\\Program Files\\NVIDIA Corporation\\NvContainer\\plugins\\LocalSystem" -r -p 30000 -st "C:\\Program Files\\NVIDIA Corporation\\NvContainer\\NvContainerTelemetryApi.dll"',
    );
  }
  for (const [name, exe, who] of VENDOR) {
    b.add({
      name,
      exe,
      cmdline: `"${exe}"${name === 'msedge.exe' ? ' --no-startup-window --win-session-start' : ''}`,
      user: who === 'USER' ? host.user : who,
      parent: who === 'USER' ? 'explorer' : 'services',
      lives: b.sinceBoot(120),
      load: [flicker(0.02, 0.1, 1)],
    });
  }
  // WMI providers and the console host come and go all day.
  b.add({
    name: 'WmiPrvSE.exe',
    exe: `${SYS32}\\wbem\\WmiPrvSE.exe`,
    cmdline: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding',
    user: 'NETWORK SERVICE',
    parent: 'svchost.exe',
    lives: b.churn([30, 400], [5, 240]),
    load: [flicker(0.2, 0.2, 3)],
  });
  b.add({
    name: 'WmiPrvSE.exe',
    exe: `${SYS32}\\wbem\\WmiPrvSE.exe`,
    cmdline: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding',
    user: 'SYSTEM',
    parent: 'svchost.exe',
    lives: b.sinceEarlier(),
    load: [flicker(0.05, 0.2, 2)],
  });
  b.add({
    name: 'taskhostw.exe',
    exe: `${SYS32}\\taskhostw.exe`,
    cmdline: 'taskhostw.exe KEYROAMING',
    user: host.user,
    parent: 'svchost.exe#3',
    lives: b.churn([300, 1200], [10, 120]),
  });
  b.add({
    name: 'backgroundTaskHost.exe',
    exe: `${SYS32}\\backgroundTaskHost.exe`,
    cmdline: '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountBackgroundTask',
    user: host.user,
    parent: 'svchost.exe',
    lives: b.churn([120, 900], [3, 30]),
    load: [flicker(0.3, 0.2, 4)],
  });
}

function shell(b: BgBuilder): void {
  const { host } = b.ctx;
  const u = host.user;
  const gpu = displayGpu(host);
  const p = winPaths(host);
  b.add({
    key: 'dwm',
    name: 'dwm.exe',
    exe: `${SYS32}\\dwm.exe`,
    cmdline: '"dwm.exe"',
    user: 'DWM-1',
    parent: 'winlogon',
    lives: b.sinceBoot(5),
    gpuId: gpu,
    gpuMemMiB: b.rng.int(150, 500),
    load: [presence({ cpu: n(2, 1.5), gpu: n(5, 3) }, 0.05, 10)],
  });
  b.add({
    name: 'userinit.exe',
    exe: `${SYS32}\\userinit.exe`,
    cmdline: 'C:\\Windows\\system32\\userinit.exe',
    user: u,
    parent: 'winlogon',
    lives: [{ from: b.ctx.loginMs, to: b.ctx.loginMs + 3000 }],
  });
  b.add({
    key: 'explorer',
    name: 'explorer.exe',
    exe: 'C:\\Windows\\explorer.exe',
    cmdline: 'C:\\Windows\\Explorer.EXE',
    user: u,
    parent: 'userinit.exe',
    lives: b.sinceLogin(3),
    gpuId: gpu,
    gpuMemMiB: b.rng.int(40, 120),
    load: [presence({ cpu: n(1.5, 1), gpu: n(0.5, 0.3) }, 0.05, 10)],
  });
  const user = (name: string, exe: string, cmdline: string, load = [flicker(0.02, 0.1, 1)], parent = 'svchost.exe') =>
    b.add({ name, exe, cmdline, user: u, parent, lives: b.sinceLogin(40), load });
  user('sihost.exe', `${SYS32}\\sihost.exe`, 'sihost.exe', undefined, 'svchost.exe#5');
  user('ctfmon.exe', `${SYS32}\\ctfmon.exe`, '"ctfmon.exe"', [presence(cpu(0.4, 0.2), 0, 5)]);
  user('taskhostw.exe', `${SYS32}\\taskhostw.exe`, 'taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}');
  user(
    'StartMenuExperienceHost.exe',
    'C:\\Windows\\SystemApps\\Microsoft.Windows.StartMenuExperienceHost_cw5n1h2txyewy\\StartMenuExperienceHost.exe',
    '"C:\\Windows\\SystemApps\\Microsoft.Windows.StartMenuExperienceHost_cw5n1h2txyewy\\StartMenuExperienceHost.exe" -ServerName:App.AppXywbrabmsek0gm3tkwpr5kwzbs55tkqay.mca',
  );
  user(
    'SearchHost.exe',
    'C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\SearchHost.exe',
    '"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\SearchHost.exe" -ServerName:CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca',
  );
  user(
    'ShellExperienceHost.exe',
    'C:\\Windows\\SystemApps\\ShellExperienceHost_cw5n1h2txyewy\\ShellExperienceHost.exe',
    '"C:\\Windows\\SystemApps\\ShellExperienceHost_cw5n1h2txyewy\\ShellExperienceHost.exe" -ServerName:App.AppXtk181tbxbce2qsex02s8tw7hfxa9xb3t.mca',
  );
  user(
    'TextInputHost.exe',
    'C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\TextInputHost.exe',
    '"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\TextInputHost.exe" -ServerName:InputApp.AppXjd5de1g66v206tj52m9d0dtpppx4cgpn.mca',
    [presence(cpu(0.5, 0.3), 0, 5)],
  );
  user(
    'Widgets.exe',
    'C:\\Program Files\\WindowsApps\\MicrosoftWindows.Client.WebExperience_525.31002.150.0_x64__cw5n1h2txyewy\\Dashboard\\Widgets.exe',
    '"C:\\Program Files\\WindowsApps\\MicrosoftWindows.Client.WebExperience_525.31002.150.0_x64__cw5n1h2txyewy\\Dashboard\\Widgets.exe" -ServerName:Microsoft.Windows.DashboardServer',
  );
  user(
    'PhoneExperienceHost.exe',
    'C:\\Program Files\\WindowsApps\\Microsoft.YourPhone_1.25092.66.0_x64__8wekyb3d8bbwe\\PhoneExperienceHost.exe',
    '"C:\\Program Files\\WindowsApps\\Microsoft.YourPhone_1.25092.66.0_x64__8wekyb3d8bbwe\\PhoneExperienceHost.exe" -ServerName:PhoneExperienceHost',
    [flicker(0.05, 0.2, 1)],
  );
  user(
    'SecurityHealthSystray.exe',
    `${SYS32}\\SecurityHealthSystray.exe`,
    '"C:\\Windows\\System32\\SecurityHealthSystray.exe"',
    undefined,
    'explorer',
  );
  user('smartscreen.exe', `${SYS32}\\smartscreen.exe`, 'C:\\Windows\\System32\\smartscreen.exe -Embedding');
  user(
    'dllhost.exe',
    `${SYS32}\\dllhost.exe`,
    'C:\\Windows\\system32\\DllHost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}',
  );
  user('conhost.exe', `${SYS32}\\conhost.exe`, '\\??\\C:\\Windows\\system32\\conhost.exe 0x4');
  // Each UWP app has its own RuntimeBroker.exe, from System32.
  for (let i = 0; i < b.rng.int(3, 7); i++)
    user('RuntimeBroker.exe', `${SYS32}\\RuntimeBroker.exe`, 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding', [
      flicker(0.02, 0.1, 1),
    ]);
  // The lock screen is its own app: it runs (and draws) only while the screen is locked.
  const locks = b.ctx.timeline.locks.map((l) => ({ from: l.from + 300, to: l.to + 1500 }));
  if (locks.length > 0) {
    b.add({
      name: 'LockApp.exe',
      exe: 'C:\\Windows\\SystemApps\\Microsoft.LockApp_cw5n1h2txyewy\\LockApp.exe',
      cmdline:
        '"C:\\Windows\\SystemApps\\Microsoft.LockApp_cw5n1h2txyewy\\LockApp.exe" -ServerName:WindowsDefaultLockScreen.AppX7y4nbzq37zn4ks9k7amqjywdat7d3j2z.mca',
      user: u,
      parent: 'svchost.exe',
      lives: locks,
      gpuId: gpu,
      gpuMemMiB: 60,
      load: [constant({ cpu: n(0.8, 0.6), gpu: n(1.5, 1) })],
    });
  }
  // OneDrive lives in the user's AppData and syncs in bursts.
  user(
    'OneDrive.exe',
    `${p.localAppData}\\Microsoft\\OneDrive\\OneDrive.exe`,
    `"${p.localAppData}\\Microsoft\\OneDrive\\OneDrive.exe" /background`,
    [b.bursts(2, [5, 60], cpu(10, 5)), flicker(0.05, 0.1, 1)],
    'explorer',
  );
  user(
    'msedgewebview2.exe',
    'C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\142.0.3595.53\\msedgewebview2.exe',
    '"C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\142.0.3595.53\\msedgewebview2.exe" --embedded-browser-webview=1 --webview-exe-name=SearchHost.exe',
    [flicker(0.02, 0.1, 1)],
  );
}

function browser(b: BgBuilder, opts: WinOptions): void {
  const { host } = b.ctx;
  const u = host.user;
  const gpu = displayGpu(host);
  const exe =
    opts.browser === 'chrome'
      ? 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'
      : opts.browser === 'edge'
        ? 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe'
        : 'C:\\Program Files\\Mozilla Firefox\\firefox.exe';
  const name = exe.split('\\').pop() ?? 'chrome.exe';
  b.add({
    key: 'browser',
    name,
    exe,
    cmdline: `"${exe}"`,
    user: u,
    parent: 'explorer',
    lives: b.sinceEarlier(),
    conns: Array.from({ length: b.rng.int(4, 12) }, () => httpsConn(b.rng)),
    load: [presence(cpu(4, 3), 0.05, 15), flicker(0.2, 0.2, 2)],
  });
  const child = (
    args: string,
    load = [flicker(0.03, 0.2, 2)],
    lives = b.sinceEarlier(),
    more: { gpuId?: string; gpuMemMiB?: number } = {},
  ) => b.add({ name, exe, cmdline: `"${exe}" ${args}`, user: u, parent: 'browser', lives, load, ...more });
  const firefox = opts.browser === 'firefox';
  child(
    firefox
      ? '-contentproc -parentBuildID 20251118 -prefsHandle 2176 -prefMapHandle 2168 -prefsLen 31000 -prefMapSize 244000 -appDir "C:\\Program Files\\Mozilla Firefox\\browser" - 1 gpu'
      : '--type=gpu-process --gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAA --mojo-platform-channel-handle=2000 /prefetch:2',
    [presence({ cpu: n(3, 2), gpu: n(4, 3) }, 0.05, 15)],
    b.sinceEarlier(),
    { gpuId: gpu, gpuMemMiB: b.rng.int(150, 500) },
  );
  child(
    firefox
      ? '-contentproc -appDir "C:\\Program Files\\Mozilla Firefox\\browser" - 2 socket'
      : '--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=2200 /prefetch:3',
    [flicker(0.2, 0.2, 1)],
  );
  child(
    firefox
      ? '-contentproc -appDir "C:\\Program Files\\Mozilla Firefox\\browser" - 3 utility'
      : '--type=utility --utility-sub-type=storage.mojom.StorageService --lang=en-US --service-sandbox-type=service --mojo-platform-channel-handle=2400 /prefetch:8',
  );
  if (!firefox)
    b.add({
      name: 'crashpad_handler.exe',
      exe: exe.replace(/[^\\]+$/, 'crashpad_handler.exe'),
      cmdline: `"${exe}" --type=crashpad-handler "--user-data-dir=${host.home}\\AppData\\Local\\Google\\Chrome\\User Data" /prefetch:4`,
      user: u,
      parent: 'browser',
      lives: b.sinceEarlier(),
    });
  const tabs =
    opts.scale === 'light' ? b.rng.int(3, 8) : opts.scale === 'normal' ? b.rng.int(8, 25) : b.rng.int(40, 110);
  for (let i = 0; i < tabs; i++) {
    const load = i < 2 ? [presence(cpu(8, 6), 0.02, 15)] : i < 4 ? [constant(cpu(1.2, 1))] : [flicker(0.04, 0.2, 3)];
    const lives = i > tabs - 3 ? b.churn([120, 900], [60, 1200], true) : b.sinceEarlier();
    child(
      firefox
        ? `-contentproc -isForBrowser -prefsHandle 3084 -prefMapHandle 3080 -prefsLen 31600 -prefMapSize 244000 -jsInitHandle 1200 -parentBuildID 20251118 -win32kLockedDown -appDir "C:\\Program Files\\Mozilla Firefox\\browser" - ${i + 4} tab`
        : `--type=renderer --lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1.25 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=${i + 8} --time-ticks-at-unix-epoch=-${b.rng.int(1e15, 9e15)} --launch-time-ticks=${b.rng.int(1e9, 9e9)} --mojo-platform-channel-handle=${4000 + i * 4} /prefetch:1`,
      load,
      lives,
    );
  }
}

function apps(b: BgBuilder, scale: Scale, withApps: string[]): void {
  const { host } = b.ctx;
  const u = host.user;
  const p = winPaths(host);
  const gpu = displayGpu(host);
  const count = scale === 'light' ? 2 : scale === 'normal' ? 4 : 8;
  const all = ['discord', 'spotify', 'teams', 'steam', 'slack', 'zoom', 'code', 'epic', 'dropbox', 'nvidia-app'];
  for (const app of new Set([...withApps, ...b.rng.shuffle([...all]).slice(0, count)])) {
    const electron = (name: string, exe: string, helpers: number) => {
      const main = b.add({
        name,
        exe,
        cmdline: `"${exe}"`,
        user: u,
        parent: 'explorer',
        lives: b.sinceEarlier(),
        conns: [httpsConn(b.rng)],
        load: [presence(cpu(2, 1.5), 0.2, 15), flicker(0.1, 0.2, 1.5)],
      });
      b.add({
        name,
        exe,
        cmdline: `"${exe}" --type=gpu-process --user-data-dir="${p.appData}\\${name.replace('.exe', '')}" --gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAA --mojo-platform-channel-handle=1800 /prefetch:2`,
        user: u,
        parent: main,
        lives: b.sinceEarlier(),
        gpuId: gpu,
        gpuMemMiB: b.rng.int(40, 150),
        load: [presence({ cpu: n(1, 0.8), gpu: n(1.5, 1) }, 0.1, 15)],
      });
      b.add({
        name,
        exe,
        cmdline: `"${exe}" --type=utility --utility-sub-type=network.mojom.NetworkService --mojo-platform-channel-handle=2100 /prefetch:8`,
        user: u,
        parent: main,
        lives: b.sinceEarlier(),
        load: [flicker(0.1, 0.1, 1)],
      });
      for (let i = 0; i < helpers; i++)
        b.add({
          name,
          exe,
          cmdline: `"${exe}" --type=renderer --renderer-client-id=${i + 5} --mojo-platform-channel-handle=${2600 + i * 4} /prefetch:1`,
          user: u,
          parent: main,
          lives: b.sinceEarlier(),
          load: [presence(cpu(1.5, 1), 0.3, 15)],
        });
    };
    switch (app) {
      case 'discord':
        // Discord installs per user, under AppData\Local, versioned folder: legitimate AppData software.
        electron('Discord.exe', `${p.localAppData}\\Discord\\app-1.0.9213\\Discord.exe`, 2);
        break;
      case 'spotify':
        electron('Spotify.exe', `${p.appData}\\Spotify\\Spotify.exe`, 2);
        break;
      case 'teams':
        electron(
          'ms-teams.exe',
          'C:\\Program Files\\WindowsApps\\MSTeams_25290.205.4069.4894_x64__8wekyb3d8bbwe\\ms-teams.exe',
          3,
        );
        break;
      case 'slack':
        electron('slack.exe', `${p.localAppData}\\slack\\app-4.46.101\\slack.exe`, 2);
        break;
      case 'code':
        electron('Code.exe', `${p.localAppData}\\Programs\\Microsoft VS Code\\Code.exe`, 3);
        break;
      case 'zoom':
        b.add({
          name: 'Zoom.exe',
          exe: `${p.appData}\\Zoom\\bin\\Zoom.exe`,
          cmdline: `"${p.appData}\\Zoom\\bin\\Zoom.exe" --background`,
          user: u,
          parent: 'explorer',
          lives: b.sinceEarlier(),
          load: [flicker(0.05, 0.2, 1)],
        });
        break;
      case 'steam': {
        const steam = 'C:\\Program Files (x86)\\Steam';
        b.add({
          key: 'steam',
          name: 'steam.exe',
          exe: `${steam}\\steam.exe`,
          cmdline: `"${steam}\\steam.exe" -silent`,
          user: u,
          parent: 'explorer',
          lives: b.sinceEarlier(),
          load: [flicker(0.2, 0.2, 2)],
        });
        b.add({
          name: 'steamservice.exe',
          exe: `${steam}\\bin\\steamservice.exe`,
          cmdline: `"${steam}\\bin\\steamservice.exe" /RunAsService`,
          user: 'SYSTEM',
          parent: 'services',
          lives: b.sinceEarlier(),
        });
        for (let i = 0; i < 4; i++)
          b.add({
            name: 'steamwebhelper.exe',
            exe: `${steam}\\bin\\cef\\cef.win64\\steamwebhelper.exe`,
            cmdline: `"${steam}\\bin\\cef\\cef.win64\\steamwebhelper.exe" --type=${['browser', 'gpu-process', 'utility', 'renderer'][i]}`,
            user: u,
            parent: 'steam',
            lives: b.sinceEarlier(),
            gpuId: gpu,
            gpuMemMiB: i === 1 ? 60 : 0,
            load: [flicker(0.05, 0.2, 2)],
          });
        break;
      }
      case 'epic':
        b.add({
          name: 'EpicGamesLauncher.exe',
          exe: 'C:\\Program Files (x86)\\Epic Games\\Launcher\\Portal\\Binaries\\Win64\\EpicGamesLauncher.exe',
          cmdline:
            '"C:\\Program Files (x86)\\Epic Games\\Launcher\\Portal\\Binaries\\Win64\\EpicGamesLauncher.exe" -silent',
          user: u,
          parent: 'explorer',
          lives: b.sinceEarlier(),
          load: [constant(cpu(1.5, 1))],
        });
        b.add({
          name: 'EpicWebHelper.exe',
          exe: 'C:\\Program Files (x86)\\Epic Games\\Launcher\\Engine\\Binaries\\Win64\\EpicWebHelper.exe',
          cmdline:
            '"C:\\Program Files (x86)\\Epic Games\\Launcher\\Engine\\Binaries\\Win64\\EpicWebHelper.exe" --type=renderer',
          user: u,
          parent: 'EpicGamesLauncher.exe',
          lives: b.sinceEarlier(),
          load: [flicker(0.1, 0.2, 2)],
        });
        break;
      case 'dropbox':
        b.add({
          name: 'Dropbox.exe',
          exe: 'C:\\Program Files (x86)\\Dropbox\\Client\\Dropbox.exe',
          cmdline: '"C:\\Program Files (x86)\\Dropbox\\Client\\Dropbox.exe" /systemstartup',
          user: u,
          parent: 'explorer',
          lives: b.sinceEarlier(),
          load: [b.bursts(2, [5, 40], cpu(12, 6)), flicker(0.05, 0.2, 1)],
        });
        break;
      case 'nvidia-app':
        b.add({
          name: 'NVIDIA app.exe',
          exe: 'C:\\Program Files\\NVIDIA Corporation\\NVIDIA app\\CEF\\NVIDIA app.exe',
          cmdline: '"C:\\Program Files\\NVIDIA Corporation\\NVIDIA app\\CEF\\NVIDIA app.exe" --minimized',
          user: u,
          parent: 'explorer',
          lives: b.sinceEarlier(),
          load: [flicker(0.05, 0.2, 1)],
        });
        b.add({
          name: 'NVIDIA Overlay.exe',
          exe: 'C:\\Program Files\\NVIDIA Corporation\\NVIDIA app\\CEF\\NVIDIA Overlay.exe',
          cmdline: '"C:\\Program Files\\NVIDIA Corporation\\NVIDIA app\\CEF\\NVIDIA Overlay.exe"',
          user: u,
          parent: 'explorer',
          lives: b.sinceEarlier(),
          gpuId: gpu,
          gpuMemMiB: 80,
          load: [flicker(0.05, 0.2, 1)],
        });
        break;
    }
  }
  // Updaters started by scheduled tasks: short CPU bursts from Program Files.
  b.add({
    name: 'GoogleUpdater.exe',
    exe: 'C:\\Program Files (x86)\\Google\\GoogleUpdater\\142.0.7416.0\\updater.exe',
    cmdline: '"C:\\Program Files (x86)\\Google\\GoogleUpdater\\142.0.7416.0\\updater.exe" --wake --system',
    user: 'SYSTEM',
    parent: 'svchost.exe#3',
    lives: b.churn([1800, 3600], [10, 40]),
    load: [constant(cpu(8, 4))],
  });
  b.add({
    name: 'MicrosoftEdgeUpdate.exe',
    exe: 'C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe',
    cmdline: '"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe" /ua /installsource scheduler',
    user: 'SYSTEM',
    parent: 'svchost.exe#3',
    lives: b.churn([1800, 3600], [5, 30]),
    load: [constant(cpu(5, 3))],
  });
}

export function winBackground(ctx: BgContext, opts: WinOptions): BgBuilder {
  const b = new BgBuilder(ctx);
  kernel(b);
  services(b);
  shell(b);
  browser(b, opts);
  apps(b, opts.scale, opts.withApps ?? []);
  return b;
}
