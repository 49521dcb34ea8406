import { EventEmitter } from 'node:events';
import type { AppState, ExecRequest, ExecResult, FileEntry, SyncStatus } from '@codeyard/common/agent/protocol';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError, describeError } from '@codeyard/common/errors';
import { ideHostname, originFor, previewHostname, type PublicOrigin } from '@codeyard/common/hostnames';
import { isReplId, newReplId } from '@codeyard/common/repl-id';
import { checkRelativePath } from '@codeyard/common/paths';
import type { GrantSigner } from '@codeyard/common/tickets';
import { type ArchiveFormat, detectArchiveFormat } from '../archive/archive.js';
import { importArchive } from '../archive/archive-import.js';
import { AgentClient } from '@codeyard/common/agent/client';
import type { ReplSpec, Runtime, RuntimeStatus } from '../runtime/runtime.js';
import { deletePrefix, type ObjectStore } from '../store/object-store.js';
import type { WorkspaceItem, WorkspaceStore } from '../store/workspace-store.js';
import { templatePrefix, type Template } from '../templates/catalog.js';
import type { StackManifest } from '../templates/manifest.js';
import { Admission } from './admission.js';
import { isPortPublic, listedPorts, type PortVisibility } from './preview-ports.js';

/** A repl as stored (`repls/<id>.json`). */
export interface ReplRecord {
  id: string;
  name: string;
  stack: string;
  owner: string;
  createdAt: string;
  templateVersion: string;
  /** The stack manifest as it was when the repl was made: a later template change does not move it. */
  manifest: StackManifest;
  /** Preview ports whose visibility the owner set (default: only the manifest's port is public). */
  ports?: Record<string, PortVisibility>;
  /** The repl this one was forked from, or `import` for an uploaded archive. */
  origin?: { forkOf?: string; imported?: boolean };
}

export type { PortVisibility };

/** What GET /api/events streams to an account. */
export type ReplEvent = { type: 'repl'; repl: ReplView } | { type: 'deleted'; id: string };

/** A repl as the API shows it. */
export interface ReplView {
  id: string;
  name: string;
  stack: string;
  status: RuntimeStatus['state'];
  step?: string;
  error?: string;
  app: AppState;
  /** Whether the store has the workspace as it is (synced), is catching up, or cannot (degraded). */
  sync: SyncStatus | { state: 'stored'; pending: 0; lastSyncAt?: string };
  ideUrl: string;
  previewUrl: string;
  port: number;
  /** The app port and every port whose visibility was set. */
  ports: Array<{ port: number; visibility: PortVisibility; url: string }>;
  createdAt: string;
  /** The repl this one is a fork of. */
  forkOf?: string;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  if (!trimmed || trimmed.length > 64 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new AppError('VALIDATION', 'name must be 1 to 64 printable characters');
  }
  return trimmed;
}

export interface ReplServiceOptions {
  store: ObjectStore;
  workspaces: WorkspaceStore;
  runtime: Runtime;
  templates: ReadonlyMap<string, Template>;
  signer: GrantSigner;
  publicOrigin: PublicOrigin;
  ticketTtlMs: number;
  /** Per-account limits; a stranger's anonymous account must not be able to fill the machine. */
  limits: { repls: number; running: number; workspaceBytes: number; importEntries: number; fileBytes: number };
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * What a person can do with repls, with ownership checked on every call: a repl of another
 * account is answered exactly like one that does not exist (404), so ids cannot be probed.
 *
 * Why this file is over 400 lines: every public method is one ownership-checked use case on the
 * same record cache and queues; the records move to the database with the foundation issue
 * (item 1), which takes records, files and links out into modules of their own (admission.ts
 * and preview-ports.ts are already out).
 */
export class ReplService {
  readonly #o: ReplServiceOptions;
  readonly #records = new Map<string, ReplRecord>();
  /**
   * Every change to a stored record goes through this queue per repl, reading the record inside
   * it: a rename racing a port change used to read the same old record and the last write undid
   * the other (issue 10, class 9). Within one portal; the store has no compare-and-set.
   */
  readonly #recordWrites = new KeyedQueue();
  /** Starts admitted against the account's running limit and not finished yet. */
  readonly #starts = new Admission();
  /** New repls (create, fork, import) admitted against the account's repl limit, not stored yet. */
  readonly #creations = new Admission();
  readonly #events = new EventEmitter<{ change: [string, ReplEvent] }>();
  readonly #unwatch: () => void;

