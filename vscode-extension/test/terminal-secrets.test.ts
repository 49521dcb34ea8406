import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplEnv } from '@codeyard/common/agent/protocol';
import { TerminalSecrets } from '../src/terminal-secrets.js';

/** VS Code's environment collection, as a Map (a double: the real one is VS Code's). */
class CollectionDouble extends Map<string, string> {
  replace(name: string, value: string): void {
    this.set(name, value);
  }
}

describe("new terminals get the repl's secrets", () => {
  it('applies each new version of the set: adds, replaces, and removes what was deleted, and leaves other variables alone', async () => {
    const terminals = new CollectionDouble([['CODEYARD_REPL_ID', 'abcdefghijkl']]);
    let env: ReplEnv = { version: 0, revision: 0, variables: {} };
    let reads = 0;
    const secrets = new TerminalSecrets(terminals, async () => (reads++, env));
    await secrets.poll();
    assert.deepEqual([...terminals], [['CODEYARD_REPL_ID', 'abcdefghijkl']]);
    env = { version: 1, revision: 1, variables: { API_KEY: 'one', DB_URL: 'postgres://x' } };
    await secrets.poll();
    assert.deepEqual(Object.fromEntries(terminals), { CODEYARD_REPL_ID: 'abcdefghijkl', API_KEY: 'one', DB_URL: 'postgres://x' });
    env = { version: 2, revision: 2, variables: { API_KEY: 'two' } };
    await secrets.poll();
    assert.deepEqual(Object.fromEntries(terminals), { CODEYARD_REPL_ID: 'abcdefghijkl', API_KEY: 'two' }, 'DB_URL was deleted');
    assert.equal(reads, 3);
  });

  it('changes nothing when the agent does not answer or the version did not move', async () => {
    const terminals = new CollectionDouble();
    let answer: () => Promise<ReplEnv> = async () => ({ version: 1, revision: 1, variables: { A: '1' } });
    const secrets = new TerminalSecrets(terminals, () => answer());
    await secrets.poll();
    terminals.set('A', 'changed by hand');
    await secrets.poll();
    assert.equal(terminals.get('A'), 'changed by hand', 'the same version is not applied again');
    answer = async () => Promise.reject(Object.assign(new Error('no agent route GET /env'), { status: 404 }));
    await secrets.poll();
    assert.equal(terminals.get('A'), 'changed by hand');
  });
});
