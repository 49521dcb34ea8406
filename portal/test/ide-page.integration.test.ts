import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { request, type Reply } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * The proxy makes VS Code's page for the Codeyard bar's frame itself (proxy/src/ide-page.ts),
 * so a first visit does not wait for code-server to load VS Code's server. It must be the page
 * the repl's real code-server (the provisioned version, started as Codeyard starts it) makes,
 * byte for byte but the nonce; this is the check that fails when code-server, its flags or its
 * template change.
 */
describe("VS Code's page made by the proxy", { timeout: 180_000 }, () => {
  let t: TestPortal;
  let token: string;
  let repl: ReplView;
  let host: string;
  let cookie: string;
  const FRAME = '/?folder=%2Fhome%2Fuser%2Fworkspace&payload=%5B%5B%22openFile%22%2C%22vscode-remote%3A%2F%2Fx%2Fhome%2Fuser%2Fworkspace%2Findex.js%22%5D%5D';

  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
    repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    host = `${repl.id}.localhost:${t.port}`;
    const link = new URL((await t.api(token, 'POST', `/api/repls/${repl.id}/ide-link`)).json<{ url: string }>().url);
    const redeem = await request(t.port, { host: link.host, path: link.pathname + link.search });
    assert.equal(redeem.status, 302);
    cookie = String(redeem.headers['set-cookie']).split(';')[0]!;
  });
  after(() => t?.close());

  /** The frame's request, as the bar's page makes it. */
  const frame = (): Promise<Reply> => request(t.port, { host, path: FRAME, headers: { cookie, accept: 'text/html', 'sec-fetch-dest': 'iframe' } });
  /** The same request without Sec-Fetch-Dest: the proxy forwards it to code-server as it is. */
  const fromCodeServer = (): Promise<Reply> => request(t.port, { host, path: FRAME, headers: { cookie, accept: 'text/html' } });

  /** A page with its nonce (in the body and the policy) replaced by a fixed word. */
  function withoutNonce(reply: Reply): { body: string; csp: string } {
    const nonce = /nonce="([^"]+)"/.exec(reply.body)?.[1];
    assert.ok(nonce, 'the page has a nonce');
    return { body: reply.body.split(nonce).join('NONCE'), csp: String(reply.headers['content-security-policy']).split(nonce).join('NONCE') };
  }

  it("equals code-server's own page but the nonce, and says it is not to be cached", async () => {
    const ours = await frame();
    const theirs = await fromCodeServer();
    assert.equal(ours.status, 200);
    assert.equal(theirs.status, 200);
    assert.equal(ours.headers['cache-control'], 'no-store', 'made by the proxy');
    assert.equal(theirs.headers['cache-control'], undefined, 'made by code-server');
    assert.deepEqual(withoutNonce(ours), withoutNonce(theirs));
    assert.equal(String(ours.headers['content-type']).split(';')[0], String(theirs.headers['content-type']).split(';')[0]);
  });

  it('leaves the page to code-server once the repl has a display language of its own, and takes it back when it has none', async () => {
    const user = '/home/user/.local/share/code-server/User';
    const set = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: `mkdir -p ${user} && printf '{ "locale": "en" }' > ${user}/argv.json` });
    assert.equal(set.json<{ exitCode: number }>().exitCode, 0, set.body);
    const configured = await frame();
    assert.equal(configured.status, 200);
    assert.equal(configured.headers['cache-control'], undefined, "code-server's page");
    assert.match(configured.body, /vscode-workbench-web-configuration/);
    const unset = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: `rm ${user}/argv.json` });
    assert.equal(unset.json<{ exitCode: number }>().exitCode, 0, unset.body);
    assert.equal((await frame()).headers['cache-control'], 'no-store');
  });

  it('makes no page for anyone but the owner', async () => {
    const stranger = await request(t.port, { host, path: FRAME, headers: { accept: 'text/html', 'sec-fetch-dest': 'iframe' } });
    assert.equal(stranger.status, 302);
    assert.doesNotMatch(stranger.body, /vscode-workbench/);
  });
});
