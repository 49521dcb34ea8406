import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { createGateServer } from '@codeyard/agent/gate-server';
import { RelayClient } from '@codeyard/agent/sync/store-client';
import { SyncEngine } from '@codeyard/agent/sync/sync-engine';
import { type AgentConfig, type AgentSyncConfig, parseActivateRequest, parseAgentConfig } from '@codeyard/common/agent/config';
import { POD_LAYOUT } from '../../src/runtime/kubernetes/pod-layout.js';
import type { KubeApiDouble, KubeObject } from './kube-api-double.js';

/** Marks every exec answer of the fake, so no test mistakes it for a command's real output. */
export const FAKE_POD_EXEC_MARK = '[fake pod agent]';

/** What the fake pod's stand-in for code-server answers, with the path it was asked for. */
export const FAKE_IDE_MARK = 'fake code-server of pod';

/** One fake pod agent: what a test can look at. */
export interface FakeAgent {
  name: string;
  ip: string;
  config: AgentConfig;
  /** The pod's workspace (a temporary folder standing in for its emptyDir). */
  workspace: string;
  engine?: SyncEngine;
  flushes: number;
  quiesces: number;
  activations: number;
  /** Saved on the kubelet's SIGTERM (the graceful delete). */
  terminated: boolean;
  close(): Promise<void>;
}

/**
 * Stand-ins for the agents of pods on the Kubernetes API double, where no pod really runs (the
 * pod itself runs for real under `podman kube play` in the images' tests). For each pod the
 * driver makes, it reads the agent config from the pod's Secret in the double, serves the REAL
 * gate (agent/src/gate-server.ts: the same secret check) on a loopback address of the pod's own
 * (127.x.y.z, the pod's "IP", at the pod's gate port), and behind it a fake control API built on
 * the agent's real sync engine: it restores the workspace through the portal's network relay with
 * the pod's own credential, saves on /sync/flush, and once more when the double's graceful delete
 * stands in for SIGTERM. Health, quiesce and exec are canned (exec marked {@link FAKE_POD_EXEC_MARK}),
 * the app log stream sends one frame, and "VS Code" is a server on the pod's IDE socket that
 * answers {@link FAKE_IDE_MARK} (HTTP and WebSocket), so the proxy's way in can be followed.
 */
export class FakePodAgents {
  readonly agents = new Map<string, FakeAgent>();
  readonly #double: KubeApiDouble;
  readonly #net = 100 + Math.floor(Math.random() * 100);
  #next = 1;
  /** When set, pods come up Running but their agent never answers (a pod that is not ready). */
  silent = false;

  constructor(double: KubeApiDouble) {
    this.#double = double;
    double.autoRun = (pod) => {
      void this.run(pod).catch((err: unknown) => process.stderr.write(`fake pod agent for ${pod.metadata.name} failed: ${String(err)}\n`));
      return undefined;
    };
    double.onPodDelete = async (pod) => {
      const agent = this.agents.get(pod.metadata.name);
      if (!agent) return;
      // The kubelet's SIGTERM: the agent saves what is left, then ends.
      if (agent.engine) await agent.engine.flush().catch(() => undefined);
      agent.terminated = true;
      await agent.close();
    };
  }

