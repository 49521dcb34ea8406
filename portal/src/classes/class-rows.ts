import type { ClassSummary, GradeCell, StudentRow } from '@codeyard/common/api/classes';
import type { Accounts } from '../accounts/accounts.js';
import type { ClassRecord, ClassRepository, StudentRecord } from '../db/class-repository.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';

/**
 * What the work part (submissions, autograde) adds to each student's row: filled by its code
 * through this hook, empty until then. Called with every row of a class at once, so it can read
 * them in one query.
 */
export interface ClassRowExtras {
  rows(classId: string, students: readonly StudentRecord[]): Promise<Map<string, { submittedAt?: string; submissions: number; grade?: GradeCell }>>;
}

export const noExtras: ClassRowExtras = { rows: async () => new Map() };

export interface RowDeps {
  classes: ClassRepository;
  repls: ReplService;
  runtime: Runtime;
  accounts: Accounts;
  /** Last use per repl (milliseconds), when idle stop records it. */
  lastActive?: (ids: readonly string[]) => Promise<Map<string, number>>;
  extras: ClassRowExtras;
}

export async function classSummary(deps: Pick<RowDeps, 'classes'>, klass: ClassRecord, counts?: { students: number; joined: number }): Promise<ClassSummary> {
  const { students, joined } = counts ?? (await deps.classes.counts(klass.id));
  return { id: klass.id, name: klass.name, starter: klass.starter, code: klass.code ?? null, dueAt: klass.dueAt ?? null, createdAt: klass.createdAt, students, joined };
}

/**
 * The teacher's rows of a class: each student's repl status (the runtime's, cheap), whether its
 * app runs (asked of running repls' agents only), last activity, who joined, and the work part's
 * columns. `links` are the join links just made (they exist nowhere else).
 */
export async function studentRows(deps: RowDeps, klass: ClassRecord, students: readonly StudentRecord[], links: ReadonlyMap<string, string> = new Map()): Promise<StudentRow[]> {
  const [extras, active] = await Promise.all([deps.extras.rows(klass.id, students), deps.lastActive?.(students.map((s) => s.replId)) ?? new Map<string, number>()]);
  const accounts = new Map<string, { id: string; name: string | null; email: string | null }>();
  for (const s of students) {
    if (!s.accountId || accounts.has(s.accountId)) continue;
    const account = await deps.accounts.byId(s.accountId);
    accounts.set(s.accountId, { id: s.accountId, name: account?.name ?? null, email: account?.email ?? null });
  }
  return Promise.all(
    students.map(async (s): Promise<StudentRow> => {
      const status = deps.runtime.status(s.replId).state;
      const extra = extras.get(s.id);
      const account = s.accountId ? accounts.get(s.accountId) : undefined;
      const last = active.get(s.replId);
      const link = links.get(s.id);
      return {
        id: s.id,
        name: s.name,
        ...(s.email ? { email: s.email } : {}),
        ...(s.studentRef ? { studentRef: s.studentRef } : {}),
        ...(s.joinedAt ? { joinedAt: s.joinedAt } : {}),
        ...(account ? { account } : {}),
        replId: s.replId,
        status,
        appRunning: status === 'running' ? await appRunning(deps, s.replId) : false,
        ...(last ? { lastActivityAt: new Date(last).toISOString() } : {}),
        ...(link ? { link } : {}),
        linkActive: s.linkHash !== undefined && !s.accountId,
        ...(extra?.submittedAt ? { submittedAt: extra.submittedAt } : {}),
        submissions: extra?.submissions ?? 0,
        ...(extra?.grade ? { grade: extra.grade } : {}),
      };
    }),
  );
}

async function appRunning(deps: Pick<RowDeps, 'repls'>, replId: string): Promise<boolean> {
  const record = await deps.repls.record(replId);
  if (!record) return false;
  try {
    return (await deps.repls.apps.state(record.owner, replId)).running;
  } catch {
    return false;
  }
}
