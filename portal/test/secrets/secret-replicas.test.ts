import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { ReplSecrets } from '../../src/secrets/repl-secrets.js';
import { SecretCipher } from '../../src/secrets/secret-cipher.js';
import { dropSchema, quietLog, runSchema } from '../db/db-test-helpers.js';
import { replRecord } from '../db/describe-repositories.js';
import { DIALECTS } from '../tokens/token-portal.js';
import { until } from '../classes/class-portal.js';
import { EnvAgentDouble } from './env-agent-double.js';

const OWNER = 'u-replicas';

/**
 * Two portal replicas (two ReplSecrets, each with its own SecretDelivery, as each replica has)
 * over one database, giving one repl's agent ({@link EnvAgentDouble}, the test double of its env
 * routes) its secrets on the runtime double (MemoryRuntime): pushes that arrive out of order
 * leave the agent with the newest set, and neither replica says `applied` while the agent holds
 * an older revision than the database's.
 */
for (const dialect of DIALECTS) {
  describe(`repl secrets pushed by two portal replicas (${dialect.name})`, { skip: dialect.skip }, () => {
    const agents = new EnvAgentDouble();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-secret-replicas-'));
    const schema = runSchema('secret_replicas');
    let database: Database;
    let runtime: MemoryRuntime;
    let a: ReplSecrets;
    let b: ReplSecrets;
    before(async () => {
      const url = process.env.CODEYARD_TEST_DATABASE_URL;
      database = dialect.name === 'PostgreSQL' ? await openDatabase({ url, dataDir, schema, log: quietLog }) : await openDatabase({ dataDir, log: quietLog });
      runtime = new MemoryRuntime({ endpoints: agents.endpoints });
      const replica = (): ReplSecrets =>
        new ReplSecrets({
          repository: database.secrets,
          cipher: new SecretCipher(Buffer.alloc(32, 7)),
          runtime,
          owned: async (_owner, id) => (await database.repls.get(id))!,
          log: { info: () => undefined, error: () => undefined },
        });
      [a, b] = [replica(), replica()];
    });
    after(async () => {
      a.close();
      b.close();
      await runtime.close();
      await database.close();
      await agents.close();
      if (dialect.name === 'PostgreSQL') await dropSchema(process.env.CODEYARD_TEST_DATABASE_URL, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** A running repl, its start's deliveries done on both replicas. */
    const running = async (): Promise<string> => {
      const record = replRecord(OWNER);
      await database.repls.insertMany([record]);
      await agents.serve(record.id);
      await runtime.start({ id: record.id, manifest: record.manifest, workspacePrefix: `workspaces/${record.id}/` });
      await Promise.all([a.delivery.deliver(record.id), b.delivery.deliver(record.id)]);
      return record.id;
    };
    const puts = (id: string): number => (agents.calls.get(id) ?? []).filter((c) => c === 'PUT /env').length;

    it("keeps the newest set when one replica's push arrives after another's newer one, and both say applied", async () => {
      const id = await running();
      assert.equal(puts(id), 0, 'never had a secret: the start cost no call');
      const release = agents.holdNext(id);
      const first = a.set(OWNER, id, 'TOKEN', 'older');
      await until(() => puts(id) === 1, "replica A's push of revision 1 at the agent, held there");
      await b.set(OWNER, id, 'TOKEN', 'newer');
      release();
      await first;
      assert.deepEqual(agents.last(id), { TOKEN: 'newer' }, "A's late push did not replace B's");
      assert.deepEqual([agents.revisions.get(id), agents.late.get(id)], [2, [1]]);
      assert.deepEqual([(await a.list(OWNER, id)).applied, (await b.list(OWNER, id)).applied], [true, true]);

      // The same with a delete: B removes it while A's push of the set with it is on its way.
      const again = agents.holdNext(id);
      const second = a.set(OWNER, id, 'EXTRA', 'x');
      await until(() => puts(id) === 3, "replica A's push of revision 3, held");
      await b.remove(OWNER, id, 'EXTRA');
      again();
      await second;
      assert.deepEqual(agents.last(id), { TOKEN: 'newer' }, 'the deleted secret stays gone');
      assert.equal(agents.revisions.get(id), 4);
    });

    it('says applied: false on a replica while the agent holds an older revision, until it holds the current one', async () => {
      const id = await running();
      await a.set(OWNER, id, 'KEY', 'one');
      assert.equal((await a.list(OWNER, id)).applied, true);
      // B's change is saved and its push is on its way (held): the agent still holds revision 1.
      const release = agents.holdNext(id);
      const change = b.set(OWNER, id, 'KEY', 'two');
      await until(() => puts(id) === 2, "replica B's push, held");
      assert.deepEqual([(await a.list(OWNER, id)).applied, (await b.list(OWNER, id)).applied], [false, false], 'A pushed revision 1 itself, and still does not say applied');
      release();
      await change;
      assert.deepEqual([(await a.list(OWNER, id)).applied, (await b.list(OWNER, id)).applied], [true, true], 'A asked the agent: it holds revision 2');

      // B's push fails: A, which made the last push it knows of, does not claim it.
      agents.failing.add(id);
      await b.set(OWNER, id, 'KEY', 'three');
      agents.failing.delete(id);
      assert.deepEqual([(await a.list(OWNER, id)).applied, (await b.list(OWNER, id)).applied], [false, false], 'the agent holds revision 2 of 3');
      assert.deepEqual(agents.last(id), { KEY: 'two' });
      // The next change, on either replica, carries the whole set: the agent is current again.
      await a.set(OWNER, id, 'OTHER', 'four');
      assert.deepEqual(agents.last(id), { KEY: 'three', OTHER: 'four' });
      assert.deepEqual([(await a.list(OWNER, id)).applied, (await b.list(OWNER, id)).applied], [true, true]);
    });
  });
}
