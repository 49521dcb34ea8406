import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CODE_SERVER_VERSION, CodeServerProvisioner, NODE_PACKAGE, NODE_VERSION } from '../../src/runtime/process/code-server-provision.js';

describe('CodeServerProvisioner', () => {
  it('uses a complete install in the cache without running npm', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-cache-'));
    const node = path.join(cache, `node-v${NODE_VERSION}`, 'node_modules', NODE_PACKAGE, 'bin', 'node');
    const entry = path.join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
    for (const file of [node, entry]) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '');
    }
    const provisioner = new CodeServerProvisioner(cache);
    const messages: string[] = [];
    const command = await provisioner.ensure((m) => messages.push(m));
    assert.deepEqual(command, { command: node, args: [entry], version: CODE_SERVER_VERSION });
    assert.deepEqual(messages, [], 'nothing to install, nothing to report');
  });

  it('never uses a half-finished install', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-cache-'));
    fs.mkdirSync(path.join(cache, `code-server-${CODE_SERVER_VERSION}.partial`, 'node_modules', 'code-server'), { recursive: true });
    assert.equal(await new CodeServerProvisioner(cache).installed(), undefined);
  });

  it('uses CODE_SERVER_BIN when given, and says so when it is missing', async () => {
    assert.deepEqual(await new CodeServerProvisioner('/nonexistent', process.execPath).ensure(), { command: process.execPath, args: [], version: 'external' });
    await assert.rejects(new CodeServerProvisioner('/nonexistent', '/no/such/code-server').ensure(), /CODE_SERVER_BIN is \/no\/such\/code-server, which does not exist/);
  });
});
