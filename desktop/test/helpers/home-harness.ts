import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { PushChannel } from '../../src/shared/ipc-channels.js';
import { Accounts } from '../../src/main/accounts.js';
import { createAppHandler } from '../../src/main/app-protocol.js';
import { abortableSleep } from '../../src/main/device-sign-in.js';
import { registerIpc, type IpcInvokeEventLike } from '../../src/main/ipc.js';
import { ipcHandlers } from '../../src/main/ipc-handlers.js';
import { PortalClient } from '../../src/main/portal-client.js';
import { ServerStore } from '../../src/main/server-store.js';
import { safeStorageDouble } from './doubles.js';
import { serveFetchHandler } from './fetch-server.js';

/** The built pages (npm run build makes them). */
export const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../ui');

/** The script that stands in for the preload in Chromium: the same `window.codeyard` shape, each call sent to the test's IPC handlers. */
const BRIDGE_SCRIPT = `(() => {
  const listeners = new Map();
  const call = (channel, ...args) => window.__codeyardInvoke(channel, args);
  window.codeyard = {
    servers: () => call('servers:list'),
    addServer: (u) => call('servers:add', u),
    removeServer: (u) => call('servers:remove', u),
    selectServer: (u) => call('servers:select', u),
    signIn: (u) => call('auth:sign-in', u),
    cancelSignIn: (u) => call('auth:cancel', u),
    signInAsGuest: (u) => call('auth:guest', u),
    signOut: (u) => call('auth:sign-out', u),
    openRepl: (id, port) => (port === undefined ? call('repl:open', id) : call('repl:open', id, port)),
    toolbarAction: (a) => call('toolbar:action', a),
    dragSplitter: (dx) => call('splitter:drag', dx),
    reconnectNow: () => call('connection:retry'),
    setPreferences: (p) => call('preferences:set', p),
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel).add(listener);
      return () => listeners.get(channel).delete(listener);
    },
  };
  window.__codeyardPush = (channel, payload) => listeners.get(channel)?.forEach((l) => l(payload));
})();`;

/**
 * The home window's main-process side, for Chromium: the real ServerStore (safeStorage double),
 * Accounts, IPC checks and handlers, and the app protocol's handler served over loopback HTTP
 * (where Electron would serve it as codeyard-app://app/). Only the transports differ: Playwright's
 * exposed function instead of Electron's IPC, HTTP instead of protocol.handle.
 */
export async function startHomeHarness(options: { server: string; uiDir: string }) {
  const store = new ServerStore({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'cy-desktop-home-')), safeStorage: safeStorageDouble() });
  store.add(options.server);
  const opened: Array<{ replId: string; port?: number }> = [];
  const external: string[] = [];
  const cleared: string[] = [];
  const pages = new Set<Page>();
  const push = (channel: PushChannel, payload: unknown) => {
    for (const page of pages) void page.evaluate(([c, p]) => (window as unknown as { __codeyardPush(c: string, p: unknown): void }).__codeyardPush(c as string, p), [channel, payload] as const).catch(() => undefined);
  };
  const client = new PortalClient({ server: options.server, token: () => store.token(options.server) });
  const accounts = new Accounts({
    store,
    clientFor: () => client,
    openExternal: async (url) => void external.push(url),
    clearPartition: async (p) => void cleared.push(p),
    hostName: 'test-host',
    sleep: abortableSleep,
    now: () => Date.now(),
    onProgress: (p) => push('push:sign-in', p),
    // As the app does: the home page loads again for the server whose sign-in changed.
    onChange: () => {
      for (const page of pages) void page.reload().catch(() => undefined);
    },
  });
  const registered = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => unknown>();
  const refused: string[] = [];
  registerIpc(
    { handle: (channel, listener) => registered.set(channel, listener) },
    ipcHandlers({
      store,
      accounts,
      openRepl: (replId, port) => void opened.push({ replId, port }),
      reloadHome: () => undefined,
      toolbarAction: () => undefined,
      dragSplitter: () => undefined,
      reconnectNow: () => undefined,
    }),
    (id) => (id === 1 ? 'home' : undefined),
    (m) => refused.push(m),
  );
  const served = await serveFetchHandler(
    createAppHandler({
      uiDir: options.uiDir,
      current: () => ({ client, signedIn: !!store.token(options.server) }),
      onOpen: (replId, port) => void opened.push({ replId, port }),
    }),
  );
  return {
    origin: served.origin,
    store,
    opened,
    external,
    cleared,
    refused,
    push,
    /** Makes `page` the home window: the bridge script before any of its own, calls through the IPC checks as webContents 1. */
    async attach(page: Page): Promise<void> {
      pages.add(page);
      await page.exposeFunction('__codeyardInvoke', async (channel: string, args: unknown[]) => {
        const handler = registered.get(channel);
        if (!handler) throw new Error(`no channel ${channel}`);
        return handler({ sender: { id: 1 }, senderFrame: { url: 'codeyard-app://app/', parent: null } }, ...args);
      });
      await page.addInitScript(BRIDGE_SCRIPT);
    },
    close: () => served.close(),
  };
}
