import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Repl } from '@codeyard/common/api/models';
import { replView } from '../helpers/repl-view.js';
import { applicationMenu, replMenu, trayMenu, trayTooltip } from '../../src/main/menus.js';
import { badgeOf, crashNotice, toolbarState, windowTitle } from '../../src/main/repl-state.js';

const idle = { previewOpen: false, previewDetached: false, busy: false };
const running = { running: true, command: 'npm start', pid: 9, startedAt: '2026-12-01T10:00:01.000Z' };

describe('toolbar and menu state follow the app, whoever pressed Run', () => {
  it('shows Run while the app is stopped and Stop while it runs', () => {
    const stopped = toolbarState(replView(), idle);
    assert.deepEqual([stopped.run.label, stopped.run.action, stopped.run.enabled, stopped.app.label], ['Run', 'run', true, 'Not running']);
    // Run pressed in VS Code: the event stream brings the new app state.
    const started = toolbarState(replView({ app: running }), idle);
    assert.deepEqual([started.run.label, started.run.action, started.app.label, started.preview.enabled], ['Stop app', 'stop', 'Running: npm start', true]);
    assert.equal(toolbarState(replView(), { ...idle, busy: true }).run.enabled, false, 'no double press while a call is out');
    assert.equal(toolbarState(replView({ status: 'stopping' }), idle).run.enabled, false);
    assert.equal(toolbarState(replView({ status: 'stopped', queue: { position: 2, of: 3 } }), idle).statusLabel, 'Waiting for room (#2)');
  });

  it('builds the Repl menu from the same state', () => {
    const menu = replMenu(toolbarState(replView({ app: running }), { ...idle, previewOpen: true }));
    assert.deepEqual(
      menu.submenu!.filter((i) => i.label).map((i) => [i.label, i.enabled]),
      [['Stop app', true], ['Close Preview', true], ['Detach Preview', true], ['Open in Browser', true], ['Copy Preview URL', true]],
    );
    assert.ok(replMenu(undefined).submenu!.filter((i) => i.label).every((i) => i.enabled === false), 'no repl window in front: nothing to act on');
    const labels = applicationMenu(undefined, 'darwin').map((m) => m.label ?? m.role);
    assert.deepEqual(labels, ['appMenu', 'File', 'editMenu', 'Repl', 'View', 'windowMenu']);
    assert.equal(applicationMenu(undefined, 'linux')[0]!.label, 'File');
  });

  it('titles the window with the repl and its app', () => {
    assert.equal(windowTitle(replView({ app: running })), 'hello-node — Running: npm start · Codeyard');
    assert.equal(windowTitle(replView({ app: { running: false, exitedAt: '2026-12-01T10:01:00.000Z', exitCode: 1 } })), 'hello-node — Exited with code 1 · Codeyard');
    assert.equal(windowTitle(replView({ status: 'starting' })), 'hello-node — Starting · Codeyard');
  });

  it('badges the dock with the running apps, and a mark after a crash', () => {
    assert.deepEqual(badgeOf([replView({ app: running }), replView(), replView({ app: running })], 0), { count: 2, text: '2' });
    assert.deepEqual(badgeOf([replView()], 0), { count: 0, text: '' });
    assert.deepEqual(badgeOf([replView()], 1), { count: 1, text: '!' });
  });
});

describe('crash notifications', () => {
  const ended = (app: Repl['app'], status: Repl['status'] = 'running') => crashNotice(replView({ app: running }), replView({ app, status }));
  it('tell when the app ended by itself', () => {
    assert.deepEqual(ended({ running: false, exitedAt: 'x', exitCode: 1 }), { title: 'hello-node: the app crashed', body: 'The app exited with code 1.' });
    assert.match(ended({ running: false, exitedAt: 'x', exitCode: null, signal: 'SIGKILL' })!.body, /ended by SIGKILL/);
    assert.match(ended({ running: false, exitedAt: 'x', exitCode: 1, restartAt: 'y' })!.body, /restarted shortly/);
    assert.match(ended({ running: false, exitedAt: 'x', exitCode: 1, gaveUp: 'crashed 5 times in 5 minutes' })!.body, /Not restarted: crashed 5 times/);
  });
  it('stay quiet for Stop, a clean exit, a stopping repl, or no change', () => {
    assert.equal(ended({ running: false, exitedAt: 'x', stopped: true, signal: 'SIGTERM' }), undefined);
    assert.equal(ended({ running: false, exitedAt: 'x', exitCode: 0 }), undefined);
    assert.equal(ended({ running: false, exitedAt: 'x', exitCode: null, signal: 'SIGTERM' }, 'stopping'), undefined);
    assert.equal(crashNotice(undefined, replView({ app: { running: false, exitCode: 1 } })), undefined);
    assert.equal(crashNotice(replView({ app: running }), replView({ app: running })), undefined);
  });
});

describe('tray', () => {
  it('lists the running repls by name, marks those whose app runs, and opens them', () => {
    const repls = [
      { server: 'http://localhost:8080', id: 'abcdefghijkl', name: 'zeta', running: true, appRunning: true },
      { server: 'https://codeyard.example.com', id: 'bcdefghijklm', name: 'alpha', running: true, appRunning: false },
      { server: 'http://localhost:8080', id: 'cdefghijklmn', name: 'stopped', running: false, appRunning: false },
    ];
    const menu = trayMenu(repls);
    assert.deepEqual(menu.slice(0, 4).map((i) => [i.id, i.label]), [[undefined, 'Running repls'], ['open:https://codeyard.example.com bcdefghijklm', 'alpha — codeyard.example.com'], ['open:http://localhost:8080 abcdefghijkl', '▶ zeta — localhost:8080'], [undefined, undefined]]);
    assert.equal(trayTooltip(repls), 'Codeyard — 1 app running');
    assert.equal(trayMenu([])[0]!.label, 'No repl running');
  });
});
