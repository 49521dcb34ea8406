import type { ReplInfo } from '@codeyard/common/agent/config';
import { AppError, describeError } from '@codeyard/common/errors';
import type { PublicOrigin } from '@codeyard/common/hostnames';
import { isReplId } from '@codeyard/common/repl-id';
import type { GrantSigner } from '@codeyard/common/tickets';
import { type ArchiveFormat, detectArchiveFormat } from '../archive/archive.js';
import { importArchive } from '../archive/archive-import.js';
import { CapacityGate, isServerFull, unlimitedCapacity } from '../capacity/capacity-gate.js';
import type { ReplRepository } from '../db/repl-repository.js';
import type { ReplSpec, Runtime } from '../runtime/runtime.js';
import { deletePrefix, type ObjectStore } from '../store/object-store.js';
import type { WorkspaceItem, WorkspaceStore } from '../store/workspace-store.js';
import { templatePrefix, type Template } from '../templates/catalog.js';
import { AccountLimits, type AccountQuotaSource, replLimitReached } from './account-limits.js';
import { isPortPublic, type PortVisibility } from './preview-ports.js';
import { warmIde } from './ide-warmup.js';
import { ReplFiles } from './repl-files.js';
import { type LinkOptions, ReplLinks } from './repl-links.js';
import { pickReplName } from './repl-names.js';
import { checkName, newRecord, type ReplEvent, type ReplRecord, type ReplView } from './repl-record.js';
import { RecordCache } from './record-cache.js';
import { ReplEvents } from './repl-events.js';
import { ReplApps } from './repl-apps.js';
import { replView } from './repl-view.js';
import { WarmStarts } from './warm-start.js';

export type { PortVisibility, ReplEvent, ReplRecord, ReplView };

export interface ReplServiceOptions {
  /** The files (workspaces, templates); the records are in `records`. */
  store: ObjectStore;
  records: ReplRepository;
  workspaces: WorkspaceStore;
  runtime: Runtime;
  templates: ReadonlyMap<string, Template>;
  signer: GrantSigner;
  publicOrigin: PublicOrigin;
  ticketTtlMs: number;
  /** Per-account limits; a stranger's anonymous account must not be able to fill the machine. */
  limits: { repls: number; running: number; workspaceBytes: number; importEntries: number; fileBytes: number };
  /** The admin's own repl and running limits of an account (see AccountLimits); none: the defaults for all. */
  accountQuotas?: AccountQuotaSource;
  /** Admission against the machine's capacity (a full machine queues starts); unlimited when not given. Closed with the service. */
  capacity?: CapacityGate;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** What other parts keep of a repl, deleted with it (its submissions); may be filled after construction. */
  alsoRemove?: Array<(id: string) => Promise<unknown>>;
  /** More of what the IDE shows, looked up as a repl starts: its class, for a student's repl (classes/class-ide-info.ts). */
  ideExtras?: (record: ReplRecord) => Promise<Partial<ReplInfo>>;
  /** Awaited after every start, before it answers or the app runs: the repl's secrets (secrets/secret-delivery.ts). */
  afterStart?: (id: string) => Promise<void>;
}

/**
 * What a person can do with repls, with ownership checked on every call: a repl of another
 * account is answered exactly like one that does not exist (404), so ids cannot be probed.
 * The records are rows in the database (see ReplRepository: compare-and-set updates, the repl
 * limit in the insert); record changes arrive through its event bus from every portal, status
 * changes from this portal's runtime.
 */
export class ReplService {
  readonly #o: ReplServiceOptions;
  readonly #links: ReplLinks;
  /** The repl's files for the API, live or stored (see ReplFiles). */
  readonly files: ReplFiles;
  /** The repl's app (Run, Restart, Stop app), commands and log stream (see ReplApps). */
  readonly apps: ReplApps;
  readonly #limits: AccountLimits;
  readonly #events = new ReplEvents();
  readonly #routes = new RecordCache();
  readonly #capacity: CapacityGate;
  readonly #warm: WarmStarts;
  readonly #unwatch: Array<() => void>;

  constructor(options: ReplServiceOptions) {
    this.#o = options;
    this.#links = new ReplLinks({ ...options, workspacePath: (id) => options.runtime.workspacePath(id) });
    this.apps = new ReplApps({
      runtime: options.runtime,
      fileBytes: options.limits.fileBytes,
      get: (owner, id) => this.get(owner, id),
      startRepl: (owner, record, afterQueued) => this.#startWithinLimit(owner, record, afterQueued),
      announce: (id) => void this.#announce(id),
      ready: options.afterStart,
    });
    this.files = new ReplFiles({ ...options, workspaceBytes: options.limits.workspaceBytes, owned: (owner, id) => this.get(owner, id), agent: (id) => this.apps.agent(id) });
    this.#limits = new AccountLimits({ runtime: options.runtime, limits: options.limits, ...(options.accountQuotas ? { quotas: options.accountQuotas } : {}), list: (owner) => this.list(owner) });
    this.#warm = new WarmStarts(options);
    this.#capacity = options.capacity ?? new CapacityGate({ ...unlimitedCapacity(), runtime: options.runtime, log: { ...options.log, warn: options.log.error } });
    this.#unwatch = [
      options.runtime.watch((id) => void this.#announce(id)),
      options.records.events.subscribe((event) => {
        this.#routes.forget(event.id);
        if (event.kind === 'deleted') {
          this.#capacity.leave(event.id); // deleted on another portal while waiting here
          this.#events.deleted(event.owner, event.id);
        } else void this.#announce(event.id);
      }),
      this.#capacity.onQueueChange((ids) => ids.forEach((id) => void this.#announce(id))), // places in line are in views
    ];
  }

