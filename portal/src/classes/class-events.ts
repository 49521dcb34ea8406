import type { ClassSummary, StudentRow } from '@codeyard/common/api/classes';
import { CLASS_OWNER_PREFIX } from '@codeyard/common/api/classes';
import { describeError } from '@codeyard/common/errors';
import type { EventBus } from '../db/event-bus.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ClassService } from './class-service.js';
import { classSummary } from './class-rows.js';

export type ClassEvent = { type: 'student'; row: StudentRow } | { type: 'class'; summary: ClassSummary } | { type: 'deleted'; id: string };

/** How long changes of one row are gathered before its new row is sent (a start is many status changes). */
const SETTLE_MS = 150;
/** How often rows of running repls are read again for what no event says (the app started in VS Code, activity). */
const REFRESH_MS = 15_000;

/**
 * Live rows of the classes someone watches (the teacher's dashboard): a student's row is sent
 * again when its repl's status changes (the runtime's watch), when its record changes on any
 * portal (a join hands the repl over: the database's event bus), when the work part calls
 * {@link touch} (a submission, a grade), and every REFRESH_MS for running repls whose app or
 * activity changed; and once, `deleted`, when the class is deleted. Only classes someone watches
 * are looked at.
 */
export class ClassEvents {
  readonly #listeners = new Map<string, Set<(event: ClassEvent) => void>>();
  /** repl id → class id, for the watched classes. */
  readonly #replClass = new Map<string, string>();
  readonly #pending = new Map<string, NodeJS.Timeout>();
  /** Rows whose pending send also sends the class's counts (a join, a new row). */
  readonly #summaries = new Set<string>();
  readonly #last = new Map<string, string>();
  readonly #unwatch: Array<() => void>;
  readonly #refresh: NodeJS.Timeout;

  constructor(
    private readonly o: {
      service: Pick<ClassService, 'repository' | 'rows'>;
      runtime: Runtime;
      bus: EventBus;
      log: { error(obj: object, msg: string): void };
      /** How often watched classes are looked at again (REFRESH_MS; tests shorten it). */
      refreshMs?: number;
    },
  ) {
    this.#unwatch = [
      o.runtime.watch((id) => this.#changed(id)),
      o.bus.subscribe((event) => {
        // A new repl of a watched class (a student added, or a walk-in joining by code): its owner
        // names the class. Known from the event itself, not by reading the roster: the repl is
        // announced before its roster row is stored, and a walk-in's join hands it over (the
        // 'updated' that must find it here) right after.
        if (event.kind === 'created' && event.owner.startsWith(CLASS_OWNER_PREFIX)) {
          const classId = event.owner.slice(CLASS_OWNER_PREFIX.length);
          if (this.#listeners.has(classId)) {
            this.#replClass.set(event.id, classId);
            this.#changed(event.id, true);
          }
          return;
        }
        this.#changed(event.id, true);
      }),
    ];
    this.#refresh = setInterval(() => {
      for (const [replId, classId] of this.#replClass) if (this.#listeners.has(classId) && o.runtime.status(replId).state === 'running') this.#changed(replId);
      // A class deleted through another portal: its watchers here learn it at the next look.
      for (const classId of this.#listeners.keys()) {
        void o.service.repository.get(classId).then(
          (klass) => klass || this.deleted(classId),
          (err: unknown) => o.log.error({ classId, err: describeError(err) }, 'could not check a watched class'),
        );
      }
    }, o.refreshMs ?? REFRESH_MS);
    this.#refresh.unref();
  }

  /** Calls `listener` with every change of the class's rows from now on; returns unsubscribe. */
  async watch(classId: string, listener: (event: ClassEvent) => void): Promise<() => void> {
    let set = this.#listeners.get(classId);
    if (!set) this.#listeners.set(classId, (set = new Set()));
    set.add(listener);
    await this.#learn(classId);
    return () => {
      set.delete(listener);
      if (set.size) return;
      this.#listeners.delete(classId);
      for (const [replId, id] of this.#replClass) if (id === classId) this.#forget(replId);
    };
  }

  /**
   * A row changed in a way only its writer knows (a submission, a grade result): announced on
   * the database's bus as a change of the student's repl, so every portal's watchers hear it.
   */
  async touch(replId: string, owner: string): Promise<void> {
    await this.o.bus.publish({ kind: 'updated', owner, id: replId });
  }

  /**
   * The class is gone: its watchers (a dashboard open in another tab) are told so, once, and let
   * go. Called by the portal that deleted it at once, and found by every other portal's refresh.
   */
  deleted(classId: string): void {
    const listeners = this.#listeners.get(classId);
    if (!listeners) return;
    this.#listeners.delete(classId);
    for (const [replId, id] of this.#replClass) if (id === classId) this.#forget(replId);
    for (const listener of listeners) listener({ type: 'deleted', id: classId });
  }

  close(): void {
    for (const unwatch of this.#unwatch) unwatch();
    clearInterval(this.#refresh);
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#listeners.clear();
  }

  async #learn(classId: string): Promise<void> {
    for (const s of await this.o.service.repository.students(classId)) this.#replClass.set(s.replId, classId);
  }

  #forget(replId: string): void {
    this.#replClass.delete(replId);
    this.#last.delete(replId);
    clearTimeout(this.#pending.get(replId));
    this.#pending.delete(replId);
    this.#summaries.delete(replId);
  }

  /** Sends the repl's row (and with `summary`, the class's counts) once its changes settle. */
  #changed(replId: string, summary = false): void {
    const classId = this.#replClass.get(replId);
    if (!classId || !this.#listeners.has(classId)) return;
    if (summary) this.#summaries.add(replId);
    if (this.#pending.has(replId)) return;
    this.#pending.set(
      replId,
      setTimeout(() => {
        this.#pending.delete(replId);
        const withSummary = this.#summaries.delete(replId);
        this.#send(classId, replId, withSummary).catch((err: unknown) => this.o.log.error({ replId, classId, err: describeError(err) }, 'could not send a class row'));
      }, SETTLE_MS),
    );
  }

  async #send(classId: string, replId: string, summary: boolean): Promise<void> {
    const repo = this.o.service.repository;
    const [klass, student] = await Promise.all([repo.get(classId), repo.studentByRepl(replId)]);
    const listeners = this.#listeners.get(classId);
    if (!klass || !student || !listeners) return;
    const [row] = await this.o.service.rows(klass, [student]);
    const text = JSON.stringify(row);
    if (this.#last.get(replId) === text && !summary) return;
    this.#last.set(replId, text);
    for (const listener of listeners) listener({ type: 'student', row: row! });
    if (summary) {
      const event: ClassEvent = { type: 'class', summary: await classSummary({ classes: repo }, klass) };
      for (const listener of listeners) listener(event);
    }
  }
}
