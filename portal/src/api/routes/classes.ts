import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  AddStudentsBody,
  BulkBody,
  BulkReply,
  ClassDeletedReply,
  ClassDetailSchema,
  ClassIdParams,
  ClassListReply,
  CodeReply,
  CreateClassBody,
  LinkReply,
  OpenStudentReply,
  PushFileBody,
  PushFileReply,
  ResetReply,
  StudentParams,
  StudentRowSchema,
} from '@codeyard/common/api/classes';
import { AppError } from '@codeyard/common/errors';
import { seenFrom } from '../../audit/request-actor.js';
import type { Caller } from '../../classes/class-access.js';
import type { ClassEvents } from '../../classes/class-events.js';
import { bulk, pushedFile, pushFile, resetToStarter, teacherIdeLink } from '../../classes/class-operations.js';
import type { ClassService } from '../../classes/class-service.js';
import type { WorkspaceStore } from '../../store/workspace-store.js';
import { accountOf } from '../auth.js';
import { EventStreams } from '../event-stream.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

/** What the class routes need beyond the API's context. */
export interface ClassRouteContext extends ApiContext {
  classes: ClassService;
  classEvents: ClassEvents;
  workspaces: WorkspaceStore;
  /** A workspace's quota (CODEYARD_LIMIT_DISK_MB): a reset's files are held to it. */
  workspaceBytes: number;
  /** Tells a student's VS Code who is viewing their repl (the status-bar notice). */
  notices?: { viewing(replId: string, teacher: { id: string; name?: string | null; email?: string | null }): Promise<void> };
}

const errors = { ...commonErrors, 403: errorReply, 409: errorReply, 413: errorReply };
/** Live class streams one account may hold open. */
const MAX_CLASS_STREAMS = 8;

/** The caller as class-access.ts judges it: the account and its credential's scopes. */
export function callerOf(request: FastifyRequest): Caller {
  return { account: accountOf(request), scopes: request.credential?.scopes ?? [] };
}

/**
 * /api/classes: a teacher's classes (issue #15). Every route under /api/classes/:id asks
 * class-access.ts first: the class's teacher, or an admin with the `admin` scope; anyone else
 * gets 404, as for a class that does not exist. Making a class needs role teacher or admin (403).
 * Behind the auth hook: cookie calls that change something must come from the portal's own
 * pages, tokens need `write` for them.
 */
