/**
 * The document roots the web servers on this machine serve, read from their configs: nginx
 * (`root` directives), Apache (`DocumentRoot`) and Caddy (`root * DIR`). Pure parsers plus the
 * list of config places; the step reads them under the scan's root with the safe reader.
 */

export interface ConfigPlace {
  server: 'nginx' | 'apache' | 'caddy';
  /** A file, or a folder whose files are configs. */
  path: string;
  folder: boolean;
}

export const CONFIG_PLACES: readonly ConfigPlace[] = [
  { server: 'nginx', path: '/etc/nginx/nginx.conf', folder: false },
  { server: 'nginx', path: '/etc/nginx/sites-enabled', folder: true },
  { server: 'nginx', path: '/etc/nginx/conf.d', folder: true },
  { server: 'apache', path: '/etc/apache2/apache2.conf', folder: false },
  { server: 'apache', path: '/etc/apache2/sites-enabled', folder: true },
  { server: 'apache', path: '/etc/httpd/conf/httpd.conf', folder: false },
  { server: 'apache', path: '/etc/httpd/conf.d', folder: true },
  { server: 'caddy', path: '/etc/caddy/Caddyfile', folder: false },
  { server: 'caddy', path: '/etc/caddy/conf.d', folder: true },
];

/** An absolute path without variables (`$document_root`, `{env.X}`, `${APACHE_ROOT}`), else null. */
function plainPath(p: string): string | null {
  const v = p.trim().replace(/^["']|["']$/g, '');
  if (!v.startsWith('/') || /[$`{}]/.test(v) || v.length > 1024) return null;
  return v.replace(/\/+$/, '') || '/';
}

function uncommented(text: string): string[] {
  return text.split(/\r?\n/).map((l) => {
    const hash = l.indexOf('#');
    return hash >= 0 ? l.slice(0, hash) : l;
  });
}

/** nginx: `root /var/www/html;` (quoted or not). */
export function nginxRoots(text: string): string[] {
  const out: string[] = [];
  for (const line of uncommented(text)) {
    for (const m of line.matchAll(/(?:^|[\s;{])root\s+("[^"]+"|'[^']+'|[^\s;]+)\s*;/g)) {
      const p = plainPath(m[1] ?? '');
      if (p) out.push(p);
    }
  }
  return out;
}

/** Apache: `DocumentRoot "/var/www/html"` (any case). */
export function apacheRoots(text: string): string[] {
  const out: string[] = [];
  for (const line of uncommented(text)) {
    const m = /^\s*DocumentRoot\s+("[^"]+"|\S+)/i.exec(line);
    const p = m?.[1] ? plainPath(m[1]) : null;
    if (p) out.push(p);
  }
  return out;
}

/** Caddy: `root * /srv/site` or `root /srv/site` (v2), `root /srv/site` (v1). */
export function caddyRoots(text: string): string[] {
  const out: string[] = [];
  for (const line of uncommented(text)) {
    const m = /^\s*root\s+(?:(?:\*|\/\S*)\s+)?("[^"]+"|\/\S*)\s*$/.exec(line);
    const p = m?.[1] ? plainPath(m[1]) : null;
    if (p) out.push(p);
  }
  return out;
}

export function rootsIn(server: ConfigPlace['server'], text: string): string[] {
  return server === 'nginx' ? nginxRoots(text) : server === 'apache' ? apacheRoots(text) : caddyRoots(text);
}
