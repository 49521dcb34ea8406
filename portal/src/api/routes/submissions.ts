import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FeedbackBody, FeedbackReply, StudentParams, SubmissionFileParams, SubmissionParams, SubmissionSchema } from '@codeyard/common/api/classes';
import { ArchiveQuery, ReplIdParams } from '@codeyard/common/api/requests';
import { writeArchive } from '../../archive/archive.js';
import { archiveWork } from '../../archive/archive-limits.js';
import { seenFrom } from '../../audit/request-actor.js';
import { ARCHIVE_TYPES } from '../../repls/repl-service.js';
import { studentForTeacher, studentTarget, type WorkContext } from '../../submissions/work-context.js';
import { accountOf } from '../auth.js';
import { callerOf } from './classes.js';
import { commonErrors, errorReply } from '../schemas.js';

const FEEDBACK_FILE = 'FEEDBACK.md';

/**
 * Submissions (issue #15): the owner submits and lists their own; the class's teacher (or an
 * admin) lists a student's, opens any version (files, folders, archive) and leaves feedback.
 * Anyone else gets 404, as for repls. Behind the auth hook; every teacher access is audited: a
 * version's first read by each teacher (then not its every file again for a while, see
 * open-audit.ts), every archive download.
 */
export const submissionRoutes: FastifyPluginAsyncTypebox<{ work: WorkContext }> = async (app, { work }) => {
  const { submissions, classes, audit } = work;

  app.post(
    '/api/repls/:id/submit',
    { schema: { summary: 'Submit: save the workspace (a running repl saves first) as an immutable, numbered version', tags: ['submissions'], params: ReplIdParams, response: { 201: SubmissionSchema, 503: errorReply, ...commonErrors } } },
    async (request, reply) => reply.code(201).send(await submissions.submit(accountOf(request).id, request.params.id)),
  );

  app.get(
    '/api/repls/:id/submissions',
    { schema: { summary: "A repl's submissions, newest first (its owner)", tags: ['submissions'], params: ReplIdParams, response: { 200: Type.Array(SubmissionSchema), ...commonErrors } } },
    async (request) => submissions.list(accountOf(request).id, request.params.id),
  );

  app.get(
    '/api/classes/:id/students/:sid/submissions',
    { schema: { summary: "A student's submissions, newest first (the class's teacher)", tags: ['submissions'], params: StudentParams, response: { 200: Type.Array(SubmissionSchema), ...commonErrors } } },
    async (request) => {
      const { student } = await studentForTeacher(classes, callerOf(request), request.params.id, request.params.sid);
      return submissions.listOf(student.replId);
    },
  );

  app.get(
    '/api/classes/:id/students/:sid/submissions/:n/files/*',
    { schema: { summary: "A file of a submitted version, or a folder's listing (the class's teacher; audited)", tags: ['submissions'], params: SubmissionFileParams } },
    async (request, reply) => {
      const { student } = await studentForTeacher(classes, callerOf(request), request.params.id, request.params.sid);
      const path = request.params['*'];
      const found = await submissions.read(student.replId, request.params.n, path);
      // One row per teacher per version opened (open-audit.ts), not one per file read in it.
      await work.opens.read(accountOf(request).id, student.replId, request.params.n, () =>
        audit.record({ kind: 'class.submission-open', ...seenFrom(request), target: studentTarget(student), details: { classId: request.params.id, studentId: student.id, number: request.params.n, path } }),
      );
      if ('listing' in found) return reply.header('cache-control', 'no-store').send(found.listing);
      return reply.type('application/octet-stream').header('x-content-type-options', 'nosniff').header('cache-control', 'no-store').send(found.body);
    },
  );

  app.get(
    '/api/classes/:id/students/:sid/submissions/:n/archive',
    { schema: { summary: 'A submitted version as a tar.gz (default) or zip (the class\'s teacher; audited)', tags: ['submissions'], params: SubmissionParams, querystring: ArchiveQuery } },
    async (request, reply) => {
      const account = accountOf(request);
      const { student } = await studentForTeacher(classes, callerOf(request), request.params.id, request.params.sid);
      const { n } = request.params;
      await submissions.version(student.replId, n);
      const format = request.query.format ?? 'tar.gz';
      // A heavy request, as a workspace archive: its slot is held until the stream ends.
      const release = archiveWork.acquire(account.id);
      await audit.record({ kind: 'class.submission-open', ...seenFrom(request), target: studentTarget(student), details: { classId: request.params.id, studentId: student.id, number: n, archive: format } });
      const archive = writeArchive(submissions.items(student.replId, n), format).once('close', release);
      return reply
        .type(ARCHIVE_TYPES[format])
        .header('content-disposition', `attachment; filename="${student.id}-submission-${n}.${format}"`)
        .header('cache-control', 'no-store')
        .send(archive);
    },
  );

  app.post(
    '/api/classes/:id/students/:sid/feedback',
    { schema: { summary: "Leave a feedback file (FEEDBACK.md by default) in the student's repl, live or stored (the class's teacher; audited)", tags: ['submissions'], params: StudentParams, body: FeedbackBody, response: { 200: FeedbackReply, 409: errorReply, ...commonErrors } } },
    async (request) => {
      const { student } = await studentForTeacher(classes, callerOf(request), request.params.id, request.params.sid);
      const path = request.body.path ?? FEEDBACK_FILE;
      const record = await work.repls.record(student.replId);
      // The repl's owner now (the student's account once joined): the repl service's own path, so
      // the file lands in the live workspace when it runs and in the stored one when not.
      await work.repls.files.write(record?.owner ?? '', student.replId, path, Buffer.from(request.body.text, 'utf8'));
      await audit.record({ kind: 'class.feedback', ...seenFrom(request), target: studentTarget(student), details: { classId: request.params.id, studentId: student.id, path, bytes: Buffer.byteLength(request.body.text) } });
      return { path };
    },
  );
};