  /** Live changes of one account's repls (status, step, name, created, deleted); returns unsubscribe. */
  watch(owner: string, listener: (event: ReplEvent) => void): () => void {
    return this.#events.watch(owner, listener);
  }

  /** An account's limits: its own where the admin set them (GET /api/me shows them: "2 of 3 running"). */
  accountLimits(owner: string): Promise<{ repls: number; running: number }> {
    return this.#limits.limitsOf(owner);
  }

  close(): void {
    for (const unwatch of this.#unwatch) unwatch();
    this.#capacity.close();
    this.#events.close();
  }

  async #announce(id: string): Promise<void> {
    try {
      await this.#events.announce(id, async () => {
        const record = await this.record(id);
        return record && { owner: record.owner, view: await this.view(record) };
      });
    } catch (err) {
      this.#o.log.error({ replId: id, err: describeError(err) }, 'could not announce a repl change');
    }
  }

  /** Renames a repl (1 to 64 printable characters). */
  async rename(owner: string, id: string, name: string): Promise<ReplRecord> {
    const checked = checkName(name);
    return this.#update(owner, id, (record) => ({ ...record, name: checked }));
  }

  /** Read-modify-write of one record of `owner`, as a compare-and-set in the database. */
  async #update(owner: string, id: string, change: (record: ReplRecord) => ReplRecord): Promise<ReplRecord> {
    const notFound = (): AppError => new AppError('NOT_FOUND', `no repl ${id}`);
    const updated = isReplId(id)
      ? await this.#o.records.update(id, (record) => {
          if (record.owner !== owner) throw notFound();
          return change(record);
        })
      : undefined;
    this.#routes.forget(id); // at once, before this change's event comes back from the database
    if (!updated) throw notFound();
    return updated;
  }

  // ---- records ----

  /** The record of any repl, whoever owns it (for recovery; the proxy uses routeRecord). */
  async record(id: string): Promise<ReplRecord | undefined> {
    return isReplId(id) ? this.#o.records.get(id) : undefined;
  }

  /** The record for the proxy's per-request checks: from {@link RecordCache}, forgotten on every change. */
  async routeRecord(id: string): Promise<ReplRecord | undefined> {
    return isReplId(id) ? this.#routes.get(id, (key) => this.#o.records.get(key)) : undefined;
  }

  async get(owner: string, id: string): Promise<ReplRecord> {
    const record = await this.record(id);
    if (!record || record.owner !== owner) throw new AppError('NOT_FOUND', `no repl ${id}`);
    return record;
  }

  /** The account's repls, newest first. */
  list(owner: string): Promise<ReplRecord[]> {
    return this.#o.records.listByOwner(owner);
  }

  specOf(record: ReplRecord): ReplSpec {
    return {
      id: record.id,
      manifest: record.manifest,
      workspacePrefix: `workspaces/${record.id}/`,
      owner: record.owner,
      info: this.#links.ideInfo(record),
      ...(record.memoryMb ? { memoryLimitBytes: record.memoryMb * 1024 * 1024 } : {}),
    };
  }

  async specFor(id: string): Promise<ReplSpec | undefined> {
    const record = await this.record(id);
    return record && this.specOf(record);
  }

  // ---- lifecycle ----

  /** A new repl from a stack; without a name, a two-word one the account has not used. With `start`, refused while the account runs all it may. */
  async create(owner: string, stack: string, name?: string, options: { start?: boolean } = {}): Promise<ReplRecord> {
    const template = await this.#usableTemplate(stack);
    const fresh = newRecord(owner, template, name ?? pickReplName((await this.list(owner)).map((r) => r.name)));
    if (options.start) await this.#limits.checkCanStart(owner, fresh.id);
    // Its first start takes a warm sandbox when one is ready (as any start that may: warm-start.ts).
    const record = await this.#createWithinLimit(owner, fresh.id, async () => {
      await this.#persistNew(fresh, (prefix) => this.#o.workspaces.copy(templatePrefix(stack, template.version), prefix));
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
      ...newRecord(owner, template ?? { manifest: source.manifest, version: source.templateVersion }, name ?? `${source.name} (fork)`.slice(0, 64)),
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
    const record: ReplRecord = { ...newRecord(owner, template, name ?? `Imported ${template.manifest.name} repl`), origin: { imported: true } };
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
      await this.apps.agent(id).flushSync(120_000);
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

  /** Makes a new repl unless the account has as many as it may (see AccountLimits). */
  #createWithinLimit<T>(owner: string, id: string, work: () => Promise<T>): Promise<T> {
    return this.#limits.create(owner, id, work);
  }

  /** Stores a new repl's files, then its record: a repl exists only once its files do. */
  async #persistNew(record: ReplRecord, fill: (prefix: string) => Promise<unknown>): Promise<void> {
    try {
      await fill(`workspaces/${record.id}/`);
      await this.#o.runtime.create(this.specOf(record));
      // Another portal may have made repls of this account meanwhile: the insert counts them all.
      const limit = (await this.#limits.limitsOf(record.owner)).repls;
      if (!(await this.#o.records.insertWithinLimit(record, limit))) throw replLimitReached(limit, limit);
    } catch (err) {
      await deletePrefix(this.#o.store, `workspaces/${record.id}/`).catch(() => undefined);
      throw err;
    }
  }

  async remove(owner: string, id: string): Promise<void> {
    const record = await this.get(owner, id);
    this.#capacity.leave(id);
    await this.#o.runtime.delete(id);
    // The record goes first, so a half-finished delete never leaves a repl without files. An
    // update racing it compares against a row that is gone, so it cannot write the record back.
    await this.#o.records.delete(record.id);
    this.#routes.forget(record.id);
    await deletePrefix(this.#o.store, `workspaces/${record.id}/`);
    for (const hook of this.#o.alsoRemove ?? []) await hook(record.id);
    this.#o.log.info({ replId: id }, 'repl deleted');
  }

  /** Saves a running repl's latest changes to the store now (Submit copies the store after). */
  async saveNow(owner: string, id: string): Promise<ReplRecord> {
    const record = await this.get(owner, id);
    await this.#flushIfRunning(id);
    return record;
  }

  async start(owner: string, id: string): Promise<ReplRecord> {
    const record = await this.get(owner, id);
    await this.#startWithinLimit(owner, record);
    return record;
  }

  /** Starts a repl within the account's running limit and the machine's room (see AccountLimits.startAdmitted), from a warm sandbox when one fits (WarmStarts). */
  #startWithinLimit(owner: string, record: ReplRecord, afterQueued?: () => Promise<unknown>): Promise<void> {
    const start = async (): Promise<void> => {
      await this.#o.runtime.start(await this.#startSpec(record));
      await this.#o.afterStart?.(record.id);
    };
    return this.#limits.startAdmitted(owner, record, this.#capacity, start, afterQueued, async (admit) => this.#warm.around(await this.#startSpec(record), admit));
  }

  /** The spec a start hands the runtime: with the IDE's extras (a lookup that fails only leaves them out). */
  async #startSpec(record: ReplRecord): Promise<ReplSpec> {
    const spec = this.specOf(record);
    const extras = await this.#o.ideExtras?.(record).catch(() => undefined);
    return extras && spec.info ? { ...spec, info: { ...spec.info, ...extras } } : spec;
  }

  async stop(owner: string, id: string): Promise<ReplRecord> {
    const record = await this.get(owner, id);
    this.#capacity.leave(id);
    await this.#o.runtime.stop(id);
    return record;
  }

  /** Starts a repl (and its app) in the background, for the proxy's wake-on-visit. */
  wake(id: string, account: string, options: { runApp: boolean }): void {
    void (async () => {
      const record = await this.get(account, id);
      const runApp = options.runApp ? () => this.apps.agent(id).startApp() : undefined;
      await this.#startWithinLimit(account, record, runApp);
      await runApp?.();
      // A full server is no failure: the repl waits in line and the starting page shows its place.
    })().catch((err: unknown) => isServerFull(err) || this.#o.log.error({ replId: id, err: describeError(err) }, 'wake failed'));
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

  /** A single-use sign-in URL for the owner to one repl host (see ReplLinks.ideLink). */
  async ideLink(owner: string, id: string, options: LinkOptions = {}): Promise<string> {
    const link = this.#links.ideLink(owner, await this.get(owner, id), options);
    // The owner is about to open VS Code: code-server starts loading it now (ide-warmup.ts).
    if (!options.port) void warmIde(this.#o.runtime.endpoints(id)?.ide);
    return link;
  }

  /** A sign-in link to any repl's host as its owner: an admin opening another's repl (the caller checks and records that). */
  async ideLinkAsOwner(id: string, options: LinkOptions = {}): Promise<{ url: string; record: ReplRecord }> {
    const record = await this.record(id);
    if (!record) throw new AppError('NOT_FOUND', `no repl ${id}`);
    return { url: await this.ideLink(record.owner, id, options), record };
  }

  view(record: ReplRecord): Promise<ReplView> {
    return replView(record, this.#o.runtime, this.#links, (id) => this.apps.agent(id), this.#capacity);
  }
}

export const ARCHIVE_TYPES: Record<ArchiveFormat, string> = { 'tar.gz': 'application/gzip', zip: 'application/zip' };
