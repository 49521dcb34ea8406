import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EXIT } from '../src/exit-codes.js';
import { ApiDouble, replOf } from './helpers/api-double.js';
import { type Ran, runWith, tempHome } from './helpers/run-cli.js';

const ID = 'abcdefghijkm';

/** codeyard secret list|set|rm in-process against the API double (the portal's side: portal/test/secrets/). */
describe('codeyard secret … (against the API double)', () => {
  let api: ApiDouble;
  const home = tempHome();
  let env: NodeJS.ProcessEnv;
  const cli = (argv: string[], stdin?: string): Promise<Ran> => runWith(argv, { env, ...(stdin === undefined ? {} : { stdin }) });
  const sent = (method: string): unknown => JSON.parse(api.requests.findLast((r) => r.method === method)!.body.toString());

  before(async () => {
    api = await new ApiDouble().start();
    env = { XDG_CONFIG_HOME: home, CODEYARD_SERVER: api.url, CODEYARD_TOKEN: 'cyp_test' };
  });
  beforeEach(() => {
    api.requests.length = 0;
    api.json('GET /api/repls', 200, [replOf(ID, 'web app')]);
    api.json(`GET /api/repls/${ID}`, 200, replOf(ID, 'web app'));
  });
  after(async () => {
    await api.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('lists names and times (by repl name too), never a value, and says when the running repl lags', async () => {
    const at = new Date(Date.now() - 5 * 60_000).toISOString();
    api.json(`GET /api/repls/${ID}/secrets`, 200, { secrets: [{ name: 'API_KEY', updatedAt: at }], applied: false });
    const human = await cli(['secret', 'list', 'web app']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /NAME\s+UPDATED\nAPI_KEY\s+5 min/);
    assert.match(human.stdout, /has not got the latest change yet/);
    const json = await cli(['--json', 'secret', 'ls', ID]);
    assert.deepEqual(json.json(), { secrets: [{ name: 'API_KEY', updatedAt: at }], applied: false });
  });

  it('sets a value piped on stdin (one trailing newline dropped) or given with --value; 201 added, 200 replaced', async () => {
    api.on(`PUT /api/repls/${ID}/secrets/API_KEY`, (_req, res) => void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'API_KEY', updatedAt: new Date().toISOString() })));
    const piped = await cli(['secret', 'set', 'web app', 'API_KEY'], 'sk_live_123\n');
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual(sent('PUT'), { value: 'sk_live_123' });
    assert.match(piped.stdout, /Added API_KEY in web app/);
    assert.ok(!piped.stdout.includes('sk_live_123') && !piped.stderr.includes('sk_live_123'), 'the value is never printed');

    api.on(`PUT /api/repls/${ID}/secrets/API_KEY`, (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'API_KEY', updatedAt: new Date().toISOString() })));
    const flag = await cli(['--json', 'secret', 'set', ID, 'API_KEY', '--value', 'two\nlines\n\n']);
    assert.equal(flag.code, 0, flag.stderr);
    assert.deepEqual(sent('PUT'), { value: 'two\nlines\n\n' }, '--value is taken as it is');
    assert.equal(flag.json().created, false);
  });

  it('refuses a bad name before asking the server (2), and passes on what the server refuses: 400 → 2, 409 → 6, 404 → 4', async () => {
    const bad = await cli(['secret', 'set', ID, '1BAD', '--value', 'x']);
    assert.equal(bad.code, EXIT.USAGE);
    assert.match(bad.stderr, /"1BAD" is not a variable name/);
    const traversal = await cli(['secret', 'rm', ID, '../../tokens/current']);
    assert.equal(traversal.code, EXIT.USAGE, 'rm checks the name too: never sent as a path');
    assert.equal(api.requests.length, 0, 'nothing sent');

    api.error(`PUT /api/repls/${ID}/secrets/BIG`, 400, 'VALIDATION', 'a secret value may have at most 32 KiB');
    const big = await cli(['secret', 'set', ID, 'BIG', '--value', 'x']);
    assert.equal(big.code, EXIT.USAGE);
    assert.match(big.stderr, /at most 32 KiB/);
    api.error(`PUT /api/repls/${ID}/secrets/MORE`, 409, 'LIMIT_REACHED', 'a repl may have at most 100 secrets');
    assert.equal((await cli(['secret', 'set', ID, 'MORE'], 'x')).code, EXIT.CONFLICT);
    api.error(`DELETE /api/repls/${ID}/secrets/GONE`, 404, 'NOT_FOUND', `repl ${ID} has no secret GONE`);
    const gone = await cli(['secret', 'rm', ID, 'GONE']);
    assert.equal(gone.code, EXIT.NOT_FOUND);
    assert.match(gone.stderr, /has no secret GONE/);
  });

  it('removes one', async () => {
    api.on(`DELETE /api/repls/${ID}/secrets/API_KEY`, (_req, res) => void res.writeHead(204).end());
    const removed = await cli(['secret', 'rm', 'web app', 'API_KEY']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /Removed API_KEY from web app/);
  });
});
