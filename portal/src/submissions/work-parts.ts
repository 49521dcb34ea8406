import type { Audit } from '../audit/audit.js';
import type { Classes } from '../classes/classes-setup.js';
import type { Config } from '../config.js';
import type { Database } from '../db/open-database.js';
import { usedSinceFrom } from '../grading/grade-exec.js';
import { Grader } from '../grading/grader.js';
import type { ActivityTracker } from '../idle/activity-tracker.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ObjectStore } from '../store/object-store.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import { SubmissionOpens } from './open-audit.js';
import { Submissions } from './submissions.js';
import type { WorkContext } from './work-context.js';
import { workRowExtras } from './work-row-extras.js';

export interface WorkPartsDeps {
  config: Pick<Config, 'gradeConcurrency' | 'gradeTimeoutMs'>;
  database: Database;
  repls: ReplService;
  /** ReplService's `alsoRemove`: what is deleted with a repl. */
  alsoRemove: Array<(id: string) => Promise<unknown>>;
  runtime: Runtime;
  store: ObjectStore;
  workspaces: WorkspaceStore;
  audit: Audit;
  /** The clock of the audit's windows (tests move it). */
  now?: () => number;
  /** What this portal sees of repl use: a repl opened while it was graded stays running. */
  activity: Pick<ActivityTracker, 'lastActive'>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * The work part of classrooms, built once per portal: submissions (deleted with their repl
 * through ReplService's `alsoRemove`), the autograde queue, and the columns it adds to a class's
 * dashboard rows. The grader works the queue once the portal calls its begin().
 */
export function workParts(deps: WorkPartsDeps): WorkContext & { rowExtras: ReturnType<typeof workRowExtras> } {
  const { database, repls, log } = deps;
  const submissions = new Submissions({
    repls,
    workspaces: deps.workspaces,
    store: deps.store,
    repository: database.submissions,
    studentOf: async (replId) => (await database.classes.studentByRepl(replId))?.id,
    log,
  });
  deps.alsoRemove.push((id) => submissions.removeAll(id));
  const grader = new Grader({
    repls,
    runtime: deps.runtime,
    repository: database.grades,
    concurrency: deps.config.gradeConcurrency,
    timeoutMs: deps.config.gradeTimeoutMs,
    usedSince: usedSinceFrom(deps.activity, database.activity),
    log,
  });
  return {
    submissions,
    grader,
    grades: database.grades,
    classes: database.classes,
    repls,
    workspaces: deps.workspaces,
    audit: deps.audit,
    opens: new SubmissionOpens(deps.now),
    rowExtras: workRowExtras(database.submissions, database.grades),
  };
}

/**
 * Hands the classes part what the work part adds: the row columns (its ClassRowExtras hook), and
 * a touch of the student's row on the class stream whenever a submission or a grade result
 * happens (through the database's bus, so a dashboard on another portal sees it too).
 */
export function linkWorkToClasses(work: ReturnType<typeof workParts>, classes: Classes): () => void {
  classes.service.extras = work.rowExtras;
  // A deleted class takes its grade runs; submissions are versions of the students' own repls and
  // stay theirs (detached from the roster row that goes), as a student's own repl stays.
  classes.service.deleteHooks.push(async (klass, students) => {
    await work.grades.deleteByClass(klass.id);
    await work.submissions.detach(students.map((s) => s.id));
  });
  const touch = (replId: string): void => {
    void (async () => {
      const record = await work.repls.record(replId);
      if (record) await classes.events.touch(replId, record.owner);
    })().catch(() => undefined); // a missed touch costs a row's freshness until the next change, nothing more
  };
  const off = [
    work.submissions.onSubmitted((event) => event.studentId && touch(event.replId)),
    work.grader.onResult(async (event) => {
      const student = await work.classes.student(event.result.studentId);
      if (student) touch(student.replId);
    }),
  ];
  return () => off.forEach((unsubscribe) => unsubscribe());
}
