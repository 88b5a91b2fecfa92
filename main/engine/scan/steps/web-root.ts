/**
 * Web roots: the folders a web server on this machine serves (found in nginx, Apache and Caddy
 * configs under the scan's root) and those named with `scan --web-root DIR`, searched for browser
 * miners injected into their HTML, script, PHP and template files (web-root/miner-rules.ts).
 *
 * A web root is somebody's upload folder as often as not, so the walk is bounded every way: files
 * are read through the safe reader (a FIFO or a link to a device is never opened), at most
 * maxFileBytes each and maxFiles in all, folders at most maxDepth deep, links to folders are not
 * followed and links to files only where they stay inside the root, and the step yields to
 * cancellation and its time limit between files.
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { ScanAction } from '../../../../shared/scan.js';
import { yieldToLoop } from '../scan-context.js';
import type { ScanFileStat } from '../scan-fs.js';
import { CONFIG_PLACES, rootsIn } from '../web-root/server-roots.js';
import { analyseWebFile, removableLine, type WebFileKind, type WebMinerHit } from '../web-root/miner-rules.js';
import { plural, type ScanState, type ScanStep, type StepScope } from './step.js';

export interface WebRootLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxDepth: number;
  /** Folder entries looked at in all (files of other kinds included). */
  maxEntries: number;
}

export const DEFAULT_WEB_ROOT_LIMITS: WebRootLimits = {
  maxFiles: 20_000,
  maxFileBytes: 2 * 1024 * 1024,
  maxDepth: 16,
  maxEntries: 200_000,
};

/** Lines longer than this (minified bundles) are reported but not offered for removal. */
const MAX_REMOVABLE_LINE = 8192;

const KIND_BY_EXT: Record<string, WebFileKind> = {
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.shtml': 'html',
  '.tpl': 'html',
  '.tmpl': 'html',
  '.twig': 'html',
  '.hbs': 'html',
  '.handlebars': 'html',
  '.mustache': 'html',
  '.ejs': 'html',
  '.erb': 'html',
  '.liquid': 'html',
  '.njk': 'html',
  '.vue': 'html',
  '.svelte': 'html',
  '.jsp': 'html',
  '.asp': 'html',
  '.aspx': 'html',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.php': 'php',
  '.phtml': 'php',
  '.php5': 'php',
  '.php7': 'php',
  '.inc': 'php',
};

export function webFileKind(name: string): WebFileKind | null {
  return KIND_BY_EXT[extname(name).toLowerCase()] ?? null;
}

interface WebRoot {
  path: string;
  /** "--web-root", "nginx: /etc/nginx/sites-enabled/default". */
  from: string;
}

async function configRoots(scan: ScanState, { ctx }: StepScope): Promise<WebRoot[]> {
  const out: WebRoot[] = [];
  for (const place of CONFIG_PLACES) {
    const at = ctx.resolve(place.path);
    const files: string[] = [];
    if (place.folder) {
      const names = await ctx.listDir('web-root', at);
      for (const n of names ?? []) files.push(join(at, n));
    } else files.push(at);
    for (const f of files) {
      const buf = await ctx.readText('web-root', f, 1024 * 1024);
      if (!buf) continue;
      for (const r of rootsIn(place.server, buf.toString('utf8'))) {
        out.push({ path: scan.root === '/' ? r : ctx.resolve(r), from: `${place.server}: ${f}` });
      }
    }
  }
  return out;
}

interface WalkCounts {
  files: number;
  entries: number;
  linksSkipped: number;
  capped: string | null;
}