export const classRoutes: FastifyPluginAsyncTypebox<ClassRouteContext> = async (app, deps) => {
  const { classes, audit } = deps;
  const ops = { repls: deps.repls, runtime: deps.runtime, workspaces: deps.workspaces, workspaceBytes: deps.workspaceBytes, log: app.log };

  app.post('/api/classes', { schema: { summary: 'Make a class: a repl per roster row, copied from the starter (not started), with join links', tags: ['classes'], body: CreateClassBody, response: { 201: ClassDetailSchema, ...errors } } }, async (request, reply) => {
    const detail = await classes.create(callerOf(request), request.body);
    await audit.record({ kind: 'class.create', ...seenFrom(request), target: { type: 'class', id: detail.id, account: accountOf(request).id }, details: { name: detail.name, starter: detail.starter, students: detail.students.length } });
    return reply.code(201).header('cache-control', 'no-store').send(detail);
  });

  app.get('/api/classes', { schema: { summary: 'The classes the caller teaches and the ones it attends', tags: ['classes'], response: { 200: ClassListReply, ...commonErrors } } }, async (request) => classes.list(accountOf(request)));

  app.get('/api/classes/:id', { schema: { summary: 'A class with a row per student (teacher)', tags: ['classes'], params: ClassIdParams, response: { 200: ClassDetailSchema, ...commonErrors } } }, async (request) =>
    classes.detail(callerOf(request), request.params.id),
  );

  app.delete('/api/classes/:id', { schema: { summary: "Delete a class: its links and code, unjoined repls, grade runs and roster; joined students keep their repls and submissions", tags: ['classes'], params: ClassIdParams, response: { 200: ClassDeletedReply, ...errors } } }, async (request) => {
    const caller = callerOf(request);
    const klass = await classes.teach(caller, request.params.id);
    const deleted = await classes.delete(caller, klass.id).catch(async (err: unknown) => {
      // Part of it may be gone already (links, some repls): recorded, and the teacher can ask again.
      await audit.record({ kind: 'class.delete', ...seenFrom(request), target: { type: 'class', id: klass.id, account: klass.teacher }, details: { name: klass.name, incomplete: true } });
      throw err;
    });
    await audit.record({ kind: 'class.delete', ...seenFrom(request), target: { type: 'class', id: klass.id, account: klass.teacher }, details: { name: klass.name, students: deleted.students, deletedRepls: deleted.deletedRepls, detachedRepls: deleted.detachedRepls } });
    // A dashboard of this class open elsewhere (another tab) is told now; other portals' at their next look.
    deps.classEvents.deleted(klass.id);
    return { id: klass.id, deletedRepls: deleted.deletedRepls, detachedRepls: deleted.detachedRepls };
  });

  app.post('/api/classes/:id/students', { schema: { summary: 'Add students (a repl each, with join links)', tags: ['classes'], params: ClassIdParams, body: AddStudentsBody, response: { 201: Type.Array(StudentRowSchema), ...errors } } }, async (request, reply) => {
    const rows = await classes.addStudents(callerOf(request), request.params.id, request.body.roster);
    return reply.code(201).header('cache-control', 'no-store').send(rows);
  });

  app.post('/api/classes/:id/students/:sid/link', { schema: { summary: "A new join link for a student (the old one stops working)", tags: ['classes'], params: StudentParams, response: { 200: LinkReply, ...errors } } }, async (request, reply) =>
    reply.header('cache-control', 'no-store').send({ link: await classes.reissueLink(callerOf(request), request.params.id, request.params.sid) }),
  );

  app.delete('/api/classes/:id/students/:sid/link', { schema: { summary: "Revoke a student's join link", tags: ['classes'], params: StudentParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const student = await classes.revokeLink(callerOf(request), request.params.id, request.params.sid);
    await audit.record({ kind: 'class.link-revoke', ...seenFrom(request), target: { type: 'class', id: request.params.id, ...(student.accountId ? { account: student.accountId } : {}) }, details: { studentId: student.id, name: student.name } });
    return reply.code(204).send(null);
  });

  app.post('/api/classes/:id/code', { schema: { summary: 'A new class code (the old one stops working)', tags: ['classes'], params: ClassIdParams, response: { 200: CodeReply, ...errors } } }, async (request) => ({
    code: (await classes.setCode(callerOf(request), request.params.id, true))!,
  }));

  app.delete('/api/classes/:id/code', { schema: { summary: 'Turn the class code off', tags: ['classes'], params: ClassIdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await classes.setCode(callerOf(request), request.params.id, false);
    return reply.code(204).send(null);
  });

  for (const action of ['start', 'stop'] as const) {
    app.post(
      `/api/classes/:id/${action}`,
      { schema: { summary: `${action === 'start' ? 'Start' : 'Stop'} student repls (all, or the ones named); starts go through admission`, tags: ['classes'], params: ClassIdParams, body: Type.Union([BulkBody, Type.Null()]), response: { 202: BulkReply, ...errors } } },
      async (request, reply) => {
        const klass = await classes.teach(callerOf(request), request.params.id);
        const all = await classes.repository.students(klass.id);
        const named = request.body?.students;
        const unknown = named?.filter((sid) => !all.some((s) => s.id === sid));
        if (unknown?.length) throw new AppError('VALIDATION', `students: not in this class: ${unknown.join(', ')}`);
        const chosen = named ? all.filter((s) => named.includes(s.id)) : all;
        return reply.code(202).send({ queued: bulk(ops, chosen, action) });
      },
    );
  }

  app.post('/api/classes/:id/students/:sid/reset', { schema: { summary: "A student's workspace back to the starter (the repl is stopped first)", tags: ['classes'], params: StudentParams, body: Type.Optional(Type.Null()), response: { 200: ResetReply, ...errors } } }, async (request) => {
    const { klass, student } = await classes.student(callerOf(request), request.params.id, request.params.sid);
    await resetToStarter(ops, klass, student);
    await audit.record({ kind: 'class.reset', ...seenFrom(request), target: { type: 'repl', id: student.replId, ...(student.accountId ? { account: student.accountId } : {}) }, details: { classId: klass.id, studentId: student.id, name: student.name } });
    return { replId: student.replId, status: deps.runtime.status(student.replId).state };
  });

  app.post('/api/classes/:id/files', { bodyLimit: 2 * 1024 * 1024, schema: { summary: 'Write a file into every student repl (live or stored)', tags: ['classes'], params: ClassIdParams, body: PushFileBody, response: { 200: PushFileReply, ...errors } } }, async (request) => {
    const klass = await classes.teach(callerOf(request), request.params.id);
    const file = pushedFile(request.body);
    const result = await pushFile(ops, await classes.repository.students(klass.id), file);
    await audit.record({ kind: 'class.push', ...seenFrom(request), target: { type: 'class', id: klass.id, account: klass.teacher }, details: { path: file.path, bytes: file.bytes.length, written: result.written, failed: result.failed.length } });
    return result;
  });

  app.post('/api/classes/:id/students/:sid/open', { schema: { summary: "The IDE link of a student's repl for the teacher (audited; the student sees a notice)", tags: ['classes'], params: StudentParams, body: Type.Optional(Type.Null()), response: { 200: OpenStudentReply, ...errors } } }, async (request, reply) => {
    const { klass, student } = await classes.student(callerOf(request), request.params.id, request.params.sid);
    const { url } = await teacherIdeLink(ops, request, student);
    await audit.record({ kind: 'class.ide-open', ...seenFrom(request), target: { type: 'repl', id: student.replId, ...(student.accountId ? { account: student.accountId } : {}) }, details: { classId: klass.id, studentId: student.id, name: student.name } });
    await deps.notices?.viewing(student.replId, accountOf(request));
    return reply.header('cache-control', 'no-store').send({ url });
  });

  const classStreams = new EventStreams(MAX_CLASS_STREAMS, 'live class streams');
  app.get('/api/classes/:id/events', { schema: { summary: 'Server-sent events: `student` (a StudentRow, whenever one changes), `class` (the ClassSummary), `deleted` (`{ id }`, once, when the class is deleted)', tags: ['classes'], params: ClassIdParams, produces: ['text/event-stream'], response: { 429: errorReply, ...commonErrors } } }, async (request, reply) => {
    const klass = await classes.teach(callerOf(request), request.params.id);
    const stream = classStreams.open(request, reply, accountOf(request).id);
    stream.onClose(
      await deps.classEvents.watch(klass.id, (event) => {
        if (event.type !== 'deleted') return stream.send(event.type, event.type === 'student' ? event.row : event.summary);
        stream.send('deleted', { id: event.id });
        stream.end();
      }),
    );
  });
};
