import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RelayClient } from '@codeyard/agent/sync/store-client';
import { newReplId } from '@codeyard/common/repl-id';
import { MemoryStore } from '../../src/store/memory-store.js';
import { NetworkRelay, RelayCredentials } from '../../src/store/network-relay.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import { newEngine, snapshot } from '../helpers/sync.js';

const key = randomBytes(32);
const credentials = new RelayCredentials(key);
const workspaces = new WorkspaceStore(new MemoryStore());
/** The pods the runtime knows live, as repl → sandbox. */
const pods = new Map<string, string>();
let relay: NetworkRelay;
let url: string;

const sandbox = (): string => randomBytes(6).toString('hex');

async function status(token: string | undefined, method = 'GET', route = '/manifest'): Promise<number> {
  const res = await fetch(`${url}${route}`, { method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('the network workspace relay (for repl pods)', () => {
  before(async () => {
    relay = new NetworkRelay({ workspaces, credentials, live: (repl, box) => pods.get(repl) === box, quotaBytes: () => 64 * 1024 * 1024 });
    await relay.listen(0, '127.0.0.1');
    const address = relay.server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
  });
  after(() => relay.close());

  it("carries the agent's own sync with a repl's credential: saved by one pod, restored by the next", async () => {
    const repl = newReplId();
    const first = sandbox();
    pods.set(repl, first);
    const a = newEngine({ url, token: credentials.issue(repl, first) });
    fs.writeFileSync(path.join(a.workspace, 'index.js'), 'console.log("saved over the network")\n');
    fs.mkdirSync(path.join(a.workspace, 'src'));
    fs.writeFileSync(path.join(a.workspace, 'src', 'app.js'), 'export {}\n');
    await a.engine.prepare();
    const saved = await a.engine.flush();
    assert.equal(saved.state, 'synced');
    await a.engine.stop();
    assert.ok((await workspaces.manifest(`workspaces/${repl}/`)).entries['index.js'], "in the repl's own workspace");

    // The next start is a new pod with a credential of its own; the old one no longer opens anything.
    const second = sandbox();
    pods.set(repl, second);
    assert.equal(await status(credentials.issue(repl, first)), 401, "the stopped pod's credential");
    const b = newEngine({ url, token: credentials.issue(repl, second) });
    assert.equal(await b.engine.prepare(), 'restored');
    assert.deepEqual(snapshot(b.workspace), snapshot(a.workspace));
    await b.engine.stop();
  });

  it('refuses a request without a credential, with a forged one, or with one altered to name another repl or pod (401)', async () => {
    const repl = newReplId();
    const box = sandbox();
    pods.set(repl, box);
    const good = credentials.issue(repl, box);
    assert.equal(await status(good), 200);
    assert.equal(await status(undefined), 401, 'no Authorization');
    assert.equal(await status(good.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))), 401, 'a MAC one character off');
    assert.equal(await status(new RelayCredentials(randomBytes(32)).issue(repl, box)), 401, "another portal's key");
    const other = newReplId();
    pods.set(other, box);
    assert.equal(await status(`${other}${good.slice(12)}`), 401, "the MAC of this repl with another repl's id");
    assert.equal(await status(`${good.split('.')[0]}.${sandbox()}.${good.split('.')[2]}`), 401, 'another pod');
    assert.equal(await status(`Basic ${good}`), 401, 'not a bearer credential');
    const res = await fetch(`${url}/manifest`);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="codeyard workspace relay"');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  });

  it("reaches only the credential's own workspace: a repl's writes never land in another's", async () => {
    const [mine, theirs] = [newReplId(), newReplId()];
    const [myPod, theirPod] = [sandbox(), sandbox()];
    pods.set(mine, myPod);
    pods.set(theirs, theirPod);
    const client = new RelayClient({ url, token: credentials.issue(mine, myPod) });
    const before = await workspaces.manifest(`workspaces/${theirs}/`);
    const version = await client.commit({ ...(await client.manifest()), entries: {} }, (await client.manifest()).version);
    assert.ok(version >= 1);
    assert.deepEqual(await workspaces.manifest(`workspaces/${theirs}/`), before, 'their workspace is untouched');
    pods.delete(mine);
    await assert.rejects(client.manifest(), /UNAUTHENTICATED|needs a repl pod/, 'once its pod is gone, its credential opens nothing');
  });
});
