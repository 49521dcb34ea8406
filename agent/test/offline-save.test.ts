import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AgentConfig } from '@codeyard/common/agent/config';
import { OFFLINE_SAVE_RESULT_FILE, readOfflineSaveResult } from '@codeyard/common/agent/offline-save';
import { relayDouble } from './helpers/relay-double.js';

const AGENT_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** A workspace left on disk by a repl that stopped before saving, and its agent's config. */
function leftOnDisk(): { dir: string; config: string; stateDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-offline-'));
  const workspace = path.join(dir, 'workspace');
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
  fs.mkdirSync(stateDir);
  fs.writeFileSync(path.join(workspace, 'index.js'), 'console.log(1)\n');
  fs.writeFileSync(path.join(workspace, 'src', 'util.js'), 'export {};\n');
  const config: AgentConfig = { replId: 'abcdefghijkl', workspace, controlSocket: path.join(dir, 'agent.sock'), tunnelSocket: path.join(dir, 'tunnel.sock'), stateDir, app: { run: 'true' }, maxFileBytes: 1024, sync: { socket: path.join(dir, 'store.sock') } };
  fs.writeFileSync(path.join(dir, 'agent-sync.json'), JSON.stringify(config));
  return { dir, config: path.join(dir, 'agent-sync.json'), stateDir };
}

const runOnce = (config: string): Promise<number> =>
  promisify(execFile)(process.execPath, [AGENT_MAIN, config, '--sync-once'], { timeout: 60_000 }).then(
    () => 0,
    (err: { code?: number }) => err.code ?? -1,
  );

describe("a stopped repl's one-off save", () => {
  it('reports the version, files and bytes it saved as a typed result', async () => {
    const { dir, config, stateDir } = leftOnDisk();
    const relay = await relayDouble(path.join(dir, 'store.sock'));
    try {
      assert.equal(await runOnce(config), 0);
      const result = await readOfflineSaveResult(path.join(stateDir, OFFLINE_SAVE_RESULT_FILE));
      const bytes = 'console.log(1)\n'.length + 'export {};\n'.length;
      assert.deepEqual(result, { ok: true, version: 1, files: 2, bytes });
      assert.equal(relay.manifest().version, 1, 'the store has it');
    } finally {
      relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports why when the store refuses the save, and exits non-zero', async () => {
    const { dir, config, stateDir } = leftOnDisk();
    const relay = await relayDouble(path.join(dir, 'store.sock'), { refuseCommit: true });
    try {
      assert.notEqual(await runOnce(config), 0);
      const result = await readOfflineSaveResult(path.join(stateDir, OFFLINE_SAVE_RESULT_FILE));
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.error, /the store is down/);
    } finally {
      relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reading the result (the runtime side: the folder is the repl user’s)', () => {
  it('never follows a link, and says when there is no result or a malformed one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-offline-result-'));
    try {
      const file = path.join(dir, OFFLINE_SAVE_RESULT_FILE);
      assert.deepEqual(await readOfflineSaveResult(file), { ok: false, error: 'the agent ended without reporting a result' });
      const elsewhere = path.join(dir, 'elsewhere.json');
      fs.writeFileSync(elsewhere, JSON.stringify({ ok: true, version: 1, files: 1, bytes: 1 }));
      fs.symlinkSync(elsewhere, file);
      assert.equal((await readOfflineSaveResult(file)).ok, false, 'a link is not followed');
      fs.rmSync(file);
      fs.writeFileSync(file, JSON.stringify({ ok: true, version: 'one', files: 1, bytes: 1 }));
      const malformed = await readOfflineSaveResult(file);
      assert.match(malformed.ok ? '' : malformed.error, /version must be a whole number/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