  /** Starts the agent of `pod` and marks the pod Running at its address. */
  async run(pod: KubeObject): Promise<FakeAgent> {
    const name = pod.metadata.name;
    const namespace = pod.metadata.namespace!;
    const secret = this.#double.get('secrets', namespace, name);
    const data = (secret?.data as Record<string, string> | undefined)?.[POD_LAYOUT.configKey];
    if (!data) throw new Error(`no Secret with the agent config for ${name}`);
    const config = parseAgentConfig(JSON.parse(Buffer.from(data, 'base64').toString('utf8')));
    const ip = `127.${this.#net}.${Math.floor(this.#next / 250)}.${(this.#next++ % 250) + 2}`;
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-fakepod-'));
    const workspace = path.join(base, 'workspace');
    fs.mkdirSync(workspace);
    const agent: FakeAgent = { name, ip, config, workspace, flushes: 0, quiesces: 0, activations: 0, terminated: false, close: async () => undefined };
    const startSync = async (sync: AgentSyncConfig): Promise<void> => {
      agent.engine = new SyncEngine({ workspace, stateDir: path.join(base, 'state'), remote: new RelayClient(sync), debounceMs: 50, scanIntervalMs: 60_000 });
      fs.mkdirSync(path.join(base, 'state'), { recursive: true });
      await agent.engine.prepare();
      agent.engine.start();
    };
    const control = http.createServer((req, res) => void this.#control(agent, startSync, req, res));
    const logs = new WebSocketServer({ noServer: true });
    control.on('upgrade', (req, socket, head) => {
      if (req.url !== '/app/logs') return void socket.destroy();
      logs.handleUpgrade(req, socket, head, (client) => client.send(JSON.stringify({ type: 'output', stream: 'stdout', data: `log of ${name}\n`, at: new Date().toISOString() })));
    });
    const ideSocket = path.join(base, 'ide.sock');
    const ide = http.createServer((req, res) => res.end(`${FAKE_IDE_MARK} ${name} saw ${req.url}`));
    const ideSockets = new WebSocketServer({ server: ide });
    ideSockets.on('connection', (client) => client.send(`${FAKE_IDE_MARK} ${name}`));
    await new Promise<void>((resolve) => ide.listen(ideSocket, resolve));
    const gate = createGateServer({ secret: config.gate!.secret, control, ideSocket, reservedPorts: new Set([config.gate!.port]) });
    await new Promise<void>((resolve, reject) => gate.once('error', reject).listen(config.gate!.port, ip, () => resolve()));
    agent.close = async () => {
      await agent.engine?.stop();
      gate.close();
      control.closeAllConnections();
      ide.close();
      ide.closeAllConnections();
      for (const client of [...logs.clients, ...ideSockets.clients]) client.terminate();
    };
    this.agents.set(name, agent);
    if (config.sync) await startSync(config.sync);
    this.#double.markRunning(namespace, name, ip);
    return agent;
  }

  async #control(agent: FakeAgent, startSync: (sync: AgentSyncConfig) => Promise<void>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (this.silent) return void res.destroy();
    const route = `${req.method} ${req.url}`;
    try {
      if (route === 'GET /healthz') return json(200, { ok: true, app: { running: false }, ide: { state: 'running' }, sync: agent.engine?.status });
      if (route === 'GET /sync') return agent.engine ? json(200, agent.engine.status) : json(404, { error: { code: 'NOT_FOUND', message: 'no sync' } });
      if (route === 'POST /sync/flush') {
        agent.flushes++;
        return json(200, agent.engine ? await agent.engine.flush() : { state: 'synced', pending: 0, version: 0 });
      }
      if (route === 'POST /quiesce') {
        agent.quiesces++;
        return json(200, { ended: 0, left: [] });
      }
      if (route === 'POST /activate') {
        const request = parseActivateRequest(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        agent.activations++;
        await startSync(request.sync);
        return json(200, agent.engine!.status);
      }
      if (route === 'POST /exec') {
        const { command } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { command: string };
        return json(200, { exitCode: 0, signal: null, stdout: `${FAKE_POD_EXEC_MARK} ${command}\n`, stderr: '', timedOut: false, truncated: false, durationMs: 0 });
      }
      json(404, { error: { code: 'NOT_FOUND', message: `the fake pod agent has no ${route}` } });
    } catch (err) {
      json(503, { error: { code: 'UNAVAILABLE', message: String(err) } });
    }
  }

  /** Can a plain TCP connection reach the pod's gate (while its agent runs)? */
  static reachable(ip: string): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(POD_LAYOUT.gatePort, ip);
      socket.once('connect', () => resolve(!!socket.destroy()));
      socket.once('error', () => resolve(false));
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
  }
}
