/**
 * Sites a hosts file has no business redirecting: security vendors' update and cloud-lookup
 * hosts, the operating systems' update servers and package mirrors, browsers' update and Safe
 * Browsing services. Miner droppers add hosts lines for them so that the antivirus cannot fetch
 * the signatures that would find the miner and the system stays on the version it can exploit.
 * A name matches itself and every name under it.
 */
export const PROTECTED_SITES: readonly { domain: string; what: string }[] = [
  // Windows Update, Defender, SmartScreen
  { domain: 'windowsupdate.com', what: 'Windows Update' },
  { domain: 'windowsupdate.microsoft.com', what: 'Windows Update' },
  { domain: 'update.microsoft.com', what: 'Windows Update' },
  { domain: 'delivery.mp.microsoft.com', what: 'Windows Update delivery' },
  { domain: 'download.microsoft.com', what: 'Microsoft downloads' },
  { domain: 'definitionupdates.microsoft.com', what: 'Microsoft Defender signatures' },
  { domain: 'wdcp.microsoft.com', what: 'Microsoft Defender cloud protection' },
  { domain: 'wdcpalt.microsoft.com', what: 'Microsoft Defender cloud protection' },
  { domain: 'smartscreen.microsoft.com', what: 'Microsoft SmartScreen' },
  { domain: 'smartscreen-prod.microsoft.com', what: 'Microsoft SmartScreen' },
  { domain: 'security.microsoft.com', what: 'Microsoft Defender' },
  // Security vendors
  { domain: 'kaspersky.com', what: 'Kaspersky' },
  { domain: 'kaspersky-labs.com', what: 'Kaspersky updates' },
  { domain: 'avast.com', what: 'Avast' },
  { domain: 'avg.com', what: 'AVG' },
  { domain: 'eset.com', what: 'ESET' },
  { domain: 'eset.sk', what: 'ESET' },
  { domain: 'norton.com', what: 'Norton' },
  { domain: 'symantec.com', what: 'Symantec' },
  { domain: 'symantecliveupdate.com', what: 'Symantec LiveUpdate' },
  { domain: 'mcafee.com', what: 'McAfee' },
  { domain: 'trendmicro.com', what: 'Trend Micro' },
  { domain: 'bitdefender.com', what: 'Bitdefender' },
  { domain: 'bitdefender.net', what: 'Bitdefender updates' },
  { domain: 'sophos.com', what: 'Sophos' },
  { domain: 'malwarebytes.com', what: 'Malwarebytes' },
  { domain: 'mbamupdates.com', what: 'Malwarebytes updates' },
  { domain: 'f-secure.com', what: 'F-Secure' },
  { domain: 'avira.com', what: 'Avira' },
  { domain: 'drweb.com', what: 'Dr.Web' },
  { domain: 'clamav.net', what: 'ClamAV signatures' },
  { domain: 'virustotal.com', what: 'VirusTotal' },
  { domain: 'pandasecurity.com', what: 'Panda Security' },
  { domain: 'webroot.com', what: 'Webroot' },
  { domain: 'gdata.de', what: 'G DATA' },
  { domain: 'emsisoft.com', what: 'Emsisoft' },
  { domain: 'crowdstrike.com', what: 'CrowdStrike' },
  { domain: 'sentinelone.net', what: 'SentinelOne' },
  // Linux distributions' mirrors and security updates
  { domain: 'debian.org', what: 'Debian mirrors and security updates' },
  { domain: 'ubuntu.com', what: 'Ubuntu mirrors and security updates' },
  { domain: 'launchpadcontent.net', what: 'Ubuntu PPAs' },
  { domain: 'fedoraproject.org', what: 'Fedora mirrors' },
  { domain: 'redhat.com', what: 'Red Hat updates' },
  { domain: 'centos.org', what: 'CentOS mirrors' },
  { domain: 'rockylinux.org', what: 'Rocky Linux mirrors' },
  { domain: 'almalinux.org', what: 'AlmaLinux mirrors' },
  { domain: 'archlinux.org', what: 'Arch Linux mirrors' },
  { domain: 'opensuse.org', what: 'openSUSE mirrors' },
  { domain: 'snapcraft.io', what: 'Snap updates' },
  { domain: 'flathub.org', what: 'Flatpak updates' },
  // macOS software update
  { domain: 'swscan.apple.com', what: 'macOS Software Update' },
  { domain: 'swdist.apple.com', what: 'macOS Software Update' },
  { domain: 'swcdn.apple.com', what: 'macOS Software Update' },
  { domain: 'mesu.apple.com', what: 'macOS Software Update' },
  { domain: 'gdmf.apple.com', what: 'macOS Software Update' },
  { domain: 'updates.cdn-apple.com', what: 'macOS updates' },
  { domain: 'xp.apple.com', what: 'macOS XProtect updates' },
  // Browser updates and Safe Browsing
  { domain: 'update.googleapis.com', what: 'Chrome updates' },
  { domain: 'dl.google.com', what: 'Chrome downloads' },
  { domain: 'tools.google.com', what: 'Chrome updates' },
  { domain: 'safebrowsing.googleapis.com', what: 'Google Safe Browsing' },
  { domain: 'safebrowsing.google.com', what: 'Google Safe Browsing' },
  { domain: 'edgedl.me.gvt1.com', what: 'Chrome updates' },
  { domain: 'msedge.api.cdp.microsoft.com', what: 'Edge updates' },
  { domain: 'aus5.mozilla.org', what: 'Firefox updates' },
  { domain: 'download.mozilla.org', what: 'Firefox downloads' },
  { domain: 'archive.mozilla.org', what: 'Firefox downloads' },
  { domain: 'addons.mozilla.org', what: 'Firefox add-on updates' },
];

const BY_DOMAIN = new Map(PROTECTED_SITES.map((s) => [s.domain, s.what]));

/** The protected site `host` is or is under, else null. */
export function protectedSite(host: string): { domain: string; what: string } | null {
  let h = host.toLowerCase().replace(/\.$/, '');
  for (;;) {
    const what = BY_DOMAIN.get(h);
    if (what) return { domain: h, what };
    const dot = h.indexOf('.');
    if (dot < 0) return null;
    h = h.slice(dot + 1);
  }
}
