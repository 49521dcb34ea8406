/**
 * Classrooms (issue #15): a teacher's class, its roster and one repl per student, joining by
 * link or class code, submissions, autograding and collecting, as TypeBox schemas the portal
 * validates with and the web UI and the CLI take their types from. The shapes are fixed in
 * CLASS-CONTRACT.md (three parts build on them at once): change them there first.
 *
 * Who may reach what: the class's teacher (or an admin) every `/api/classes/:id…` route, anyone
 * else 404 (ids cannot be probed); making a class needs role teacher or admin (403). Students
 * reach their repl as its owner through `/api/repls/:id…`, never another student's.
 */
import { type Static, Type } from 'typebox';
import { REPL_ID_SOURCE } from '../repl-id.js';
import { ARCHIVE_FORMATS } from './requests.js';
import { nullable, REPL_STATUSES, stringEnum } from './models.js';

const strict = { additionalProperties: false } as const;
const dateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });

/** Class ids: `cls_` + 16 characters of lowercase base32. */
export const CLASS_ID_SOURCE = 'cls_[a-z2-7]{16}';
export const CLASS_ID_PATTERN = new RegExp(`^${CLASS_ID_SOURCE}$`);
/** Roster rows (students) of a class: `stu_` + 16 characters of lowercase base32. */
export const STUDENT_ID_SOURCE = 'stu_[a-z2-7]{16}';
export const STUDENT_ID_PATTERN = new RegExp(`^${STUDENT_ID_SOURCE}$`);
/** Grade runs: `grd_` + 16 characters of lowercase base32. */
export const GRADE_RUN_ID_SOURCE = 'grd_[a-z2-7]{16}';
/** The secret half of a join link: 43 base64url characters (32 random bytes). */
export const JOIN_SECRET_SOURCE = '[A-Za-z0-9_-]{43}';
/** What follows `/join/` in a join link: `<studentId>.<secret>`. */
export const JOIN_TOKEN_PATTERN = new RegExp(`^(${STUDENT_ID_SOURCE})\\.(${JOIN_SECRET_SOURCE})$`);
/** A class code as shown: two groups of four (`K7QM-2XPD`); typed in, case, spaces and dashes do not matter. */
export const CLASS_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const CLASS_CODE_PATTERN = /^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/;
/** The most roster rows one request (or one class) may have. */
export const ROSTER_MAX = 500;
/** The most bytes of CSV a roster may be sent as. */
export const ROSTER_CSV_MAX_BYTES = 256 * 1024;
/** The most bytes a pushed file may have (decoded). */
export const PUSH_FILE_MAX_BYTES = 1024 * 1024;
/** The pseudo-owner of a student repl nobody has joined yet: `class:<classId>` (not an account). */
export const CLASS_OWNER_PREFIX = 'class:';
export const GRADE_STATUSES = ['queued', 'running', 'pass', 'fail', 'error'] as const;
export type GradeStatus = (typeof GRADE_STATUSES)[number];

export const ClassIdParams = Type.Object({ id: Type.String({ pattern: `^${CLASS_ID_SOURCE}$`, description: 'class id' }) });
export const StudentParams = Type.Object({ ...ClassIdParams.properties, sid: Type.String({ pattern: `^${STUDENT_ID_SOURCE}$`, description: 'student (roster row) id' }) });

/** What every student's repl starts as: a stack's template, or a copy of one of the teacher's repls. */
export const ClassStarterSchema = Type.Union([
  Type.Object({ stack: Type.String({ minLength: 1, maxLength: 64, description: 'a stack id (GET /api/stacks)' }) }, strict),
  Type.Object(
    {
      repl: Type.String({ pattern: `^${REPL_ID_SOURCE}$`, description: "one of the teacher's repls: its stored workspace is copied" }),
      stack: Type.Optional(Type.String({ description: "filled by the server: the repl's stack" })),
    },
    strict,
  ),
]);

export const RosterRowSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, description: 'when given, only an account with this address may join as this student' })),
    studentRef: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "the school's student id" })),
  },
  strict,
);

/** A roster: rows, or a CSV with a header row naming any of `name`, `email`, `student id` (`student_id`, `id`). */
export const RosterSchema = Type.Union([
  Type.Array(RosterRowSchema, { minItems: 1, maxItems: ROSTER_MAX }),
  Type.Object({ csv: Type.String({ minLength: 1, maxLength: ROSTER_CSV_MAX_BYTES, description: 'CSV text, UTF-8, header row first' }) }, strict),
]);

/** Per-student limits; `{}`: the server's defaults. None may exceed the server's own. */
export const ClassLimitsSchema = Type.Object(
  {
    memoryMb: Type.Optional(Type.Integer({ minimum: 256, maximum: 1_048_576, description: "memory of one student's repl, its own limit (at most CODEYARD_LIMIT_MEMORY_MB)" })),
    alwaysOn: Type.Optional(Type.Boolean({ description: "true: every student repl always on, from the teacher's always-on allowance (409 when it does not fit); false (default): stopped when idle like any repl" })),
  },
  strict,
);

