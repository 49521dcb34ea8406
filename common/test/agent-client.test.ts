import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors.js';
import { AgentClient, MAX_AGENT_JSON_BYTES } from '../src/agent/client.js';

const MB = 1024 * 1024;

/**
 * A hostile agent (test double of its control socket): answers every request with an endless
 * body, or one that only drips. Bounded: it stops after `maxBytes` or when the client goes away.
 */
async function hostileAgent(mode: 'flood' | 'drip', maxBytes = 1024 * MB): Promise<{ socketPath: string; sent: () => number; close: () => Promise<void> }> {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-hostile-')), 'agent.sock');
  let sent = 0;
  const piece = Buffer.alloc(MB, '[');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (mode === 'drip') {
      const timer = setInterval(() => res.write('['), 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const pump = (): void => {
      while (sent < maxBytes && !res.destroyed) {
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    sent: () => sent,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

describe('agent client: a hostile agent cannot fill the portal', () => {
  it('fails at the reply cap, naming it, without growing memory', async () => {
    const agent = await hostileAgent('flood');
    try {
      const client = new AgentClient({ kind: 'unix', socketPath: agent.socketPath });
      globalThis.gc?.();
      const start = process.memoryUsage().rss;
      let peak = start;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      const error = await client.app().then(
        () => undefined,
        (err: unknown) => err,
      );
      clearInterval(sampler);
      assert.ok(error instanceof AppError, `expected a refusal, got ${String(error)}`);
      assert.equal(error.code, 'UPSTREAM');
      assert.match(error.message, /over the 8388608 bytes \(8 MiB\) limit/);
      assert.ok(agent.sent() < 200 * MB, `the client stopped reading early (the agent sent ${agent.sent() / MB} MB)`);
      assert.ok(peak - start < MAX_AGENT_JSON_BYTES + 40 * MB, `RSS grew by ${((peak - start) / MB).toFixed(0)} MB`);
    } finally {
      await agent.close();
    }
  });

  it('caps file reads too, and an answer that only drips ends at the deadline', async () => {
    const flood = await hostileAgent('flood', 64 * MB);
    try {
      const client = new AgentClient({ kind: 'unix', socketPath: flood.socketPath }, { maxFileBytes: 2 * MB });
      await assert.rejects(client.readFile('big.bin'), /over the 2097152 bytes \(2 MiB\) limit/);
    } finally {
      await flood.close();
    }
    const drip = await hostileAgent('drip');
    try {
      const started = Date.now();
      // sync() allows 2 s: a byte every 50 ms keeps the socket busy, never idle.
      await assert.rejects(new AgentClient({ kind: 'unix', socketPath: drip.socketPath }).sync(), (err: unknown) => err instanceof AppError && err.code === 'TIMEOUT');
      assert.ok(Date.now() - started < 5000, 'the whole exchange is bounded, not only idleness');
    } finally {
      await drip.close();
    }
  });
});
