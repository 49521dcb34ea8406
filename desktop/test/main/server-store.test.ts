import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ServerStore } from '../../src/main/server-store.js';
import { safeStorageDouble } from '../helpers/doubles.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cy-desktop-store-'));
const TOKEN = 'cyp_secretsecretsecret';

describe('ServerStore', () => {
  it('starts with the local server, adds servers normalized and makes the new one current', () => {
    const store = new ServerStore({ dir: tmp(), safeStorage: safeStorageDouble() });
    assert.deepEqual(store.state().servers.map((s) => s.url), ['http://localhost:8080']);
    assert.equal(store.add('codeyard.example.com'), 'https://codeyard.example.com');
    assert.equal(store.current, 'https://codeyard.example.com');
    assert.throws(() => store.add('http://10.0.0.5'), /use https/);
  });

  it('writes the token only encrypted, in a file only the user reads, and reads it back after a restart', () => {
    const dir = tmp();
    const safe = safeStorageDouble();
    const store = new ServerStore({ dir, safeStorage: safe });
    store.setToken('http://localhost:8080', TOKEN, { account: { id: 'a1', email: 'ada@example.com' } });
    const file = path.join(dir, 'codeyard-desktop.json');
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes(TOKEN), 'the token is not in the file in the clear');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const again = new ServerStore({ dir, safeStorage: safe });
    assert.equal(again.token('http://localhost:8080'), TOKEN);
    assert.deepEqual(again.summary('http://localhost:8080'), { url: 'http://localhost:8080', signedIn: true, account: { id: 'a1', email: 'ada@example.com' }, tokenKept: 'safe-storage' });
  });

  it('keeps the token in memory only where no secret store protects it (Linux basic_text), and says so', () => {
    const dir = tmp();
    for (const safe of [safeStorageDouble({ backend: 'basic_text' }), safeStorageDouble({ available: false })]) {
      const store = new ServerStore({ dir, safeStorage: safe });
      store.setToken('http://localhost:8080', TOKEN);
      assert.equal(store.token('http://localhost:8080'), TOKEN);
      assert.equal(store.summary('http://localhost:8080')?.tokenKept, 'memory');
      assert.ok(!fs.readFileSync(path.join(dir, 'codeyard-desktop.json'), 'utf8').includes('token'));
      assert.equal(new ServerStore({ dir, safeStorage: safe }).token('http://localhost:8080'), undefined, 'gone after a restart');
    }
  });

  it('signs out of a server whose saved token can no longer be decrypted', () => {
    const dir = tmp();
    const safe = safeStorageDouble();
    new ServerStore({ dir, safeStorage: safe }).setToken('http://localhost:8080', TOKEN);
    safe.failDecrypt = true;
    const store = new ServerStore({ dir, safeStorage: safe });
    assert.equal(store.token('http://localhost:8080'), undefined);
    assert.equal(store.summary('http://localhost:8080')?.signedIn, false);
    assert.match(store.problems.join(), /could not be decrypted; sign in again/);
  });

  it('moves an unreadable file aside instead of losing it', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'codeyard-desktop.json'), '{not json');
    const store = new ServerStore({ dir, safeStorage: safeStorageDouble() });
    assert.match(store.problems[0]!, /unreadable.*moved to/);
    assert.equal(fs.readdirSync(dir).filter((f) => f.includes('unreadable')).length, 1);
    assert.equal(store.current, 'http://localhost:8080');
  });

  it('remembers window bounds (the newest 50) and only known preferences', () => {
    const dir = tmp();
    const store = new ServerStore({ dir, safeStorage: safeStorageDouble() });
    for (let i = 0; i < 60; i++) store.setBounds(`w${i}`, { x: i, y: 0, width: 800, height: 600 });
    const again = new ServerStore({ dir, safeStorage: safeStorageDouble() });
    assert.equal(again.bounds('w0'), undefined);
    assert.deepEqual(again.bounds('w59'), { x: 59, y: 0, width: 800, height: 600 });
    assert.equal(again.preferences.checkForUpdates, false, 'update checks are off by default');
    again.setPreferences({ checkForUpdates: true, evil: 1 } as never);
    assert.deepEqual(new ServerStore({ dir, safeStorage: safeStorageDouble() }).preferences, { checkForUpdates: true });
  });

  it('forgets the token and the server when removed', () => {
    const store = new ServerStore({ dir: tmp(), safeStorage: safeStorageDouble() });
    store.add('https://a.example');
    store.setToken('https://a.example', TOKEN);
    store.remove('https://a.example');
    assert.equal(store.token('https://a.example'), undefined);
    assert.equal(store.current, 'http://localhost:8080');
  });
});