/** Each line with a sign of a miner becomes one finding; the line can go when nothing else is on it. */
function addFindings(
  scan: ScanState,
  root: WebRoot,
  file: string,
  read: { data: Buffer; mtimeMs: number },
  kind: WebFileKind,
  hits: WebMinerHit[],
): void {
  const { data } = read;
  const text = data.toString('latin1');
  const lines = text.split('\n');
  const byLine = new Map<number, WebMinerHit[]>();
  for (const h of hits) byLine.set(h.line, [...(byLine.get(h.line) ?? []), h]);
  // The removal re-checks the file against exactly what was read.
  const fileState = {
    size: data.length,
    mtimeMs: read.mtimeMs,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  for (const [line, group] of byLine) {
    const rawLine = (lines[line - 1] ?? '').replace(/\r$/, '');
    const lineText = Buffer.from(rawLine, 'latin1').toString('utf8');
    const canRemove = rawLine.length <= MAX_REMOVABLE_LINE && removableLine(text, line, hits, kind);
    const first = group[0]!;
    const hidden = [...new Set(group.flatMap((h) => h.hidden))];
    const actions: ScanAction[] = canRemove
      ? [{ kind: 'remove-persistence', file, line }]
      : [
          {
            kind: 'manual',
            text: `Remove the injected code on line ${line}${first.endLine > line ? `-${first.endLine}` : ''} of ${file} by hand: the line holds other content too, so Idlewatch does not remove it.`,
          },
        ];
    scan.findings.add({
      key: `${file}:${line}`,
      rule: 'web-miner',
      severity: 'high',
      title: `Browser miner injected in ${file}:${line}: ${first.what}`,
      evidence: [
        `file: ${file} (web root ${root.path}, from ${root.from})`,
        `line ${line}: ${first.snippet}`,
        ...group.map((h) => `${h.what}${h.hidden.length > 0 ? ` (hidden by ${h.hidden.join(', then ')})` : ''}`),
        ...(hidden.length > 0 ? [`hidden by: ${hidden.join(', ')}`] : []),
      ],
      persistence: canRemove
        ? {
            kind: 'web-script',
            file,
            line,
            text: lineText,
            command: first.snippet,
            location: null,
            runAs: null,
            fileState,
          }
        : undefined,
      actions,
    });
  }
}

async function walkRoot(
  scan: ScanState,
  scope: StepScope,
  root: WebRoot,
  limits: WebRootLimits,
  counts: WalkCounts,
): Promise<void> {
  const { ctx } = scope;
  let rootReal: string;
  try {
    rootReal = await realpath(root.path);
  } catch (e) {
    ctx.problem('web-root', root.path, `web root ${root.path} (${root.from}) cannot be read: ${(e as Error).message}`);
    return;
  }
  const stack: { dir: string; depth: number }[] = [{ dir: root.path, depth: 0 }];
  while (stack.length > 0) {
    const { dir, depth } = stack.pop()!;
    const names = await ctx.listDir('web-root', dir);
    if (!names) continue;
    for (const name of names) {
      ctx.checkAbort();
      if (++counts.entries > limits.maxEntries) {
        counts.capped = `stopped after ${limits.maxEntries.toLocaleString('en-US')} folder entries`;
        return;
      }
      const path = join(dir, name);
      let st: ScanFileStat;
      try {
        st = await ctx.fs.lstat(path);
      } catch {
        continue;
      }
      if (st.kind === 'dir') {
        if (depth + 1 < limits.maxDepth) stack.push({ dir: path, depth: depth + 1 });
        else ctx.problem('web-root', path, `${path}: deeper than ${limits.maxDepth} folders; not searched`);
        continue;
      }
      const kind = webFileKind(name);
      if (!kind) continue;
      if (st.kind === 'link') {
        // Followed only to a file inside the same root: never out of it, never to a device.
        const target = await realpath(path).catch(() => null);
        const inside = target !== null && (target === rootReal || target.startsWith(rootReal + sep));
        const tst = inside ? await ctx.fs.stat(path).catch(() => null) : null;
        if (tst?.kind !== 'file') {
          counts.linksSkipped++;
          continue;
        }
      } else if (st.kind !== 'file') {
        // A FIFO or device named like a page: never opened (an open can block or have effects).
        ctx.problem(
          'web-root',
          path,
          `${path} is ${st.kind === 'other' ? 'a FIFO, socket or device' : 'not a file'}, not a file; not read`,
        );
        continue;
      }
      if (counts.files >= limits.maxFiles) {
        counts.capped = `stopped after ${limits.maxFiles.toLocaleString('en-US')} files`;
        return;
      }
      counts.files++;
      const read = await ctx.readFile('web-root', path, limits.maxFileBytes);
      if (read) {
        const hits = analyseWebFile(read.data.toString('utf8'), kind, scan.domains);
        if (hits.length > 0) addFindings(scan, root, path, read, kind, hits);
      }
      if (counts.files % 64 === 0) await yieldToLoop(scope.signal);
    }
  }
}

export const webRootStep: ScanStep = async (scan, scope) => {
  const limits = { ...DEFAULT_WEB_ROOT_LIMITS, ...scan.options.webRootLimits };
  const explicit: WebRoot[] = (scan.options.webRoots ?? []).map((p) => ({ path: resolve(p), from: '--web-root' }));
  const found = await configRoots(scan, scope);
  const roots: WebRoot[] = [];
  const seen = new Set<string>();
  for (const r of [...explicit, ...found]) {
    const real = await realpath(r.path).catch(() => r.path);
    if (seen.has(real)) continue;
    seen.add(real);
    roots.push(r);
  }
  if (roots.length === 0) {
    return {
      status: 'ok',
      detail: 'no web roots: no --web-root given and no nginx, Apache or Caddy document root found',
    };
  }
  const counts: WalkCounts = { files: 0, entries: 0, linksSkipped: 0, capped: null };
  const before = scan.findings.size;
  for (const r of roots) {
    await walkRoot(scan, scope, r, limits, counts);
    if (counts.capped) {
      scope.ctx.problem('web-root', r.path, `web-root search ${counts.capped}; the rest was not searched`);
      break;
    }
  }
  const found2 = scan.findings.size - before;
  const shown = roots.map((r) =>
    scan.root !== '/' && r.from !== '--web-root' ? relative(scan.root, r.path) || '.' : r.path,
  );
  const links = counts.linksSkipped > 0 ? `, ${plural(counts.linksSkipped, 'link')} out of the root not followed` : '';
  return {
    status: counts.capped ? 'partial' : 'ok',
    detail: `${plural(roots.length, 'web root')} (${shown.slice(0, 3).join(', ')}${roots.length > 3 ? ', …' : ''}), ${plural(counts.files, 'file')} read, ${plural(found2, 'injected miner line')}${links}`,
  };
};
