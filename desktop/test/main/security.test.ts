import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CHANNELS_BY_ROLE, INVOKE_CHANNELS } from '../../src/shared/ipc-channels.js';
import { checkCaller, registerIpc, type IpcHandlers, type IpcInvokeEventLike } from '../../src/main/ipc.js';
import { serverHosts, type NavigationContext } from '../../src/main/navigation-policy.js';
import { appPagePreferences, remotePagePreferences } from '../../src/main/web-preferences.js';
import { refuseCertificateErrors, secureSession, secureWebContents } from '../../src/main/web-security.js';
import { WebContentsDouble } from '../helpers/doubles.js';

const ID = 'abcdefghijkl';
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const ide: NavigationContext = { view: 'ide', server: serverHosts('http://localhost:8080'), replId: ID };

function actionsLog() {
  const done: string[] = [];
  return { done, actions: { openExternal: (u: string) => done.push(`external ${u}`), openRepl: (r: string, p?: number) => done.push(`repl ${r} ${p ?? ''}`.trim()), showPreview: (u: string) => done.push(`preview ${u}`), log: (m: string) => done.push(`log ${m}`) } };
}

describe('every view: contextIsolation, sandbox, no Node', () => {
  it('sets the checklist\'s webPreferences on app pages and remote pages alike', () => {
    for (const prefs of [appPagePreferences('/p.cjs'), remotePagePreferences('persist:x')]) {
      assert.equal(prefs.contextIsolation, true);
      assert.equal(prefs.sandbox, true);
      assert.equal(prefs.nodeIntegration, false);
      assert.equal(prefs.nodeIntegrationInSubFrames, false);
      assert.equal(prefs.nodeIntegrationInWorker, false);
      assert.equal(prefs.webSecurity, true);
      assert.equal(prefs.allowRunningInsecureContent, false);
      assert.equal(prefs.webviewTag, false);
    }
    assert.equal('preload' in remotePagePreferences('persist:x'), false, 'remote pages get no preload');
  });

  it('has a preload that loads nothing but electron and hands out functions, not ipcRenderer', () => {
    const compiled = fs.readFileSync(path.join(DIST, 'preload/preload.cjs'), 'utf8');
    assert.deepEqual([...compiled.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]), ['electron']);
    assert.match(compiled, /exposeInMainWorld\('codeyard', bridge\)/);
    assert.doesNotMatch(compiled, /exposeInMainWorld\([^)]*ipcRenderer/);
    // Every channel the preload names is one of the shared list's.
    const named = new Set([...compiled.matchAll(/'((?:servers|auth|repl|toolbar|splitter|connection|preferences|push):[a-z-]+)'/g)].map((m) => m[1]));
    const known = new Set<string>([...Object.values(INVOKE_CHANNELS), 'push:servers', 'push:sign-in', 'push:connection', 'push:toolbar', 'push:prompt']);
    for (const channel of named) assert.ok(known.has(channel!), channel);
  });
});

describe('navigation and window.open on a webContents', () => {
  it('denies window.open always, and does what the policy says instead', () => {
    const wc = new WebContentsDouble(1);
    const { done, actions } = actionsLog();
    secureWebContents(wc, () => ide, actions);
    assert.deepEqual(wc.windowOpenHandler!({ url: 'https://example.com/' }), { action: 'deny' });
    assert.deepEqual(wc.windowOpenHandler!({ url: `http://${ID}-3000.localhost:8080/` }), { action: 'deny' });
    assert.deepEqual(wc.windowOpenHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
    assert.deepEqual(done.slice(0, 2), ['external https://example.com/', `preview http://${ID}-3000.localhost:8080/`]);
    assert.match(done[2]!, /^log window.open refused/);
  });

  it('stops navigations and redirects off the server, in the main frame and in subframes', () => {
    const wc = new WebContentsDouble(1);
    const { done, actions } = actionsLog();
    secureWebContents(wc, () => ide, actions);
    assert.equal(wc.navigate('will-frame-navigate', `http://${ID}.localhost:8080/`), false, 'own host: allowed');
    assert.equal(wc.navigate('will-frame-navigate', 'https://evil.example/'), true);
    assert.equal(wc.navigate('will-redirect', 'https://evil.example/'), true);
    assert.equal(wc.navigate('will-frame-navigate', 'https://evil.example/frame', false), true);
    assert.deepEqual(done.slice(0, 2), ['external https://evil.example/', 'external https://evil.example/']);
    assert.match(done[2]!, /subframe to https:\/\/evil.example\/frame refused/);
    let prevented = false;
    wc.emit('will-attach-webview', { preventDefault: () => (prevented = true) });
    assert.ok(prevented, 'no <webview>');
  });
});

describe('permissions per session', () => {
  it('answers requests and checks through the policy, and nothing for a webContents the app did not make', () => {
    let request!: (wc: { id: number }, p: string, cb: (g: boolean) => void, d: { requestingUrl?: string }) => void;
    let check!: (wc: { id: number } | null, p: string, origin: string, d: unknown) => boolean;
    let device!: (d: unknown) => boolean;
    secureSession({ setPermissionRequestHandler: (h) => (request = h!), setPermissionCheckHandler: (h) => (check = h!), setDevicePermissionHandler: (h) => (device = h!) }, (id) => (id === 7 ? ide : undefined));
    const asked = (id: number, p: string, url: string) => {
      let granted: boolean | undefined;
      request({ id }, p, (g) => (granted = g), { requestingUrl: url });
      return granted;
    };
    assert.equal(asked(7, 'clipboard-read', `http://${ID}.localhost:8080/`), true);
    assert.equal(asked(7, 'media', `http://${ID}.localhost:8080/`), false);
    assert.equal(asked(8, 'clipboard-read', `http://${ID}.localhost:8080/`), false);
    assert.equal(check({ id: 7 }, 'clipboard-sanitized-write', `http://${ID}.localhost:8080`, {}), true);
    assert.equal(check(null, 'clipboard-read', `http://${ID}.localhost:8080`, {}), false);
    assert.equal(device({}), false);
  });
});

describe('certificate errors', () => {
  it('are never ignored: the callback says no and the default is not prevented', () => {
    const app = new EventEmitter();
    const logs: string[] = [];
    refuseCertificateErrors(app, (m) => logs.push(m));
    let prevented = false;
    let trusted: boolean | undefined;
    app.emit('certificate-error', { preventDefault: () => (prevented = true) }, {}, 'https://self-signed.example/', 'net::ERR_CERT_AUTHORITY_INVALID', {}, (t: boolean) => (trusted = t));
    assert.equal(trusted, false);
    assert.equal(prevented, false);
    assert.match(logs[0]!, /ERR_CERT_AUTHORITY_INVALID\): refused/);
  });

  it('and no code of the app turns certificate checks off', () => {
    const sources = fs.readdirSync(path.resolve(DIST, '../../src/main')).map((f) => fs.readFileSync(path.resolve(DIST, '../../src/main', f), 'utf8'));
    for (const text of sources) {
      assert.doesNotMatch(text, /ignore-certificate-errors|setCertificateVerifyProc|rejectUnauthorized:\s*false|NODE_TLS_REJECT_UNAUTHORIZED/);
    }
  });
});

