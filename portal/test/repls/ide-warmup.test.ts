import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { warmIde } from '../../src/repls/ide-warmup.js';

/** An HTTP server on a unix socket stands in for code-server: it records what it was asked. */
describe('warming up VS Code when an IDE link is made', () => {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-warmup-')), 'ide.sock');
  const asked: string[] = [];
  let server: http.Server;

  before(async () => {
    server = http.createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(404).end('Not found.');
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  after(() => server.close());

  it("asks code-server for a path only VS Code's server answers, and reports its status", async () => {
    assert.equal(await warmIde({ kind: 'unix', socketPath }), 404);
    assert.deepEqual(asked, ['GET /_codeyard/warmup']);
  });

  it('does nothing for a repl that is not running, and never fails on one that does not answer', async () => {
    assert.equal(await warmIde(undefined), undefined);
    assert.equal(await warmIde({ kind: 'unix', socketPath: path.join(path.dirname(socketPath), 'gone.sock') }), undefined);
  });
});
