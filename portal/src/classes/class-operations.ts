import type { FastifyRequest } from 'fastify';
import type { PushFile, PushFileResult } from '@codeyard/common/api/classes';
import { PUSH_FILE_MAX_BYTES } from '@codeyard/common/api/classes';
import { AppError, describeError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';
import { credentialRef } from '../accounts/credential-revocations.js';
import { isServerFull } from '../capacity/capacity-gate.js';
import type { ClassRecord, StudentRecord } from '../db/class-repository.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import { mapLimit } from '../store/object-store.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import { starterPrefix } from './class-starter.js';

export interface OperationDeps {
  repls: ReplService;
  runtime: Runtime;
  workspaces: WorkspaceStore;
  workspaceBytes: number;
  log: { error(obj: object, msg: string): void };
}

/**
 * Starts (or stops) the repls of these students in the background and answers how many were
 * asked: each start goes through the machine's admission like any start (a full server queues
 * it), and a joined student's through their own running limit. Failures are logged, not thrown:
 * the dashboard's rows show each repl's status as it goes.
 */
export function bulk(deps: OperationDeps, students: readonly StudentRecord[], action: 'start' | 'stop'): number {
  const wanted = students.filter((s) => {
    const state = deps.runtime.status(s.replId).state;
    return action === 'start' ? state === 'stopped' || state === 'error' : state !== 'stopped';
  });
  void mapLimit(wanted, 4, async (s) => {
    try {
      const record = await deps.repls.record(s.replId);
      if (!record) return;
      if (action === 'start') await deps.repls.start(record.owner, record.id);
      else await deps.repls.stop(record.owner, record.id);
    } catch (err) {
      if (!isServerFull(err)) deps.log.error({ replId: s.replId, studentId: s.id, err: describeError(err) }, `class ${action} failed for a student`);
    }
  });
  return wanted.length;
}

/** A student's workspace back to the class's starter (stopped first, so the files saved are the ones replaced). */
export async function resetToStarter(deps: OperationDeps, klass: ClassRecord, student: StudentRecord): Promise<void> {
  const record = await deps.repls.record(student.replId);
  if (!record) throw new AppError('NOT_FOUND', `no repl for student ${student.id}`);
  if (deps.runtime.status(record.id).state !== 'stopped') await deps.repls.stop(record.owner, record.id);
  await deps.workspaces.replaceWith(starterPrefix(klass.id), `workspaces/${record.id}/`, deps.workspaceBytes);
}

/** The bytes of a pushed file, checked: a workspace-relative path (as the files API checks it) and at most PUSH_FILE_MAX_BYTES. */
export function pushedFile(body: PushFile): { path: string; bytes: Buffer } {
  const path = checkRelativePath(body.path, 'path');
  if (body.encoding === 'base64' && !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(body.content)) throw new AppError('VALIDATION', 'content: not base64 (encoding is base64)');
  const bytes = Buffer.from(body.content, body.encoding === 'base64' ? 'base64' : 'utf8');
  if (bytes.length > PUSH_FILE_MAX_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', `content: ${bytes.length} bytes, over the ${PUSH_FILE_MAX_BYTES} a pushed file may have`);
  return { path, bytes };
}

/** Writes one file into every student's repl: the live workspace of a running one, the stored one of a stopped one. */
export async function pushFile(deps: OperationDeps, students: readonly StudentRecord[], file: { path: string; bytes: Buffer }): Promise<PushFileResult> {
  let written = 0;
  const failed: PushFileResult['failed'] = [];
  await mapLimit(students, 8, async (s) => {
    try {
      const record = await deps.repls.record(s.replId);
      if (!record) throw new AppError('NOT_FOUND', 'the repl is gone');
      await deps.repls.files.write(record.owner, record.id, file.path, file.bytes);
      written++;
    } catch (err) {
      failed.push({ studentId: s.id, error: err instanceof AppError ? err.message : describeError(err) });
    }
  });
  return { written, failed };
}

/**
 * The IDE link of a student's repl for its teacher (signed in to the repl's host as its owner
 * would be; the proxy knows owners only). Like an admin's (open-as-admin.ts), only a navigation
 * the teacher made from Codeyard itself counts: a link on another site must not walk a
 * teacher's browser into a student's IDE and write that in the audit log.
 */
export async function teacherIdeLink(deps: Pick<OperationDeps, 'repls'>, request: FastifyRequest, student: StudentRecord): Promise<{ url: string; owner: string }> {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new AppError('FORBIDDEN', "This link to a student's repl came from another site. Open it from the class's page in Codeyard instead.");
  }
  // The teacher's session or token is the link's: signing it out ends the host cookie it becomes.
  const { url, record } = await deps.repls.ideLinkAsOwner(student.replId, { via: credentialRef(request.credential) });
  return { url, owner: record.owner };
}
