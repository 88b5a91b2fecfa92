/**
 * Browser processes and what each one does, from its name and command line: the main process,
 * renderers and content processes (where web pages, and so browser miners, run), the GPU process
 * (where WebGL/WebGPU miners' work lands), utility and extension processes. Which names are
 * browsers comes from the detector's list (detect/signatures.ts); the role parsing is here
 * because identity.browserRole returns display text, not a role the window can sort by.
 */
import type { BrowserRole } from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { baseName, plainName } from '../detect/provenance.js';
import { BROWSER_NAMES } from '../detect/signatures.js';

const BROWSER_SET = new Set(BROWSER_NAMES);

/** Which browser a listed name belongs to (first match wins, so longer names come first). */
const FAMILIES: [RegExp, string][] = [
  [/edge|msedge/, 'edge'],
  [/brave/, 'brave'],
  [/opera/, 'opera'],
  [/vivaldi/, 'vivaldi'],
  [/yandex/, 'yandex'],
  [/chromium/, 'chromium'],
  [/chrome/, 'chrome'],
  [/librewolf/, 'librewolf'],
  [/waterfox/, 'waterfox'],
  [/floorp/, 'floorp'],
  [/^zen$/, 'zen'],
  [
    /firefox|web content|isolated web co|webextensions|rdd process|gpu process|utility process|privileged cont|socket process|plugin-container/,
    'firefox',
  ],
  [/safari|com\.apple\.webkit/, 'safari'],
  [/epiphany|webkitwebprocess|webkitnetworkprocess/, 'epiphany'],
];

function familyOf(names: string[]): string | null {
  for (const n of names) {
    if (!BROWSER_SET.has(n)) continue;
    for (const [re, family] of FAMILIES) if (re.test(n)) return family;
    return n;
  }
  return null;
}

/** Firefox's content-process argument list ends with the process type. */
const FIREFOX_TYPES: Record<string, BrowserRole> = {
  tab: 'content',
  gpu: 'gpu-process',
  rdd: 'utility',
  socket: 'utility',
  utility: 'utility',
  extension: 'extension',
  forkserver: 'other',
  gmplugin: 'other',
};

export interface BrowserProcessInfo {
  browser: string;
  role: BrowserRole;
  subType: string | null;
}

export function browserProcessInfo(
  p: { name: string; exe: string | null; cmdline: string; argv?: readonly string[] },
  platform: Platform,
): BrowserProcessInfo | null {
  const names = [plainName(p.name)];
  if (p.exe) names.push(plainName(baseName(p.exe, platform)));
  const browser = familyOf(names);
  if (!browser) return null;
  const cmd = p.cmdline;
  const type = /(?:^|\s)--type=([\w-]+)/.exec(cmd)?.[1];
  if (type) {
    if (type === 'renderer') {
      return { browser, role: /(?:^|\s)--extension-process\b/.test(cmd) ? 'extension' : 'renderer', subType: null };
    }
    if (type === 'gpu-process') return { browser, role: 'gpu-process', subType: null };
    if (type === 'utility') {
      return { browser, role: 'utility', subType: /(?:^|\s)--utility-sub-type=(\S+)/.exec(cmd)?.[1] ?? null };
    }
    return { browser, role: 'other', subType: type };
  }
  if (/(?:^|\s)-contentproc(?:\s|$)/.test(cmd)) {
    const words = p.argv && p.argv.length > 0 ? p.argv : cmd.trim().split(/\s+/);
    const last = (words[words.length - 1] ?? '').toLowerCase();
    const role = FIREFOX_TYPES[last];
    return { browser, role: role ?? 'content', subType: role ? last : null };
  }
  const n = names[0] ?? '';
  if (
    n === 'web content' ||
    n.startsWith('isolated web co') ||
    n === 'com.apple.webkit.webcontent' ||
    n === 'webkitwebprocess'
  ) {
    return { browser, role: 'content', subType: null };
  }
  if (n === 'webextensions') return { browser, role: 'extension', subType: null };
  if (n === 'gpu process' || n === 'com.apple.webkit.gpu' || n.endsWith('(gpu)'))
    return { browser, role: 'gpu-process', subType: null };
  if (n.endsWith('(renderer)')) return { browser, role: 'renderer', subType: null };
  if (n === 'rdd process' || n === 'utility process' || n === 'socket process' || n === 'com.apple.webkit.networking') {
    return { browser, role: 'utility', subType: null };
  }
  return { browser, role: 'browser', subType: null };
}
