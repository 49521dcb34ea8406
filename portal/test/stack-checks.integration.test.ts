import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/** Toolchain-check sandboxes alive right now (their bwrap is started with `--hostname check`). */
function checkSandboxes(): number {
  const parents = new Map<string, string>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('--hostname');
      if (!argv[0]?.endsWith('bwrap') || at === -1 || argv[at + 1] !== 'check') continue;
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(name, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]!);
    } catch {
      // ended meanwhile
    }
  }
  // bwrap forks itself (init of the new pid namespace): count each sandbox once, by its outer bwrap.
  return [...parents.values()].filter((parent) => !parents.has(parent)).length;
}

/**
 * The security review's stack-check stampede: many GET /api/stacks at once after the cache
 * expired started one sandbox per request and stack, timed everyone out and cached the
 * failures, so every stack showed as unavailable to all users.
 */
describe('stack checks under a burst', { timeout: 240_000 }, () => {
  let t: TestPortal;
  let token: string;
  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
  });
  after(() => t?.close());

  it('runs a bounded number of check sandboxes and answers everyone with real verdicts', async () => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 2000; i++) {
        peak = Math.max(peak, checkSandboxes());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    // A fresh portal has no verdict cached yet: the same as right after the cache expired.
    const replies = await Promise.all(Array.from({ length: 40 }, () => t.api(token, 'GET', '/api/stacks')));
    sampling = false;
    await sampler;
    for (const reply of replies) assert.equal(reply.status, 200, reply.body);
    const verdicts = (body: string): string => JSON.stringify(JSON.parse(body).map((s: { id: string; available: boolean }) => [s.id, s.available]));
    const first = verdicts(replies[0]!.body);
    for (const reply of replies) assert.equal(verdicts(reply.body), first, 'every request got the same verdicts');
    assert.ok(peak <= 2, `at most 2 check sandboxes ran at once (saw ${peak})`);
    assert.ok(JSON.parse(replies[0]!.body).some((s: { id: string; available: boolean }) => s.id === 'node' && s.available), 'node is available');
  });
});
