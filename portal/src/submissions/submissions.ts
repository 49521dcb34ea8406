import type { FileEntry } from '@codeyard/common/agent/protocol';
import type { Submission } from '@codeyard/common/api/classes';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError, describeError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';
import { manifestBytes } from '@codeyard/common/workspace-manifest';
import type { SubmissionRecord, SubmissionRepository } from '../db/submission-repository.js';
import type { ReplService } from '../repls/repl-service.js';
import { deletePrefix, type ObjectStore } from '../store/object-store.js';
import type { WorkspaceItem, WorkspaceStore } from '../store/workspace-store.js';
import { newSubmissionId } from './work-ids.js';

/** Where a submission's copy lives in the store; nothing writes there after the copy. */
export const submissionPrefix = (replId: string, number: number): string => `submissions/${replId}/${number}/`;

/** A submission was made: the class part shows it on the teacher's dashboard. */
export interface SubmittedEvent {
  replId: string;
  studentId?: string;
  submission: Submission;
}

export interface SubmissionsOptions {
  repls: Pick<ReplService, 'get' | 'saveNow'>;
  workspaces: WorkspaceStore;
  store: ObjectStore;
  repository: SubmissionRepository;
  /** The roster row of a class's student repl, when the repl is one. */
  studentOf?: (replId: string) => Promise<string | undefined>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** Copies tried when the workspace changes under one (a sync removed a blob between manifest and copy). */
const COPY_ATTEMPTS = 3;

/**
 * Submissions: Submit saves the live workspace, then copies the stored workspace server-side
 * (manifest and blobs) under `submissions/<replId>/<n>/`, numbered 1, 2, … per repl. A copy is
 * never written again; the repl's deletion deletes them (ReplService's `alsoRemove`). Access:
 * the owner through {@link submit}/{@link list} (a stranger's 404 is the repl service's); the
 * teacher's reads take a repl id the class routes checked.
 */
export class Submissions {
  readonly #o: SubmissionsOptions;
  /** One submission at a time per repl in this portal; across portals the number's unique key decides. */
  readonly #queue = new KeyedQueue();
  readonly #listeners = new Set<(event: SubmittedEvent) => void>();

  constructor(options: SubmissionsOptions) {
    this.#o = options;
  }

  /** Calls `listener` after every submission made here; returns unsubscribe. */
  onSubmitted(listener: (event: SubmittedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async submit(owner: string, replId: string): Promise<Submission> {
    await this.#o.repls.saveNow(owner, replId);
    const studentId = await this.#o.studentOf?.(replId);
    const saved = await this.#queue.run(replId, () => this.#copy(owner, replId, studentId));
    const submission = view(saved);
    this.#o.log.info({ replId, number: saved.number, files: saved.files }, 'submission made');
    for (const listener of this.#listeners) listener({ replId, ...(studentId ? { studentId } : {}), submission });
    return submission;
  }

  async #copy(owner: string, replId: string, studentId: string | undefined): Promise<SubmissionRecord> {
    const row = { id: newSubmissionId(), replId, ...(studentId ? { studentId } : {}), accountId: owner, createdAt: new Date().toISOString() };
    const number = await this.#o.repository.reserve(row);
    const prefix = submissionPrefix(replId, number);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const manifest = await this.#o.workspaces.copy(`workspaces/${replId}/`, prefix);
          const files = Object.values(manifest.entries).filter((e) => e.type === 'file').length;
          const bytes = manifestBytes(manifest);
          await this.#o.repository.fill(row.id, files, bytes);
          return { ...row, number, files, bytes };
        } catch (err) {
          if (attempt >= COPY_ATTEMPTS) throw err;
          await deletePrefix(this.#o.store, prefix);
        }
      }
    } catch (err) {
      await this.#o.repository.remove(row.id).catch(() => undefined);
      await deletePrefix(this.#o.store, prefix).catch(() => undefined);
      throw new AppError('UNAVAILABLE', `the submission could not be saved (${describeError(err)}); submit again`);
    }
  }

  /** The owner's submissions of one repl, newest first. */
  async list(owner: string, replId: string): Promise<Submission[]> {
    await this.#o.repls.get(owner, replId);
    return this.listOf(replId);
  }

  /** Any repl's submissions, newest first: for callers that checked access (the class's teacher). */
  async listOf(replId: string): Promise<Submission[]> {
    return (await this.#o.repository.listByRepl(replId)).map(view);
  }

  /** One version of a repl, or 404 naming the numbers there are. */
  async version(replId: string, number: number): Promise<SubmissionRecord> {
    const found = await this.#o.repository.get(replId, number);
    if (!found) {
      const known = (await this.#o.repository.listByRepl(replId)).map((s) => s.number);
      throw new AppError('NOT_FOUND', known.length ? `no submission ${number}; this repl has submissions ${known.reverse().join(', ')}` : `no submission ${number}; nothing was submitted yet`);
    }
    return found;
  }

  /**
   * A path of one version: a folder's listing (the root when `path` is empty or names a
   * folder) or a file's bytes, as the files API answers.
   */
  async read(replId: string, number: number, path: string): Promise<{ listing: FileEntry[] } | { body: Buffer }> {
    await this.version(replId, number);
    const prefix = submissionPrefix(replId, number);
    const rel = checkRelativePath(path.replace(/\/+$/, ''), 'path', true);
    const manifest = await this.#o.workspaces.manifest(prefix);
    const entry = rel ? manifest.entries[rel] : undefined;
    if (!rel || entry?.type === 'dir' || (!entry && Object.keys(manifest.entries).some((k) => k.startsWith(`${rel}/`)))) {
      return { listing: await this.#o.workspaces.listDir(prefix, rel) };
    }
    return { body: await this.#o.workspaces.readFile(prefix, rel) };
  }

  /** Every item of one version, with content (archives, collect). */
  items(replId: string, number: number): AsyncIterable<WorkspaceItem> {
    return this.#o.workspaces.items(submissionPrefix(replId, number));
  }

  /** Submissions stop being a roster row's (its class was deleted): they stay the repl's own. */
  detach(studentIds: readonly string[]): Promise<void> {
    return this.#o.repository.detachStudents(studentIds);
  }

  /** Deletes every submission of a repl (rows, then copies): the repl is being deleted. */
  async removeAll(replId: string): Promise<void> {
    await this.#o.repository.deleteByRepl(replId);
    await deletePrefix(this.#o.store, `submissions/${replId}/`);
  }
}

function view(record: SubmissionRecord): Submission {
  return { id: record.id, number: record.number, createdAt: record.createdAt, files: record.files, bytes: record.bytes };
}
