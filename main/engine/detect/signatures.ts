/**
 * Miner signatures as data: the names miners ship under, the command-line marks of mining
 * software, pool host names and the ports pools listen on. Kept apart from the matching code so
 * the lists can grow without touching logic. All names are lower case, without `.exe`.
 */

/** Executable names of mining software and of the droppers that run it (exact basename match). */
export const MINER_NAMES: readonly string[] = [
  // CPU / RandomX and general-purpose miners
  'xmrig',
  'xmrig-notls',
  'xmrig-proxy',
  'xmrigdaemon',
  'xmrigminer',
  'xmr-stak',
  'xmr-stak-rx',
  'xmr-stak-cpu',
  'cpuminer',
  'cpuminer-opt',
  'cpuminer-multi',
  'cpuminer-gr',
  'minerd',
  'cgminer',
  'bfgminer',
  'sgminer',
  'hellminer',
  'dero-miner',
  'astrobwt-miner',
  'astrominer',
  'xmrigcc',
  'xmrigccdaemon',
  // GPU miners
  't-rex',
  'trex',
  'lolminer',
  'nbminer',
  'gminer',
  'phoenixminer',
  'teamredminer',
  'srbminer',
  'srbminer-multi',
  'nanominer',
  'ethminer',
  'ccminer',
  'bminer',
  'excavator',
  'ethdcrminer64',
  'z-enemy',
  'wildrig',
  'wildrig-multi',
  'rigel',
  'bzminer',
  'onezerominer',
  'miniz',
  'nheqminer',
  'kawpowminer',
  'ttminer',
  'tt-miner',
  'kaspa-miner',
  'iolminer',
  'claymore',
  'ewbf',
  'kryptex',
  'nicehashminer',
  'nicehashquickminer',
  'minergate',
  'minergate-cli',
  'cudominer',
  'honeyminer',
  'danila-miner',
  // Cryptojacking malware that runs a miner under its own name
  'kdevtmpfsi',
  'kinsing',
  'sysupdate',
  'sysguard',
  'networkservice',
  'dbused',
  'xmr',
  'xmrig64',
  'watchbog',
  'pamdicks',
  'kthreaddi',
  'kthreadds',
  'solrd',
];

/**
 * Command-line marks of mining software. `strong` marks are specific to miners (a stratum URL, a
 * donation level, a RandomX algorithm flag); `weak` ones also occur elsewhere and only count with
 * a pool address beside them.
 */
export interface CmdlineMark {
  id: string;
  re: RegExp;
  /** What the user reads: "a mining pool address (stratum+tcp://)". */
  text: string;
  strength: 'strong' | 'weak';
}

