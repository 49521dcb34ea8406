import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogFrame } from '@codeyard/common/agent/protocol';
import { appView, BacklogFilter, frameText, replInfoFromEnv, replLabel, runStarted, syncView, terminalVariables, toTerminalText, unsavedEditorsView } from '../src/present.js';

const out = (data: string, at: string, stream: 'stdout' | 'stderr' | 'system' = 'stdout'): LogFrame => ({ type: 'output', stream, data, at });

describe('log frames to terminal text', () => {
  it('turns LF into CR LF and leaves CR LF and colours alone', () => {
    assert.equal(toTerminalText('a\nb\r\nc\n'), 'a\r\nb\r\nc\r\n');
    assert.equal(toTerminalText('\u001b[32mok\u001b[0m\n'), '\u001b[32mok\u001b[0m\r\n');
    assert.equal(toTerminalText('progress\r50%'), 'progress\r50%');
  });

  it('prints output frames of every stream and nothing for state frames', () => {
    assert.equal(frameText(out('listening\n', '2025-01-01T00:00:00.000Z')), 'listening\r\n');
    assert.equal(frameText(out('oops\n', '2025-01-01T00:00:00.000Z', 'stderr')), 'oops\r\n');
    assert.equal(frameText({ type: 'state', app: { running: true } }), '');
  });

  it('skips the replayed backlog after a reconnect, counting frames that share a timestamp', () => {
    const f = new BacklogFilter();
    const t1 = '2025-01-01T00:00:01.000Z';
    const t2 = '2025-01-01T00:00:02.000Z';
    const t3 = '2025-01-01T00:00:03.000Z';
    assert.equal(f.accept(out('a', t1)), true);
    assert.equal(f.accept(out('b', t2)), true);
    assert.equal(f.accept(out('c', t2)), true);
    f.reconnected();
    assert.equal(f.accept({ type: 'state', app: { running: true } }), true);
    assert.equal(f.accept(out('a', t1)), false);
    assert.equal(f.accept(out('b', t2)), false);
    assert.equal(f.accept(out('c', t2)), false);
    assert.equal(f.accept(out('d', t2)), true, 'a third frame at t2 is new');
    assert.equal(f.accept(out('e', t3)), true);
    // A restarted agent has an empty backlog: the first frame is new.
    f.reconnected();
    assert.equal(f.accept(out('f', '2025-01-01T00:00:04.000Z')), true);
  });
});

describe('app state to controls', () => {
  it('shows Run while stopped, and Stop app with Restart while running, with the context key', () => {
    assert.deepEqual(appView({ running: false }, true), { running: false, text: '▶ Run', tooltip: 'Run the app', command: 'codeyard.run' });
    const running = appView({ running: true, pid: 7, command: 'node index.js', startedAt: '2025-01-01T00:00:00Z' }, true);
    assert.equal(running.running, true);
    assert.equal(running.text, '■ Stop app');
    assert.equal(running.command, 'codeyard.stop');
    assert.match(running.tooltip, /node index\.js/);
    assert.match(running.tooltip, /the repl keeps running/, 'Stop app is not Stop repl');
    assert.equal(running.restart?.text, '$(debug-restart)');
    assert.match(running.restart?.tooltip ?? '', /Restart the app.*Ctrl\+Shift\+F5/);
  });

  it('says how the last run ended', () => {
    assert.match(appView({ running: false, exitedAt: 'x', exitCode: 1, signal: null }, true).tooltip, /exited with code 1/);
    assert.match(appView({ running: false, exitedAt: 'x', exitCode: null, signal: 'SIGKILL' }, true).tooltip, /ended by SIGKILL/);
    assert.match(appView({ running: false, exitedAt: 'x', stopped: true, signal: 'SIGTERM' }, true).tooltip, /stopped/);
  });

  it('offers Run (not Stop) while the agent is out of reach', () => {
    const view = appView({ running: true }, false);
    assert.equal(view.running, false);
    assert.match(view.tooltip, /Connecting/);
    assert.equal(appView(undefined, true).command, 'codeyard.run');
  });

  it('tells a new run from a repeated state', () => {
    assert.equal(runStarted(undefined, { running: true, startedAt: 'a' }), true);
    assert.equal(runStarted({ running: false }, { running: true, startedAt: 'a' }), true);
    assert.equal(runStarted({ running: true, startedAt: 'a' }, { running: true, startedAt: 'a' }), false);
    assert.equal(runStarted({ running: true, startedAt: 'a' }, { running: true, startedAt: 'b' }), true);
    assert.equal(runStarted({ running: true, startedAt: 'a' }, { running: false }), false);
  });
});

