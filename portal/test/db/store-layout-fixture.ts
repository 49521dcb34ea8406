import { randomBytes } from 'node:crypto';
import { newReplId } from '@codeyard/common/repl-id';
import type { ReplRecord } from '../../src/repls/repl-record.js';
import type { ObjectStore } from '../../src/store/object-store.js';

/**
 * A data folder's store as the portal wrote it before records moved to the database, object by
 * object in that code's own format: `accounts/<sha256 of token>.json` (JSON.stringify of
 * { id, createdAt }), `repls/<id>.json` (the record, JSON.stringify(record, null, 2)) and the
 * owner index `owners/<owner>/<id>` (empty), beside the files that stay (templates, workspaces).
 */
export async function writeStoreLayoutFixture(store: ObjectStore): Promise<{
  accounts: Array<{ token: string; account: { id: string; createdAt: string } }>;
  repls: ReplRecord[];
  /** Every record object (accounts, repls, owner links): all go once imported. */
  recordKeys: string[];
  /** The files, which stay. */
  fileKeys: string[];
}> {
  const { createHash } = await import('node:crypto');
  const accounts = [0, 1, 2].map((i) => ({
    token: `cy_${randomBytes(32).toString('base64url')}`,
    account: { id: `u${randomBytes(10).toString('hex')}`, createdAt: `2026-03-0${i + 1}T10:00:00.000Z` },
  }));
  const manifest = { id: 'node', name: 'Node.js', description: 'Node', run: 'node index.js', port: 3000, main: 'index.js', toolchain: 'node', icon: 'icon.svg' } as unknown as ReplRecord['manifest'];
  const repl = (owner: string, day: number, fields: Partial<ReplRecord> = {}): ReplRecord => ({
    id: newReplId(),
    name: `Node.js repl ${day}`,
    stack: 'node',
    owner,
    createdAt: `2026-03-${String(day).padStart(2, '0')}T12:00:00.000Z`,
    templateVersion: 'abc123',
    manifest,
    ...fields,
  });
  const [alice, bob] = [accounts[0]!.account.id, accounts[1]!.account.id];
  const plain = repl(alice, 10);
  const repls = [
    plain,
    repl(alice, 12, { name: 'ports set', ports: { '3000': 'private', '8080': 'public' } }),
    repl(alice, 11, { name: 'a fork', origin: { forkOf: plain.id }, ports: { '5173': 'public' } }),
    repl(bob, 9, { name: 'imported', origin: { imported: true } }),
  ];
  const recordKeys: string[] = [];
  for (const { token, account } of accounts) {
    const key = `accounts/${createHash('sha256').update(token).digest('hex')}.json`;
    await store.put(key, JSON.stringify(account));
    recordKeys.push(key);
  }
  for (const record of repls) {
    await store.put(`repls/${record.id}.json`, JSON.stringify(record, null, 2));
    await store.put(`owners/${record.owner}/${record.id}`, '');
    recordKeys.push(`repls/${record.id}.json`, `owners/${record.owner}/${record.id}`);
  }
  // An object that is not a record any more (hand-edited, cut short): reported and kept, never guessed at.
  await store.put('repls/broken.json', '{"id": "broken", "na');
  const fileKeys = ['templates/node/abc123/index.js', `workspaces/${plain.id}/manifest.json`, `workspaces/${plain.id}/blobs/aa`];
  for (const key of fileKeys) await store.put(key, 'file');
  return { accounts, repls, recordKeys, fileKeys };
}
