import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ClassIdParams, CollectQuery, GRADE_RUN_ID_SOURCE, GradeBody, type GradeRun, GradeRunSchema, GradeRunsReply } from '@codeyard/common/api/classes';
import { AppError } from '@codeyard/common/errors';
import { writeArchive } from '../../archive/archive.js';
import { archiveWork } from '../../archive/archive-limits.js';
import { seenFrom } from '../../audit/request-actor.js';
import { classForTeacher } from '../../classes/class-access.js';
import type { ClassRecord, StudentRecord } from '../../db/class-repository.js';
import type { GradeRunRecord } from '../../db/grade-repository.js';
import { collectItems } from '../../grading/collect.js';
import { defaultGradeCommand } from '../../grading/default-command.js';
import { gradeCsv } from '../../grading/grade-csv.js';
import { ARCHIVE_TYPES } from '../../repls/repl-service.js';
import type { WorkContext } from '../../submissions/work-context.js';
import { accountOf } from '../auth.js';
import { callerOf } from './classes.js';
import { commonErrors } from '../schemas.js';

/** Runs shown by GET …/grade. */
const RUNS_LISTED = 20;

/** A run's id, or the same with `.csv` for its export (one route: a parameter cannot end in a literal). */
const RunOrCsvParams = Type.Object({ ...ClassIdParams.properties, runId: Type.String({ pattern: `^${GRADE_RUN_ID_SOURCE}(\\.csv)?$`, description: 'grade run id; with .csv: the results as CSV' }) });

/** The run as the API shows it: results in roster order. */
function runView(run: GradeRunRecord, students: readonly StudentRecord[]): GradeRun {
  const order = new Map(students.map((s, i) => [s.id, i]));
  const results = [...run.results].sort((a, b) => (order.get(a.studentId) ?? Infinity) - (order.get(b.studentId) ?? Infinity));
  return { id: run.id, command: run.command, createdAt: run.createdAt, ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}), results };
}

/**
 * Autograde and collect (issue #15): the class's teacher (or an admin) only, everyone else 404;
 * starting a run and collecting are audited. Behind the auth hook.
 */
export const gradingRoutes: FastifyPluginAsyncTypebox<{ work: WorkContext }> = async (app, { work }) => {
  const { classes, grader, audit } = work;

  app.post(
    '/api/classes/:id/grade',
    {
      schema: {
        summary: "Autograde: run a command (default: the starter's tests) in every student repl, a few at a time per portal; stopped repls are started for it and stopped after, unless someone opened them meanwhile",
        tags: ['grading'],
        params: ClassIdParams,
        body: GradeBody,
        response: { 202: GradeRunSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const klass = await classForTeacher(classes, callerOf(request), request.params.id);
      const roster = await classes.students(klass.id);
      const chosen = pick(roster, request.body.students);
      if (!chosen.length) throw new AppError('VALIDATION', 'the class has no students to grade; add some first');
      const command = request.body.command ?? defaultGradeCommand(klass.starter.stack);
      if (!command.trim()) throw new AppError('VALIDATION', 'command is blank; give the command to run, e.g. "npm test"');
      const run = await grader.start(klass.id, accountOf(request).id, command, chosen.map((s) => ({ studentId: s.id, replId: s.replId })));
      await audit.record({ kind: 'class.grade', ...seenFrom(request), target: { type: 'class', id: klass.id }, details: { runId: run.id, command, students: chosen.length } });
      return reply.code(202).send(runView(run, roster));
    },
  );

  app.get(
    '/api/classes/:id/grade',
    { schema: { summary: "A class's newest grade runs with every result", tags: ['grading'], params: ClassIdParams, response: { 200: GradeRunsReply, ...commonErrors } } },
    async (request) => {
      const klass = await classForTeacher(classes, callerOf(request), request.params.id);
      const [runs, roster] = await Promise.all([work.grades.listRuns(klass.id, RUNS_LISTED), classes.students(klass.id)]);
      return { runs: runs.map((run) => runView(run, roster)) };
    },
  );

  app.get(
    '/api/classes/:id/grade/:runId',
    { schema: { summary: 'One grade run (…/:runId.csv: its results as CSV, formula cells neutralised)', tags: ['grading'], params: RunOrCsvParams } },
    async (request, reply) => {
      const klass = await classForTeacher(classes, callerOf(request), request.params.id);
      const csv = request.params.runId.endsWith('.csv');
      const runId = csv ? request.params.runId.slice(0, -4) : request.params.runId;
      const run = await work.grades.getRun(runId);
      if (!run || run.classId !== klass.id) throw new AppError('NOT_FOUND', `no grade run ${runId} in class ${klass.id}`);
      const roster = await classes.students(klass.id);
      const view = runView(run, roster);
      if (!csv) return view;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${runId}.csv"`)
        .header('cache-control', 'no-store')
        .send(gradeCsv(view, roster));
    },
  );

  app.get(
    '/api/classes/:id/collect',
    { schema: { summary: 'One archive of the class, a folder per student: every workspace now (default) or each newest submission (audited)', tags: ['grading'], params: ClassIdParams, querystring: CollectQuery } },
    async (request, reply) => {
      const account = accountOf(request);
      const klass = await classForTeacher(classes, callerOf(request), request.params.id);
      const what = request.query.what ?? 'workspaces';
      const format = request.query.format ?? 'zip';
      const roster = await classes.students(klass.id);
      const release = archiveWork.acquire(account.id);
      await audit.record({ kind: 'class.collect', ...seenFrom(request), target: { type: 'class', id: klass.id }, details: { what, format, students: roster.length } });
      const items = collectItems(roster, what, {
        workspace: async (replId) => {
          // The latest files: a running repl saves first (a failed save takes what is stored).
          const record = await work.repls.record(replId);
          if (record) await work.repls.saveNow(record.owner, replId).catch(() => undefined);
          return work.workspaces.items(`workspaces/${replId}/`);
        },
        latestSubmission: async (replId) => (await work.submissions.listOf(replId))[0]?.number,
        submission: (replId, n) => work.submissions.items(replId, n),
      });
      const archive = writeArchive(items, format).once('close', release);
      return reply
        .type(ARCHIVE_TYPES[format])
        .header('content-disposition', `attachment; filename="${slug(klass)}-${what}.${format}"`)
        .header('cache-control', 'no-store')
        .send(archive);
    },
  );
};

/** The students asked for (all when none given); an id not on the roster is a 400 naming it. */
function pick(roster: readonly StudentRecord[], ids: readonly string[] | undefined): StudentRecord[] {
  if (!ids) return [...roster];
  const byId = new Map(roster.map((s) => [s.id, s]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length) throw new AppError('VALIDATION', `students: not on this class's roster: ${unknown.join(', ')}`);
  return ids.map((id) => byId.get(id)!);
}

function slug(klass: ClassRecord): string {
  return klass.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || klass.id;
}