describe('sync status to status bar', () => {
  it('says Saved, Saving N, Not saved: reason', () => {
    assert.equal(syncView({ state: 'synced', pending: 0, version: 3, lastSyncAt: '2025-01-01T00:00:00Z' })?.text, '$(cloud) Saved');
    assert.equal(syncView({ state: 'pending', pending: 4, version: 3 })?.text, '$(sync~spin) Saving 4');
    assert.equal(syncView({ state: 'syncing', pending: 0, version: 3 })?.text, '$(sync~spin) Saving');
    assert.equal(syncView({ state: 'degraded', pending: 2, version: 3, reason: 'the store is full' })?.text, '$(warning) Not saved: the store is full');
    assert.equal(syncView({ state: 'restoring', pending: 0, version: 0, restore: { done: 5, total: 9 } })?.text, '$(sync~spin) Restoring 5/9');
    assert.equal(syncView(undefined), undefined);
  });

  it('shortens a long reason in the text and keeps it whole in the tooltip', () => {
    const reason = 'connect ECONNREFUSED /run/codeyard-store/store.sock while saving src/very/long/path.js';
    const view = syncView({ state: 'degraded', pending: 1, version: 1, reason })!;
    assert.ok(view.text.length <= 72, view.text);
    assert.ok(view.text.endsWith('…'));
    assert.ok(view.tooltip.includes(reason));
  });
});

describe('editors VS Code could not save', () => {
  it('say so, naming them, and nothing when every editor is saved', () => {
    assert.equal(unsavedEditorsView([]), undefined);
    assert.equal(unsavedEditorsView(['index.js'])?.text, '$(warning) Not saved: index.js');
    const many = unsavedEditorsView(['a.js', 'b.js', 'src/c.js'])!;
    assert.equal(many.text, '$(warning) Not saved: a.js, b.js +1');
    assert.match(many.tooltip, /a\.js, b\.js, src\/c\.js/);
    assert.match(many.tooltip, /Compare or Overwrite/);
  });
});

describe('repl info from the environment', () => {
  it('reads the CODEYARD_ variables, and nothing outside a repl', () => {
    assert.equal(replInfoFromEnv({}), undefined);
    const info = replInfoFromEnv({ CODEYARD_AGENT_SOCKET: '/run/codeyard/agent.sock', CODEYARD_REPL_ID: 'abcdefghijkl', CODEYARD_REPL_NAME: 'My repl', CODEYARD_STACK: 'node', CODEYARD_APP_PORT: '3000', CODEYARD_PREVIEW_URL: 'http://abc-3000.localhost:8080/' });
    assert.deepEqual(info, { socket: '/run/codeyard/agent.sock', replId: 'abcdefghijkl', name: 'My repl', stack: 'node', port: 3000, previewUrl: 'http://abc-3000.localhost:8080/' });
    assert.equal(replInfoFromEnv({ CODEYARD_AGENT_SOCKET: '/s', CODEYARD_APP_PORT: 'x' })?.port, 0);
    assert.deepEqual(replLabel(info!).text, '$(home) Codeyard: My repl · node');
    assert.match(replLabel(info!).tooltip, /abc-3000/);
  });
});

describe("new terminals' variables (from the repl the agent serves)", () => {
  const repl = { replId: 'abcdefghijkl', name: 'From the pool', stack: 'node', port: 3000, previewUrl: 'http://abcdefghijkl-3000.localhost:8080/', portalUrl: 'http://localhost:8080/' };

  it("in a code-server started ahead in the warm pool: the repl's id, name and preview, as a repl started cold has them", () => {
    // What the agent gave code-server before any repl existed.
    const warm = { CODEYARD_AGENT_SOCKET: '/run/codeyard/agent.sock', CODEYARD_REPL_NAME: '', CODEYARD_STACK: 'node', CODEYARD_APP_PORT: '3000', CODEYARD_PREVIEW_URL: '', PORT: '3000' };
    const added = terminalVariables(repl, warm);
    assert.deepEqual(added, { CODEYARD_REPL_ID: 'abcdefghijkl', CODEYARD_REPL_NAME: 'From the pool', CODEYARD_PREVIEW_URL: 'http://abcdefghijkl-3000.localhost:8080/', CODEYARD_PORTAL_URL: 'http://localhost:8080/' });
    // A terminal's environment then describes the repl exactly as code-server's does in a cold one.
    assert.deepEqual(replInfoFromEnv({ ...warm, ...added }), { socket: '/run/codeyard/agent.sock', ...repl });
  });

  it('adds nothing where code-server already had them all (a repl started cold)', () => {
    const cold = { CODEYARD_AGENT_SOCKET: '/s', CODEYARD_REPL_ID: 'abcdefghijkl', CODEYARD_REPL_NAME: 'From the pool', CODEYARD_STACK: 'node', CODEYARD_APP_PORT: '3000', CODEYARD_PREVIEW_URL: 'http://abcdefghijkl-3000.localhost:8080/', CODEYARD_PORTAL_URL: 'http://localhost:8080/' };
    assert.deepEqual(terminalVariables(repl, cold), {});
  });
});
