import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SecretList } from '@codeyard/common/api/secrets';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';
import { warmDirs, warmRoot } from '../src/runtime/process/repl-folders.js';

/**
 * Repl secrets on the real thing (process runtime: bubblewrap sandbox, real code-server and
 * agent): set in the portal, seen by a one-off command and by the app Run starts, a change while
 * running seen by the next command and the next Run, and a repl whose first start took a warm
 * sandbox has them as a cold start does.
 */
describe('repl secrets in a real sandbox', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_WARM_POOL: '1', CODEYARD_WARM_POOL_MAX_LOAD: '100000' }, warmStacks: ['node'] });
    token = await t.newToken();
  });
  after(() => t?.close());

  const exec = async (id: string, command: string): Promise<string> => {
    const res = await t.api(token, 'POST', `/api/repls/${id}/exec`, { command });
    assert.equal(res.status, 200, res.body);
    return res.json<{ stdout: string }>().stdout.trim();
  };
  const setSecret = async (id: string, name: string, value: string): Promise<void> => {
    const res = await t.api(token, 'PUT', `/api/repls/${id}/secrets/${name}`, { value });
    assert.ok(res.status === 201 || res.status === 200, res.body);
  };
  /** Runs the app (index.js writes what it sees into seen.txt) and waits for that file. */
  const runAppAndRead = async (id: string, previous?: string): Promise<string> => {
    assert.equal((await t.api(token, 'POST', `/api/repls/${id}/app/restart`)).status, 200);
    let seen = '';
    await eventually(async () => {
      const res = await t.api(token, 'GET', `/api/repls/${id}/files/seen.txt`);
      seen = res.status === 200 ? res.body : '';
      return seen !== '' && seen !== previous;
    }, 'the app writing seen.txt', 30_000);
    return seen;
  };

  it('gives a repl started from the warm pool its secrets: exec and Run see them, and a change while running reaches the next exec and Run', async () => {
    await eventually(async () => t.runtime.warmCounts().node === 1, 'a warm node sandbox', 120_000);
    const root = path.join(t.dataDir, 'repls');
    const warmId = fs.readdirSync(warmRoot(root)).find((name) => fs.existsSync(warmDirs(root, name).agentSocket));
    assert.ok(warmId, 'the warm sandbox');
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'secret app' });
    assert.equal(created.status, 201, created.body);
    const { id } = created.json<ReplView>();
    await setSecret(id, 'APP_SECRET', 'first value');
    await setSecret(id, 'WITH_SPACES', 'a b  "c" $HOME');

    const started = await t.api(token, 'POST', `/api/repls/${id}/start`);
    assert.equal(started.status, 200, started.body);
    assert.equal(fs.existsSync(warmDirs(root, warmId).base), false, 'the start took the warm sandbox (its folder became the repl\'s)');
    assert.equal(await exec(id, 'echo "$APP_SECRET"'), 'first value', 'exec right after the start answered');
    assert.equal(await exec(id, 'printf %s "$WITH_SPACES"'), 'a b  "c" $HOME', 'taken as it is, not expanded');
    assert.equal((await t.api(token, 'GET', `/api/repls/${id}/secrets`)).json<SecretList>().applied, true);

    const write = await t.api(token, 'PUT', `/api/repls/${id}/files/index.js`, "require('fs').writeFileSync(__dirname + '/seen.txt', `${Date.now()} ${process.env.APP_SECRET}`);\n");
    assert.ok(write.status === 200 || write.status === 201, write.body);
    const first = await runAppAndRead(id);
    assert.match(first, / first value$/, 'the Run app');

    await setSecret(id, 'APP_SECRET', 'second value');
    assert.equal(await exec(id, 'echo "$APP_SECRET"'), 'second value', 'the next exec after a change while running');
    assert.match(await runAppAndRead(id, first), / second value$/, 'the next Run');

    assert.equal((await t.api(token, 'DELETE', `/api/repls/${id}/secrets/APP_SECRET`)).status, 204);
    assert.equal(await exec(id, 'echo "[${APP_SECRET-unset}]"'), '[unset]', 'gone from the next exec');
  });

  it('gives them again after a stop and a cold start (the agent keeps them in memory only)', async () => {
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'cold secrets' });
    const { id } = created.json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${id}/start`)).status, 200);
    assert.equal(await exec(id, 'echo "[${COLD_SECRET-unset}]"'), '[unset]');
    await setSecret(id, 'COLD_SECRET', 'kept in the portal');
    assert.equal((await t.api(token, 'POST', `/api/repls/${id}/stop`)).status, 200);
    assert.equal((await t.api(token, 'POST', `/api/repls/${id}/start`)).status, 200);
    assert.equal(await exec(id, 'echo "$COLD_SECRET"'), 'kept in the portal');
    assert.equal(await exec(id, 'grep -rl "kept in the portal" . 2>/dev/null | wc -l'), '0', 'not in the workspace');
  });

  it("gives them to a sandbox started again after it ended, and runs an always-on app again once they come (a bot's token)", async () => {
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'always-on bot' });
    const { id } = created.json<ReplView>();
    await setSecret(id, 'BOT_TOKEN', 'the bot token');
    // The app writes what it sees at its start, then keeps running as a bot does.
    const app = "require('fs').writeFileSync(__dirname + '/seen.txt', `${Date.now()} ${process.env.BOT_TOKEN}`); setInterval(() => {}, 1000);\n";
    assert.ok([200, 201].includes((await t.api(token, 'PUT', `/api/repls/${id}/files/index.js`, app)).status));
    assert.equal((await t.api(token, 'POST', `/api/repls/${id}/start`)).status, 200);
    assert.equal((await t.api(token, 'PATCH', `/api/repls/${id}`, { alwaysOn: true })).status, 200);
    const read = async (): Promise<string> => {
      const res = await t.api(token, 'GET', `/api/repls/${id}/files/seen.txt`);
      return res.status === 200 ? res.body : '';
    };
    const first = await eventually(async () => (/ the bot token$/.test(await read()) ? read() : undefined), 'the always-on app with its token', 30_000);

    // The sandbox ends (its init's only child, the agent, is killed): the portal starts it again.
    const pidsFile = path.join(t.dataDir, 'repls', id, 'pids.json');
    const before = JSON.parse(fs.readFileSync(pidsFile, 'utf8')).agentPid as number;
    await t.api(token, 'POST', `/api/repls/${id}/exec`, { command: "kill -9 $(awk '$4 == 1 { print $1 }' /proc/[0-9]*/stat)" });
    await eventually(async () => JSON.parse(fs.readFileSync(pidsFile, 'utf8')).agentPid !== before, 'the sandbox started again', 60_000);
    await eventually(async () => (await t.api(token, 'GET', `/api/repls/${id}`)).json<ReplView>().status === 'running', 'running again', 60_000);
    // The new agent holds nothing in memory: it has the secrets only if the portal gave them again.
    await eventually(async () => (await exec(id, 'echo "[${BOT_TOKEN-unset}]"')) === '[the bot token]', 'exec sees the token in the new sandbox', 30_000);
    // The app it started by itself (always on) ran again once they came: its latest start saw the token.
    const again = await eventually(async () => {
      const seen = await read();
      return seen !== first && / the bot token$/.test(seen) ? seen : undefined;
    }, 'the always-on app running again with its token', 30_000);
    assert.match(again, / the bot token$/);
    assert.equal((await t.api(token, 'PATCH', `/api/repls/${id}`, { alwaysOn: false })).status, 200);
  });
});