export const CMDLINE_MARKS: readonly CmdlineMark[] = [
  {
    id: 'stratum',
    re: /\bstratum\d?\+(?:tcp|ssl|tls|ws|wss):\/\//i,
    text: 'a mining pool address (stratum://)',
    strength: 'strong',
  },
  { id: 'stratum-bare', re: /\bstratum:\/\//i, text: 'a mining pool address (stratum://)', strength: 'strong' },
  { id: 'donate', re: /--donate-(?:level|lvl)\b/i, text: 'a miner option (--donate-level)', strength: 'strong' },
  {
    id: 'algo-randomx',
    re: /(?:^|\s)(?:-a|--algo|--algorithm)[\s=]+["']?(?:rx\/\w+|cn(?:-\w+)?\/\w+|randomx|cryptonight\w*|argon2\/\w+|ghostrider|gr|kawpow|ethash|etchash|autolykos2?|kheavyhash|octopus|beamhash\w*|equihash\w*|cuckatoo\w*|cuckaroo\w*|firopow|progpow\w*|verushash|yespower\w*|x16r\w*|lyra2\w*|blake3|dynexsolve|karlsenhash|pyrinhash|sha256d|scrypt)\b/i,
    text: 'a mining algorithm option (-a rx/0 and the like)',
    strength: 'strong',
  },
  {
    id: 'pause-on-active',
    re: /--pause-on-(?:active|battery)\b/i,
    text: 'a miner option that hides while you use the computer (--pause-on-active)',
    strength: 'strong',
  },
  {
    id: 'randomx-opt',
    re: /--randomx-[\w-]+|--cpu-max-threads-hint|--cpu-priority|--max-cpu-usage|--nicehash\b|--rig-id\b/i,
    text: 'a miner tuning option (--cpu-max-threads-hint and the like)',
    strength: 'strong',
  },
  { id: 'coin', re: /(?:^|\s)--coin[\s=]+\w+/i, text: 'a coin to mine (--coin)', strength: 'weak' },
  {
    id: 'gpu-backend',
    re: /(?:^|\s)--(?:cuda|opencl|no-cpu)\b/i,
    text: 'a GPU mining option (--cuda / --opencl)',
    strength: 'weak',
  },
  {
    id: 'worker',
    re: /(?:^|\s)(?:--worker|--wallet|-w)[\s=]+\S+/i,
    text: 'a wallet or worker option',
    strength: 'weak',
  },
];

/** A pool URL as miners take it: `-o host:port`, `--url host:port`, `--pool host:port`, `--server host`. */
export const POOL_ARG =
  /(?:^|\s)(?:-o|--url|--pool|--server|-P|--host)[\s=]+(?:[a-z0-9+]+:\/\/)?([a-z0-9.-]+\.[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}):(\d{2,5})\b/i;

/** Wallet addresses in a command line: Monero (95 base58 chars from 4 or 8), Ethereum-style 0x + 40 hex, Ravencoin R + 33. */
export const WALLET =
  /(?:^|[\s=:./])(?:[48][1-9A-HJ-NP-Za-km-z]{94}|0x[0-9a-fA-F]{40}|R[1-9A-HJ-NP-Za-km-z]{33})(?:$|[\s.,/])/;

/** Pool host names (a suffix match on the host: `xmr-eu1.nanopool.org` matches `nanopool.org`). */
export const POOL_DOMAINS: readonly string[] = [
  'supportxmr.com',
  '2miners.com',
  'moneroocean.stream',
  'hashvault.pro',
  'nanopool.org',
  'herominers.com',
  'minexmr.com',
  'miningpoolhub.com',
  'ethermine.org',
  'f2pool.com',
  'flypool.org',
  'unmineable.com',
  'nicehash.com',
  'c3pool.com',
  'c3pool.org',
  'kryptex.network',
  'woolypooly.com',
  'hiveon.net',
  'hiveon.com',
  'k1pool.com',
  'zpool.ca',
  'zergpool.com',
  'prohashing.com',
  'xmrpool.eu',
  'monerohash.com',
  'xmrfast.com',
  'p2pool.io',
  'gulf.moneroocean.stream',
  'dxpool.com',
  'antpool.com',
  'viabtc.com',
  'binance.com',
  'emcd.io',
  'ezil.me',
  'crazypool.org',
  'minergate.com',
  'skypool.org',
  'hashcity.org',
  'rplant.xyz',
  'acc-pool.pw',
  'solo-pool.org',
  'mining-dutch.nl',
  'luckpool.net',
  'baikalmine.com',
  'suprnova.cc',
];

/**
 * Ports mining pools use for stratum. Pools also listen on 443 (which says nothing) and many of
 * these numbers are unremarkable on their own, so a connection here is weak evidence.
 */
export const POOL_PORTS: ReadonlySet<number> = new Set([
  3333, 3334, 3335, 3336, 3353, 3357, 3360, 4444, 4445, 4446, 5555, 5556, 5588, 7777, 8811, 9000, 9999, 10032, 10128,
  10191, 10300, 10343, 12222, 13333, 14433, 14444, 15555, 17777, 19999, 20128, 20535, 20580, 25015, 45560, 45700,
]);

/** Browser processes (main, renderer, GPU, content): names as the OS reports them, lower case. */
export const BROWSER_NAMES: readonly string[] = [
  'chrome',
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google chrome',
  'google chrome helper',
  'google chrome helper (renderer)',
  'google chrome helper (gpu)',
  'msedge',
  'microsoft-edge',
  'microsoft edge',
  'microsoft edge helper',
  'microsoft edge helper (renderer)',
  'microsoft edge helper (gpu)',
  'msedgewebview2',
  'brave',
  'brave-browser',
  'brave browser',
  'brave browser helper',
  'brave browser helper (renderer)',
  'opera',
  'opera_gx',
  'vivaldi',
  'vivaldi-bin',
  'yandex',
  'browser',
  'firefox',
  'firefox-bin',
  'firefox-esr',
  'librewolf',
  'waterfox',
  'floorp',
  'zen',
  'web content',
  'isolated web co',
  'isolated web content',
  'webextensions',
  'rdd process',
  'gpu process',
  'utility process',
  'privileged cont',
  'socket process',
  'plugin-container',
  'safari',
  'com.apple.webkit.webcontent',
  'com.apple.webkit.gpu',
  'com.apple.webkit.networking',
  'webkitwebprocess',
  'webkitnetworkprocess',
  'epiphany',
];
