import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../test/helpers/browser.js';

/**
 * `node portal/dist/bench/cache-partition.js`: can a file the portal's page loads (or prefetches)
 * be taken from Chromium's HTTP cache by a repl's IDE page? Chromium partitions its cache by the
 * top-level site, and `localhost` is not a registrable domain, so `localhost` (the portal) and
 * each `<id>.localhost` (a repl's IDE) are sites of their own. A throw-away server counts how
 * often each file is fetched: 1 means the second page was served from the cache, 2 that it was
 * fetched again. Not a figure: the README's Performance section says what it found and why it
 * matters (a dashboard prefetch of VS Code's files).
 */

async function main(): Promise<void> {
  const hits: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0]!;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('.js')) {
      const key = `${host}${url.pathname}`;
      hits[key] = (hits[key] ?? 0) + 1;
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'public, max-age=31536000, immutable', 'access-control-allow-origin': '*' });
      res.end('window.loaded = (window.loaded || 0) + 1;');
      return;
    }
    // A page that loads each `s` query value: `prefetch:URL`, `preload:URL` or a script URL.
    const tags = url.searchParams
      .getAll('s')
      .map((s) => (s.startsWith('prefetch:') ? `<link rel="prefetch" href="${s.slice(9)}">` : s.startsWith('preload:') ? `<link rel="preload" as="script" href="${s.slice(8)}">` : `<script src="${s}"></script>`))
      .join('');
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(`<!doctype html>${tags}<p>${host}</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    const open = async (host: string, loads: string[]): Promise<void> => {
      await page.goto(`http://${host}:${port}/?${loads.map((s) => `s=${encodeURIComponent(s)}`).join('&')}`);
      await page.waitForTimeout(500);
    };
    const shared = (name: string): string => `http://static.localhost:${port}/${name}.js`;
    await open('localhost', [shared('portal-script')]);
    await open('r1.localhost', [shared('portal-script')]);
    await open('localhost', [`prefetch:${shared('portal-prefetch')}`]);
    await open('r1.localhost', [shared('portal-prefetch')]);
    await open('localhost', [`preload:${shared('portal-preload')}`]);
    await open('r1.localhost', [shared('portal-preload')]);
    await open('r1.localhost', [shared('repl-to-repl')]);
    await open('r2.localhost', [shared('repl-to-repl')]);
    await open('r1.localhost', [shared('same-repl')]);
    await open('r1.localhost', [shared('same-repl')]);
    // One registrable domain for the portal and the repls, as `codeyard.example.com` and `<id>.codeyard.example.com`.
    await open('test.localhost', [`http://static.test.localhost:${port}/same-site.js`]);
    await open('r1.test.localhost', [`http://static.test.localhost:${port}/same-site.js`]);
    console.log(`Chromium ${browser.version()}: fetches per file (1: the second page used the cache)`);
    for (const [file, count] of Object.entries(hits)) console.log(`  ${count}  ${file}`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cache-partition failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