export const CreateClassBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    starter: ClassStarterSchema,
    roster: RosterSchema,
    dueAt: Type.Optional(Type.String({ format: 'date-time', description: 'when work is due (shown; submissions after it are marked late)' })),
    limits: Type.Optional(ClassLimitsSchema),
    code: Type.Optional(Type.Boolean({ description: 'make a class code too (default true)' })),
  },
  strict,
);

export const AddStudentsBody = Type.Object({ roster: RosterSchema }, strict);

export const ClassSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  starter: ClassStarterSchema,
  code: nullable(Type.String({ description: 'the class code students type in (POST /api/join); null: turned off' })),
  dueAt: nullable(dateTime()),
  createdAt: dateTime(),
  students: Type.Integer({ description: 'roster rows' }),
  joined: Type.Integer({ description: 'of them, joined by an account' }),
});

export const GradeCellSchema = Type.Object({
  runId: Type.String(),
  status: stringEnum(GRADE_STATUSES),
  exitCode: Type.Optional(nullable(Type.Integer())),
});

export const StudentRowSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.Optional(Type.String()),
  studentRef: Type.Optional(Type.String()),
  joinedAt: Type.Optional(dateTime()),
  account: Type.Optional(Type.Object({ id: Type.String(), name: nullable(Type.String()), email: nullable(Type.String()) })),
  replId: Type.String(),
  status: stringEnum(REPL_STATUSES, { description: "the student repl's status" }),
  appRunning: Type.Boolean(),
  lastActivityAt: Type.Optional(dateTime('the last time someone used the IDE or the app')),
  link: Type.Optional(Type.String({ description: 'the join link: only in the answer that made it (create, add, reissue)' })),
  linkActive: Type.Boolean({ description: 'the row has a working join link (false: revoked, reissue to send a new one)' }),
  submittedAt: Type.Optional(dateTime('the newest submission')),
  submissions: Type.Integer(),
  grade: Type.Optional(GradeCellSchema),
});

export const ClassDetailSchema = Type.Object({
  ...ClassSummarySchema.properties,
  limits: ClassLimitsSchema,
  students: Type.Array(StudentRowSchema),
});

/** GET /api/classes: the classes one teaches, and the ones one attends. */
export const AttendingClassSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  teacher: Type.Object({ name: nullable(Type.String()) }),
  studentId: Type.String(),
  replId: Type.String(),
  dueAt: nullable(dateTime()),
  joinedAt: dateTime(),
  submittedAt: Type.Optional(dateTime()),
  submissions: Type.Integer(),
});
export const ClassListReply = Type.Object({ teaching: Type.Array(ClassSummarySchema), attending: Type.Array(AttendingClassSchema) });

export const LinkReply = Type.Object({ link: Type.String({ description: '<portal>/join/<studentId>.<secret>; shown only this once' }) });
export const CodeReply = Type.Object({ code: Type.String() });

export const BulkBody = Type.Object(
  { students: Type.Optional(Type.Array(Type.String({ pattern: `^${STUDENT_ID_SOURCE}$` }), { minItems: 1, maxItems: ROSTER_MAX, uniqueItems: true, description: 'default: every student' })) },
  strict,
);
export const BulkReply = Type.Object({ queued: Type.Integer({ description: 'repls asked to start (or stop); starts go through admission and may wait in line' }) });

export const PushFileBody = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 900, description: 'workspace-relative path, checked like the files API' }),
    content: Type.String({ maxLength: Math.ceil((PUSH_FILE_MAX_BYTES * 4) / 3) + 4 }),
    encoding: Type.Optional(stringEnum(['utf8', 'base64'] as const)),
  },
  strict,
);
export const PushFileReply = Type.Object({
  written: Type.Integer({ description: 'repls the file was written to' }),
  failed: Type.Array(Type.Object({ studentId: Type.String(), error: Type.String() }), { description: 'repls it could not be written to now (e.g. starting): push again' }),
});
export const ResetReply = Type.Object({ replId: Type.String(), status: stringEnum(REPL_STATUSES) });
/** DELETE /api/classes/:id: what went with the class and what stayed with the students. */
export const ClassDeletedReply = Type.Object({
  id: Type.String(),
  deletedRepls: Type.Integer({ description: 'repls nobody had joined, deleted with their stored workspaces' }),
  detachedRepls: Type.Integer({ description: "joined students' repls: theirs, kept with their submissions, no longer in a class" }),
});
export const OpenStudentReply = Type.Object({ url: Type.String({ description: 'the IDE link for the teacher (opens read-write; the student sees a notice)' }) });

