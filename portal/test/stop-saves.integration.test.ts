import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExecResult } from '@codeyard/common/agent/protocol';
import type { ReplView } from '../src/repls/repl-service.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * The security review's data-loss case: Stop while processes keep writing. Stop answered
 * "stopped", yet a file rewritten in a tight loop came back missing or as a 0-byte torn copy.
 */
describe('stop while processes write', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;

  const exec = async (repl: ReplView, command: string): Promise<ExecResult> => {
    const res = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command, timeoutMs: 20_000 });
    assert.equal(res.status, 200, res.body);
    return res.json<ExecResult>();
  };

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none' } });
    token = await t.newToken();
  });
  after(() => t?.close());

  it('ends every process first, then saves: nothing is lost or torn', async () => {
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'writers' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    // Writers that outlive the command that started them (their own session), as a terminal's
    // would. They replace their files whole (write, then rename), so the disk always holds a
    // whole copy: whatever the store holds after the stop must be whole too.
    await exec(
      repl,
      [
        `setsid sh -c 'i=0; while :; do i=$((i+1)); echo "count $i" > .tight.new && mv -f .tight.new tight.txt; done' >/dev/null 2>&1 &`,
        `setsid sh -c 'while :; do head -c 65536 /dev/zero | tr "\\\\0" x > .torn.new && mv -f .torn.new torn.txt; done' >/dev/null 2>&1 &`,
        `setsid sh -c 'i=0; while :; do i=$((i+1)); echo $i >> grows.log; sleep 0.01; done' >/dev/null 2>&1 &`,
        'sleep 1',
      ].join('\n'),
    );
    const stop = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
    assert.equal(stop.status, 200, stop.body);
    assert.equal(stop.json<ReplView>().status, 'stopped');
    // The local copy is gone only because the store has it all.
    assert.equal(fs.existsSync(path.join(t.dataDir, 'repls', repl.id, 'workspace', 'tight.txt')), false);

    const files = async (name: string): Promise<string> => {
      const res = await t.api(token, 'GET', `/api/repls/${repl.id}/files/${name}`);
      assert.equal(res.status, 200, `${name}: ${res.body}`);
      return res.body;
    };
    assert.match(await files('tight.txt'), /^count \d+\n$/, 'the tight-loop file is whole');
    assert.equal((await files('torn.txt')).length, 65536, 'the rewritten file is not torn');
    const lines = (await files('grows.log')).trim().split('\n');
    assert.ok(lines.length > 5, 'the growing log is there');
    assert.deepEqual(lines.map(Number), lines.map((_, i) => i + 1), 'with every line it had');
    // Nothing kept running: started again, the repl has no writer left over.
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    const before = await exec(repl, 'cat grows.log | wc -l; sleep 0.5; cat grows.log | wc -l');
    const [first, second] = before.stdout.trim().split('\n');
    assert.equal(first, second, 'no process from before the stop still writes');
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/stop`)).status, 200);
  });

  it('keeps the local copy, reported unsaved, when the store cannot hold a file', async () => {
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'odd name' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    // A name the store refuses (a backslash): sync skips it, so dropping the copy would lose it.
    await exec(repl, "printf 'keep me' > 'odd\\name.txt'");
    const stop = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
    assert.equal(stop.status, 503, stop.body);
    assert.match(stop.json().error.message, /odd\\\\name\.txt.*cannot keep/);
    const kept = path.join(t.dataDir, 'repls', repl.id, 'workspace', 'odd\\name.txt');
    assert.equal(fs.readFileSync(kept, 'utf8'), 'keep me', 'the file is still on disk');
    const view = (await t.api(token, 'GET', `/api/repls/${repl.id}`)).json<ReplView & { unsaved?: boolean }>();
    assert.equal(view.status, 'error');
  });
});
