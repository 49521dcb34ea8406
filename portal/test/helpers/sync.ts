import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { RelayClient } from '@codeyard/agent/sync/store-client';
import { SyncEngine, type SyncOptions } from '@codeyard/agent/sync/sync-engine';
import { createWorkspaceRelay, listenRelay, type RelayOptions } from '../../src/store/workspace-relay.js';
import type { WorkspaceStore } from '../../src/store/workspace-store.js';

export interface RelayHandle {
  socketPath: string;
  server: http.Server;
  close(): Promise<void>;
}

/** A workspace relay for one prefix on a socket in a fresh temporary folder. */
export async function startRelay(workspaces: WorkspaceStore, prefix: string, extra: Partial<RelayOptions> = {}): Promise<RelayHandle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-relay-'));
  const socketPath = path.join(dir, 'store.sock');
  const server = createWorkspaceRelay({ workspaces, prefix, quotaBytes: 256 * 1024 * 1024, ...extra });
  await listenRelay(server, socketPath);
  return {
    socketPath,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A sync engine (the agent's own code, in this process) on a new workspace and state folder; `relay` is a relay socket, or a network relay's URL and credential. */
export function newEngine(relay: string | { url: string; token: string }, options: Partial<SyncOptions> = {}): { engine: SyncEngine; workspace: string; stateDir: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-sync-'));
  const workspace = options.workspace ?? path.join(base, 'workspace');
  const stateDir = options.stateDir ?? path.join(base, 'state');
  fs.mkdirSync(workspace, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const engine = new SyncEngine({ remote: new RelayClient(relay), debounceMs: 100, scanIntervalMs: 60_000, ...options, workspace, stateDir });
  return { engine, workspace, stateDir };
}

/** Every file under `dir` (links as `-> target`, folders as `/`), for comparing trees. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, child);
      if (entry.isSymbolicLink()) out[child] = `-> ${fs.readlinkSync(full)}`;
      else if (entry.isDirectory()) {
        out[`${child}/`] = '';
        walk(child);
      } else {
        const mode = fs.statSync(full).mode & 0o111 ? 'x ' : '';
        out[child] = mode + createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 16);
      }
    }
  };
  walk('');
  return out;
}