/** POST /api/join: a join link (or its `<studentId>.<secret>` part), or a class code. */
export const JoinBody = Type.Union([
  Type.Object({ link: Type.String({ minLength: 1, maxLength: 2048 }) }, strict),
  Type.Object({ code: Type.String({ minLength: 4, maxLength: 20 }) }, strict),
]);
export const JoinReply = Type.Object({ classId: Type.String(), studentId: Type.String(), replId: Type.String() });
/** GET /api/join/info?link=…: what the join page shows before anyone signs in (the link is the credential). */
export const JoinInfoQuery = Type.Object({ link: Type.String({ minLength: 1, maxLength: 2048 }) }, strict);
export const JoinInfoReply = Type.Object({
  className: Type.String(),
  teacherName: nullable(Type.String()),
  studentName: Type.String(),
  email: nullable(Type.String({ description: 'the roster address: only an account with it may join' })),
  joined: Type.Boolean({ description: 'the link is bound to an account already' }),
  signup: Type.Boolean({ description: 'someone without an account may sign up through this link' }),
});
/** POST /api/join/signup: make an account through a join link (works as an invite) and join at once. */
export const JoinSignUpBody = Type.Object(
  {
    link: Type.String({ minLength: 1, maxLength: 2048 }),
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 256, description: 'at least 8 characters' }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
  },
  strict,
);

/** Server-sent events of GET /api/classes/:id/events: `student` (a StudentRow, whenever one changes), `class` (the ClassSummary), `deleted` (`{ id }`: the class is gone, the stream says nothing more). */
export const CLASS_EVENT_NAMES = ['student', 'class', 'deleted'] as const;

// ---- the work part: submissions, feedback, autograde, collect ----

export const SubmissionSchema = Type.Object({
  id: Type.String(),
  number: Type.Integer({ minimum: 1, description: '1, 2, … per repl' }),
  createdAt: dateTime(),
  files: Type.Integer(),
  bytes: Type.Integer(),
});
export const SubmissionParams = Type.Object({ ...StudentParams.properties, n: Type.Integer({ minimum: 1 }) });
export const SubmissionFileParams = Type.Object({ ...SubmissionParams.properties, '*': Type.String({ description: 'submission-relative file path' }) });

export const FeedbackBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 256 * 1024 }),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 900, description: 'default FEEDBACK.md' })),
  },
  strict,
);
export const FeedbackReply = Type.Object({ path: Type.String() });

export const GradeResultSchema = Type.Object({
  studentId: Type.String(),
  status: stringEnum(GRADE_STATUSES),
  exitCode: Type.Optional(nullable(Type.Integer())),
  output: Type.Optional(Type.String({ description: 'the last 4 KB of stdout and stderr' })),
  startedAt: Type.Optional(dateTime()),
  finishedAt: Type.Optional(dateTime()),
});
export const GradeRunSchema = Type.Object({
  id: Type.String(),
  command: Type.String(),
  createdAt: dateTime(),
  finishedAt: Type.Optional(dateTime()),
  results: Type.Array(GradeResultSchema),
});
export const GradeBody = Type.Object(
  {
    command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "default: the starter's test script (e.g. npm test)" })),
    students: Type.Optional(Type.Array(Type.String({ pattern: `^${STUDENT_ID_SOURCE}$` }), { minItems: 1, maxItems: ROSTER_MAX, uniqueItems: true })),
  },
  strict,
);
export const GradeRunParams = Type.Object({ ...ClassIdParams.properties, runId: Type.String({ pattern: `^${GRADE_RUN_ID_SOURCE}$` }) });
export const GradeRunsReply = Type.Object({ runs: Type.Array(GradeRunSchema, { description: 'newest first' }) });

export const COLLECT_WHATS = ['workspaces', 'submissions'] as const;
export const CollectQuery = Type.Object(
  {
    what: Type.Optional(stringEnum(COLLECT_WHATS, { description: 'workspaces (default): every repl now; submissions: every submission' })),
    format: Type.Optional(stringEnum(ARCHIVE_FORMATS)),
  },
  strict,
);

export type ClassStarter = Static<typeof ClassStarterSchema>;
export type RosterRow = Static<typeof RosterRowSchema>;
export type Roster = Static<typeof RosterSchema>;
export type ClassLimits = Static<typeof ClassLimitsSchema>;
export type CreateClass = Static<typeof CreateClassBody>;
export type AddStudents = Static<typeof AddStudentsBody>;
export type ClassSummary = Static<typeof ClassSummarySchema>;
export type ClassDetail = Static<typeof ClassDetailSchema>;
export type StudentRow = Static<typeof StudentRowSchema>;
export type AttendingClass = Static<typeof AttendingClassSchema>;
export type ClassList = Static<typeof ClassListReply>;
export type BulkRequest = Static<typeof BulkBody>;
export type PushFile = Static<typeof PushFileBody>;
export type PushFileResult = Static<typeof PushFileReply>;
export type ClassDeleted = Static<typeof ClassDeletedReply>;
export type Join = Static<typeof JoinBody>;
export type Joined = Static<typeof JoinReply>;
export type JoinInfo = Static<typeof JoinInfoReply>;
export type JoinSignUp = Static<typeof JoinSignUpBody>;
export type ClassEventName = (typeof CLASS_EVENT_NAMES)[number];
export type Submission = Static<typeof SubmissionSchema>;
export type Feedback = Static<typeof FeedbackBody>;
export type GradeCell = Static<typeof GradeCellSchema>;
export type GradeResult = Static<typeof GradeResultSchema>;
export type GradeRun = Static<typeof GradeRunSchema>;
export type GradeRequest = Static<typeof GradeBody>;
export type CollectWhat = (typeof COLLECT_WHATS)[number];