  constructor(options: ReplServiceOptions) {
    this.#o = options;
    this.#events.setMaxListeners(0);
    this.#unwatch = options.runtime.watch((id) => void this.#announce(id));
  }

  /** Live changes of one account's repls (status, step, name, created, deleted); returns unsubscribe. */
  watch(owner: string, listener: (event: ReplEvent) => void): () => void {
    const relay = (account: string, event: ReplEvent): void => {
      if (account === owner) listener(event);
    };
    this.#events.on('change', relay);
    return () => this.#events.off('change', relay);
  }

  close(): void {
    this.#unwatch();
    this.#events.removeAllListeners();
  }

  async #announce(id: string): Promise<void> {
    if (this.#events.listenerCount('change') === 0) return;
    try {
      const record = await this.record(id);
      if (record) this.#events.emit('change', record.owner, { type: 'repl', repl: await this.view(record) });
    } catch (err) {
      this.#o.log.error({ replId: id, err: describeError(err) }, 'could not announce a repl change');
    }
  }

  /** Renames a repl (1 to 64 printable characters). */
  async rename(owner: string, id: string, name: string): Promise<ReplRecord> {
    const checked = checkName(name);
    return this.#update(owner, id, (record) => ({ ...record, name: checked }));
  }

  /** Read-modify-write of one stored record, one at a time per repl (see #recordWrites). */
  async #update(owner: string, id: string, change: (record: ReplRecord) => ReplRecord): Promise<ReplRecord> {
    const updated = await this.#recordWrites.run(id, async () => {
      const next = change(await this.get(owner, id));
      await this.#o.store.put(`repls/${id}.json`, JSON.stringify(next, null, 2));
      this.#records.set(id, next);
      return next;
    });
    void this.#announce(id);
    return updated;
  }

  // ---- records ----

  /** The record of any repl, whoever owns it (for the proxy and recovery). */
  async record(id: string): Promise<ReplRecord | undefined> {
    if (!isReplId(id)) return undefined;
    const cached = this.#records.get(id);
    if (cached) return cached;
    const body = await this.#o.store.get(`repls/${id}.json`);
    if (!body) return undefined;
    const record = JSON.parse(body.toString('utf8')) as ReplRecord;
    this.#records.set(id, record);
    return record;
  }

  async get(owner: string, id: string): Promise<ReplRecord> {
    const record = await this.record(id);
    if (!record || record.owner !== owner) throw new AppError('NOT_FOUND', `no repl ${id}`);
    return record;
  }

  async list(owner: string): Promise<ReplRecord[]> {
    const records: ReplRecord[] = [];
    for await (const info of this.#o.store.list(`owners/${owner}/`)) {
      const record = await this.record(info.key.slice(`owners/${owner}/`.length));
      if (record?.owner === owner) records.push(record);
    }
    return records.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  specOf(record: ReplRecord): ReplSpec {
    return {
      id: record.id,
      manifest: record.manifest,
      workspacePrefix: `workspaces/${record.id}/`,
      info: { name: record.name, stack: record.stack, port: record.manifest.port, previewUrl: `${this.previewOrigin(record.id, record.manifest.port)}/` },
    };
  }

  async specFor(id: string): Promise<ReplSpec | undefined> {
    const record = await this.record(id);
    return record && this.specOf(record);
  }

  // ---- lifecycle ----

  async create(owner: string, stack: string, name?: string): Promise<ReplRecord> {
    const template = await this.#usableTemplate(stack);
    const fresh = this.#newRecord(owner, template, name ?? `${template.manifest.name} repl`);
    const record = await this.#createWithinLimit(owner, fresh.id, async () => {
      // A warm sandbox of this stack, when one is ready, becomes this repl's: its first start is
      // then only the restore. Taken only once admitted, so refused requests cannot drain the pool.
      const warm = this.#o.runtime.takeWarm?.(stack);
      try {
        await this.#persistNew(fresh, (prefix) => this.#o.workspaces.copy(templatePrefix(stack, template.version), prefix));
      } catch (err) {
        if (warm) await this.#o.runtime.releaseWarm?.(warm);
        throw err;
      }
      if (warm) this.#o.runtime.adoptWarm?.(warm, fresh.id);
      return fresh;
    });
    this.#o.log.info({ replId: record.id, stack, owner }, 'repl created');
    return record;
  }

  /** A copy of a repl (its latest files: a running one saves first), owned by the same account. */
  async fork(owner: string, id: string, name?: string): Promise<ReplRecord> {
    const source = await this.get(owner, id);
    const template = this.#o.templates.get(source.stack);
    const record: ReplRecord = {
      ...this.#newRecord(owner, template ?? { manifest: source.manifest, version: source.templateVersion }, name ?? `${source.name} (fork)`.slice(0, 64)),
      manifest: source.manifest,
      templateVersion: source.templateVersion,
      origin: { forkOf: source.id },
      ...(source.ports ? { ports: source.ports } : {}),
    };
    await this.#createWithinLimit(owner, record.id, async () => {
      await this.#flushIfRunning(id);
      await this.#persistNew(record, (prefix) => this.#o.workspaces.copy(`workspaces/${source.id}/`, prefix));
    });
    this.#o.log.info({ replId: record.id, forkOf: id, owner }, 'repl forked');
    return record;
  }

  /**
   * A new repl from an uploaded tar.gz or zip: every entry checked (no `..`, no absolute paths,
   * no links out, no devices, sizes and counts counted as they inflate) before anything is stored.
   */
  async importArchive(owner: string, data: Buffer, stack: string, name?: string): Promise<ReplRecord> {
    const template = await this.#usableTemplate(stack);
    const format = detectArchiveFormat(data);
    if (!format) throw new AppError('INVALID_ARCHIVE', 'the upload is neither a zip nor a tar.gz archive; send one of those');
    const record: ReplRecord = { ...this.#newRecord(owner, template, name ?? `Imported ${template.manifest.name} repl`), origin: { imported: true } };
    const limit = this.#o.limits.workspaceBytes;
    // Unpacked file by file into the store (spooled, hashed and counted on the way): a small
    // archive that inflates to gigabytes never sits in the portal's memory.
    const entries = await this.#createWithinLimit(owner, record.id, async () => {
      let count = 0;
      await this.#persistNew(record, async (prefix) => {
        const manifest = await importArchive(this.#o.workspaces, prefix, data, format, { maxEntries: this.#o.limits.importEntries, maxTotalBytes: limit, maxFileBytes: limit });
        count = Object.keys(manifest.entries).length;
        return manifest;
      });
      return count;
    });
    this.#o.log.info({ replId: record.id, stack, owner, entries }, 'repl imported');
    return record;
  }

  /** The workspace as archive items, latest files included (a running repl saves first). */
  async archive(owner: string, id: string): Promise<{ record: ReplRecord; items: AsyncIterable<WorkspaceItem> }> {
    const record = await this.get(owner, id);
    await this.#flushIfRunning(id);
    return { record, items: this.#o.workspaces.items(`workspaces/${id}/`) };
  }

  async #flushIfRunning(id: string): Promise<void> {
    if (!this.#o.runtime.endpoints(id)) return;
    try {
      await this.#agent(id).flushSync(120_000);
    } catch (err) {
      throw new AppError('UNAVAILABLE', `the repl's latest changes could not be saved first (${describeError(err)}); try again in a moment`);
    }
  }

  async #usableTemplate(stack: string): Promise<Template> {
    const template = this.#o.templates.get(stack);
    if (!template) throw new AppError('UNKNOWN_STACK', `unknown stack ${JSON.stringify(stack)}; known stacks: ${[...this.#o.templates.keys()].join(', ')}`);
    const availability = await this.#o.runtime.checkStack(template.manifest);
    if (!availability.available) throw new AppError('STACK_UNAVAILABLE', `the ${template.manifest.name} stack is not available here: ${availability.reason}`);
    return template;
  }

  /** Makes a new repl unless the account has as many as it may: one admission at a time per account. */
  #createWithinLimit<T>(owner: string, id: string, work: (moveTo: (id: string) => void) => Promise<T>): Promise<T> {
    return this.#creations.run(owner, id, () => this.#checkReplLimit(owner), work);
  }

  async #checkReplLimit(owner: string): Promise<void> {
    const owned = new Set((await this.list(owner)).map((r) => r.id));
    for (const id of this.#creations.held(owner)) owned.add(id);
    if (owned.size >= this.#o.limits.repls) {
      throw new AppError('LIMIT_REACHED', `this account has ${owned.size} repls, the most it may have (the repl limit); delete one first`);
    }
  }

  #newRecord(owner: string, template: Pick<Template, 'manifest' | 'version'>, name: string, id = newReplId()): ReplRecord {
    return {
      id,
      name: checkName(name),
      stack: template.manifest.id,
      owner,
      createdAt: new Date().toISOString(),
      templateVersion: template.version,
      manifest: template.manifest,
    };
  }

  /** Stores a new repl's files, then its record: a repl exists only once its files do. */
  async #persistNew(record: ReplRecord, fill: (prefix: string) => Promise<unknown>): Promise<void> {
    try {
      await fill(`workspaces/${record.id}/`);
      await this.#o.runtime.create(this.specOf(record));
      await this.#o.store.put(`repls/${record.id}.json`, JSON.stringify(record, null, 2));
      await this.#o.store.put(`owners/${record.owner}/${record.id}`, '');
    } catch (err) {
      await this.#removeStored(record).catch(() => undefined);
      throw err;
    }
    this.#records.set(record.id, record);
    void this.#announce(record.id);
  }

  async remove(owner: string, id: string): Promise<void> {
    const record = await this.get(owner, id);
    await this.#o.runtime.delete(id);
    // In the record queue: an update waiting there must not write the record back afterwards.
    await this.#recordWrites.run(id, () => this.#removeStored(record));
    this.#events.emit('change', owner, { type: 'deleted', id });
    this.#o.log.info({ replId: id }, 'repl deleted');
  }

  async #removeStored(record: ReplRecord): Promise<void> {
    // The record goes first, so a half-finished delete never leaves a repl without files.
    await this.#o.store.delete(`owners/${record.owner}/${record.id}`);
    await this.#o.store.delete(`repls/${record.id}.json`);
    this.#records.delete(record.id);
    await deletePrefix(this.#o.store, `workspaces/${record.id}/`);
  }

  async start(owner: string, id: string): Promise<ReplRecord> {
    const record = await this.get(owner, id);
    await this.#startWithinLimit(owner, record);
    return record;
  }

  /**
   * Starts a repl unless the account already runs as many as it may. The count and the admission
   * are one step per account, and an admitted start counts until the runtime reports it.
   */
  #startWithinLimit(owner: string, record: ReplRecord): Promise<void> {
    return this.#starts.run(owner, record.id, () => this.#checkRunningLimit(owner, record.id), () => this.#o.runtime.start(this.specOf(record)));
  }

  /** Refuses to start one more repl of an account that already runs as many as it may. */
  async #checkRunningLimit(owner: string, id: string): Promise<void> {
    const live = (replId: string): boolean => ['running', 'starting'].includes(this.#o.runtime.status(replId).state);
    if (live(id)) return;
    const active = new Set(this.#o.runtime.active());
    const admitted = new Set(this.#starts.held(owner));
    const running = (await this.list(owner)).filter((r) => r.id !== id && (admitted.has(r.id) || (active.has(r.id) && live(r.id))));
    const limit = this.#o.limits.running;
    if (running.length >= limit) {
      throw new AppError('LIMIT_REACHED', `this account may run ${limit} repl${limit === 1 ? '' : 's'} at once (the running limit) and ${running.length} are running or starting (${running.map((r) => r.name).join(', ')}); stop one first`);
    }
  }

  async stop(owner: string, id: string): Promise<ReplRecord> {
    const record = await this.get(owner, id);
    await this.#o.runtime.stop(id);
    return record;
  }

  /** Starts a repl (and its app) in the background, for the proxy's wake-on-visit. */
  wake(id: string, account: string, options: { runApp: boolean }): void {
    void (async () => {
      const record = await this.get(account, id);
      await this.#startWithinLimit(account, record);
      if (options.runApp) await this.#agent(id).startApp();
    })().catch((err: unknown) => this.#o.log.error({ replId: id, err: describeError(err) }, 'wake failed'));
  }

  // ---- app, exec ----

  #agent(id: string): AgentClient {
    const endpoints = this.#o.runtime.endpoints(id);
    if (!endpoints) throw new AppError('NOT_RUNNING', `repl ${id} is ${this.#o.runtime.status(id).state}; start it first (POST /api/repls/${id}/start)`);
    return new AgentClient(endpoints.agent, { maxFileBytes: this.#o.limits.fileBytes });
  }

  async app(owner: string, id: string): Promise<AppState> {
    await this.get(owner, id);
    return this.#appState(id);
  }

  async #syncState(id: string): Promise<ReplView['sync']> {
    const status = this.#o.runtime.status(id);
    if (status.unsaved) return { state: 'degraded', pending: 0, reason: status.error, version: 0 };
    if (!this.#o.runtime.endpoints(id)) return { state: 'stored', pending: 0 };
    try {
      return await this.#agent(id).sync();
    } catch (err) {
      return { state: 'degraded', pending: 0, reason: `the repl agent does not answer (${describeError(err)})`, version: 0 };
    }
  }

  async #appState(id: string): Promise<AppState> {
    if (!this.#o.runtime.endpoints(id)) return { running: false };
    try {
      return await this.#agent(id).app();
    } catch {
      return { running: false };
    }
  }

  /** Run: starts the repl first when it is stopped, like Replit's Run button. */
  async startApp(owner: string, id: string): Promise<AppState> {
    const record = await this.get(owner, id);
    if (!this.#o.runtime.endpoints(id)) await this.#startWithinLimit(owner, record);
    return this.#agent(id).startApp();
  }

  async stopApp(owner: string, id: string): Promise<AppState> {
    await this.get(owner, id);
    if (!this.#o.runtime.endpoints(id)) return { running: false };
    return this.#agent(id).stopApp();
  }

  async exec(owner: string, id: string, request: ExecRequest): Promise<ExecResult> {
    await this.get(owner, id);
    return this.#o.runtime.exec(id, request);
  }

  /** The agent socket of a running repl the owner may stream logs from. */
  async logsTarget(owner: string, id: string): Promise<string> {
    await this.get(owner, id);
    return this.#agent(id).socketPath;
  }

  // ---- files: the live workspace while running, the stored copy while stopped ----

  async #filesMode(owner: string, id: string): Promise<{ agent?: AgentClient; prefix: string }> {
    await this.get(owner, id);
    const state = this.#o.runtime.status(id).state;
    if (state === 'running') return { agent: this.#agent(id), prefix: `workspaces/${id}/` };
    if (state === 'starting' || state === 'stopping') {
      throw new AppError('CONFLICT', `repl ${id} is ${state}; its files are moving between the store and the workspace. Try again in a few seconds`);
    }
    return { prefix: `workspaces/${id}/` };
  }

  async listFiles(owner: string, id: string, dir: string): Promise<FileEntry[]> {
    const rel = checkRelativePath(dir, 'dir', true);
    const { agent, prefix } = await this.#filesMode(owner, id);
    return agent ? agent.listFiles(rel) : this.#o.workspaces.listDir(prefix, rel);
  }

  async readFile(owner: string, id: string, file: string): Promise<Buffer> {
    const rel = checkRelativePath(file, 'path');
    const { agent, prefix } = await this.#filesMode(owner, id);
    return agent ? agent.readFile(rel) : this.#o.workspaces.readFile(prefix, rel);
  }

  async writeFile(owner: string, id: string, file: string, body: Buffer): Promise<{ created: boolean }> {
    const rel = checkRelativePath(file, 'path');
    const { agent, prefix } = await this.#filesMode(owner, id);
    // A running workspace has its quota in the sandbox; the stored copy is held to the same size.
    return agent ? agent.writeFile(rel, body) : this.#o.workspaces.writeFile(prefix, rel, body, this.#o.limits.workspaceBytes);
  }

  async deleteFile(owner: string, id: string, file: string): Promise<void> {
    const rel = checkRelativePath(file, 'path');
    const { agent, prefix } = await this.#filesMode(owner, id);
    return agent ? agent.deleteFile(rel) : this.#o.workspaces.deleteFile(prefix, rel);
  }

  // ---- preview ports ----

  /** Whether anyone may open this preview port ({@link isPortPublic}: only the app port by default). */
  isPublic(record: ReplRecord, port: number): boolean {
    return isPortPublic(record, port);
  }

  async setPortVisibility(owner: string, id: string, port: number, visibility: PortVisibility): Promise<{ port: number; visibility: PortVisibility }> {
    await this.#update(owner, id, (record) => ({ ...record, ports: { ...record.ports, [String(port)]: visibility } }));
    return { port, visibility };
  }

  // ---- links ----

  ideOrigin(id: string): string {
    return originFor(ideHostname(id, this.#o.publicOrigin), this.#o.publicOrigin);
  }

  previewOrigin(id: string, port: number): string {
    return originFor(previewHostname(id, port, this.#o.publicOrigin), this.#o.publicOrigin);
  }

  /**
   * Where the IDE should land: the workspace folder with the stack's main file open. The file's
   * authority must be the one the workbench uses for the folder (the browser's host, port
   * included): an editor opened under another authority is another resource to VS Code, which
   * never reloads it on a change made elsewhere and refuses its saves as "newer on disk".
   */
  idePath(record: ReplRecord): string {
    const workspace = this.#o.runtime.workspacePath(record.id);
    const authority = new URL(this.ideOrigin(record.id)).host;
    const payload = JSON.stringify([['openFile', `vscode-remote://${authority}${workspace}/${record.manifest.main}`]]);
    return `/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`;
  }

  /**
   * A URL that signs the owner in to one repl host: a single-use ticket valid for a minute,
   * exchanged by the proxy for a cookie of that host alone.
   */
  async ideLink(owner: string, id: string, options: { port?: number; next?: string } = {}): Promise<string> {
    const record = await this.get(owner, id);
    const origin = options.port ? this.previewOrigin(id, options.port) : this.ideOrigin(id);
    const host = new URL(origin).hostname;
    const ticket = this.#o.signer.sign({ purpose: 'ticket', host, account: owner, expiresAt: Date.now() + this.#o.ticketTtlMs });
    const url = new URL('/_codeyard/auth', origin);
    url.searchParams.set('ticket', ticket);
    const next = options.next ?? (options.port ? '/' : this.idePath(record));
    if (next !== '/') url.searchParams.set('next', next);
    return url.toString();
  }

  async view(record: ReplRecord): Promise<ReplView> {
    const status = this.#o.runtime.status(record.id);
    return {
      id: record.id,
      name: record.name,
      stack: record.stack,
      status: status.state,
      ...(status.step ? { step: status.step } : {}),
      ...(status.error ? { error: status.error } : {}),
      app: await this.#appState(record.id),
      sync: await this.#syncState(record.id),
      ideUrl: this.ideOrigin(record.id) + '/',
      previewUrl: this.previewOrigin(record.id, record.manifest.port) + '/',
      port: record.manifest.port,
      ports: listedPorts(record).map((p) => ({ ...p, url: this.previewOrigin(record.id, p.port) + '/' })),
      createdAt: record.createdAt,
      ...(record.origin?.forkOf ? { forkOf: record.origin.forkOf } : {}),
    };
  }
}

export const ARCHIVE_TYPES: Record<ArchiveFormat, string> = { 'tar.gz': 'application/gzip', zip: 'application/zip' };
