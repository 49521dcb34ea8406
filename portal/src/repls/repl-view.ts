import type { AppState, SyncStatus } from '@codeyard/common/agent/protocol';
import { describeError } from '@codeyard/common/errors';
import type { QueuePlace } from '../capacity/capacity-gate.js';
import type { Runtime } from '../runtime/runtime.js';
import type { SandboxUsage } from '../runtime/usage.js';
import { listedPorts } from './preview-ports.js';
import type { ReplLinks } from './repl-links.js';
import type { ReplRecord, ReplView } from './repl-record.js';

/** What a view asks a running repl's agent. */
export interface AgentState {
  sync(): Promise<SyncStatus>;
  app(): Promise<AppState>;
}

/** What the capacity gate knows of a repl: its place in line, what it used at the last reading. */
export interface CapacityState {
  position(id: string): QueuePlace | undefined;
  usageOf(id: string): SandboxUsage | undefined;
}

/** How a repl looks to its owner now: its record, the runtime's status and what its agent says. */
export async function replView(record: ReplRecord, runtime: Runtime, links: ReplLinks, agent: (id: string) => AgentState, capacity?: CapacityState): Promise<ReplView> {
  const status = runtime.status(record.id);
  const queue = capacity?.position(record.id);
  const usage = status.state === 'stopped' ? undefined : capacity?.usageOf(record.id);
  return {
    id: record.id,
    name: record.name,
    stack: record.stack,
    status: status.state,
    ...(status.step ? { step: status.step } : {}),
    ...(status.error ? { error: status.error } : {}),
    app: await appState(record.id, runtime, agent),
    sync: await syncState(record.id, runtime, agent),
    ideUrl: links.ideOrigin(record.id) + '/',
    previewUrl: links.previewOrigin(record.id, record.manifest.port) + '/',
    port: record.manifest.port,
    ports: listedPorts(record).map((p) => ({ ...p, url: links.previewOrigin(record.id, p.port) + '/' })),
    createdAt: record.createdAt,
    ...(record.origin?.forkOf ? { forkOf: record.origin.forkOf } : {}),
    alwaysOn: !!record.alwaysOn,
    ...(record.memoryMb ? { memoryLimitMb: record.memoryMb } : {}),
    ...(queue ? { queue } : {}),
    ...(usage?.memoryBytes !== undefined ? { usage: { memoryBytes: usage.memoryBytes, ...(usage.cpuPercent !== undefined ? { cpuPercent: usage.cpuPercent } : {}) } } : {}),
  };
}

/** The app's state: not running while the repl is stopped or its agent does not answer. */
export async function appState(id: string, runtime: Runtime, agent: (id: string) => AgentState): Promise<AppState> {
  if (!runtime.endpoints(id)) return { running: false };
  try {
    return await agent(id).app();
  } catch {
    return { running: false };
  }
}

async function syncState(id: string, runtime: Runtime, agent: (id: string) => AgentState): Promise<ReplView['sync']> {
  const status = runtime.status(id);
  if (status.unsaved) return { state: 'degraded', pending: 0, reason: status.error, version: 0 };
  if (!runtime.endpoints(id)) return { state: 'stored', pending: 0 };
  try {
    return await agent(id).sync();
  } catch (err) {
    return { state: 'degraded', pending: 0, reason: `the repl agent does not answer (${describeError(err)})`, version: 0 };
  }
}