describe('IPC: channel allow-list and sender checks', () => {
  const frame = (url: string, parent: unknown = null) => ({ url, parent });
  const event = (id: number, url: string, parent: unknown = null): IpcInvokeEventLike => ({ sender: { id }, senderFrame: frame(url, parent) });
  const roles = (id: number) => (({ 1: 'home', 2: 'toolbar', 3: 'splitter' }) as const)[id as 1 | 2 | 3];

  it('lets each app page call its own channels only', () => {
    assert.deepEqual(checkCaller(INVOKE_CHANNELS.replOpen, event(1, 'codeyard-app://app/'), roles), { webContentsId: 1, role: 'home' });
    assert.equal(typeof checkCaller(INVOKE_CHANNELS.toolbarAction, event(1, 'codeyard-app://app/'), roles), 'string');
    assert.equal(typeof checkCaller(INVOKE_CHANNELS.signOut, event(2, 'codeyard-app://app/toolbar'), roles), 'string');
    assert.ok(CHANNELS_BY_ROLE.splitter.every((c) => c === INVOKE_CHANNELS.splitterDrag));
  });

  it('refuses webContents it does not know, subframes, and pages that navigated elsewhere', () => {
    assert.match(checkCaller(INVOKE_CHANNELS.serversList, event(9, 'codeyard-app://app/'), roles) as string, /not one of the app's pages/);
    assert.match(checkCaller(INVOKE_CHANNELS.serversList, event(1, 'codeyard-app://app/', {}), roles) as string, /subframe/);
    assert.match(checkCaller(INVOKE_CHANNELS.serversList, event(1, 'https://evil.example/'), roles) as string, /not an app page/);
    assert.match(checkCaller(INVOKE_CHANNELS.serversList, event(1, 'codeyard-app://other/'), roles) as string, /not an app page/);
    assert.match(checkCaller(INVOKE_CHANNELS.serversList, { sender: { id: 1 }, senderFrame: null }, roles) as string, /gone/);
  });

  it('registers every channel behind the checks, and checks the arguments\' shape', async () => {
    const registered = new Map<string, (e: IpcInvokeEventLike, ...a: unknown[]) => unknown>();
    const calls: string[] = [];
    const handlers = Object.fromEntries(Object.values(INVOKE_CHANNELS).map((c) => [c, (_caller: unknown, ...args: unknown[]) => calls.push(`${c} ${JSON.stringify(args)}`)])) as unknown as IpcHandlers;
    const logs: string[] = [];
    registerIpc({ handle: (c, l) => registered.set(c, l) }, handlers, roles, (m) => logs.push(m));
    assert.deepEqual([...registered.keys()].sort(), Object.values(INVOKE_CHANNELS).sort());
    const call = (c: string, e: IpcInvokeEventLike, ...a: unknown[]) => Promise.resolve().then(() => registered.get(c)!(e, ...a));
    await call(INVOKE_CHANNELS.replOpen, event(1, 'codeyard-app://app/'), ID, 3000);
    await assert.rejects(call(INVOKE_CHANNELS.replOpen, event(1, 'codeyard-app://app/'), '../x'), /bad arguments/);
    await assert.rejects(call(INVOKE_CHANNELS.replOpen, event(1, 'codeyard-app://app/'), ID, 70000), /bad arguments/);
    await assert.rejects(call(INVOKE_CHANNELS.toolbarAction, event(2, 'codeyard-app://app/toolbar'), 'rm -rf'), /bad arguments/);
    await assert.rejects(call(INVOKE_CHANNELS.preferencesSet, event(1, 'codeyard-app://app/'), { checkForUpdates: true, x: 1 }), /bad arguments/);
    await assert.rejects(call(INVOKE_CHANNELS.signOut, event(2, 'codeyard-app://app/toolbar'), 'http://localhost:8080'), /may not use auth:sign-out/);
    assert.deepEqual(calls, [`repl:open ["${ID}",3000]`]);
    assert.equal(logs.length, 5);
  });
});
