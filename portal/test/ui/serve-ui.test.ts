import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { errorHandling } from '../../src/api/errors.js';
import { serveUi, UI_CSP } from '../../src/ui/serve-ui.js';

async function appFor(dir: string) {
  const app = Fastify();
  await app.register(errorHandling);
  await app.register(serveUi, { dir });
  await app.ready();
  return app;
}

function builtUi(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-ui-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script><codeyard-app></codeyard-app>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.css'), 'body{}');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'not an asset');
  return dir;
}

describe('serveUi', () => {
  it('serves index.html at / uncached, with the Content-Security-Policy', async () => {
    const app = await appFor(builtUi());
    const res = await app.inject('/');
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['content-security-policy'], UI_CSP);
    assert.match(UI_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(UI_CSP, /unsafe-inline|unsafe-eval/);
    assert.match(res.body, /<codeyard-app>/);
    await app.close();
  });

  it('serves hashed assets with their content types, cached for good', async () => {
    const app = await appFor(builtUi());
    const js = await app.inject('/assets/index-abc123.js');
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /^text\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    const css = await app.inject('/assets/index-abc123.css');
    assert.match(css.headers['content-type'] as string, /^text\/css/);
    assert.equal((await app.inject('/assets/nope.js')).statusCode, 404);
    await app.close();
  });

  it('refuses paths that leave assets/', async () => {
    const app = await appFor(builtUi());
    for (const url of ['/assets/..%2Fsecret.txt', '/assets/..%2F..%2Fetc%2Fpasswd', '/assets/%2E%2E%2Fsecret.txt', '/assets/.hidden', '/assets/a%5C..%5Csecret.txt', '/assets/../secret.txt']) {
      const res = await app.inject(url);
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /not an asset/, url);
    }
    await app.close();
  });

  it('answers a clear 500 page naming npm run build when the UI was not built', async () => {
    const app = await appFor(path.join(os.tmpdir(), 'cy-ui-missing-' + process.pid));
    const res = await app.inject('/');
    assert.equal(res.statusCode, 500);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.match(res.body, /npm run build/);
    await app.close();
  });
});
