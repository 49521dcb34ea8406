/**
 * What the portal's HTTP API answers, as TypeBox schemas: the portal validates and serializes
 * with them (and makes /api/openapi.json from them), and the web UI takes its types from them
 * (`Static<typeof ReplSchema>`), so a field that changes on one side breaks the other's build.
 * Each model is registered once by its `$id`; routes point at it with {@link ref}.
 */
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

/** A `$ref` to a registered model that keeps the model's static type for the type provider. */
export function ref<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('ref() points at a registered model: give the schema an $id');
  return Type.Unsafe<Static<T>>({ $ref: `${id}#` });
}

/** `{ type: 'string', enum }`: one plain JSON Schema enum (as the OpenAPI document shows it). */
export function stringEnum<const V extends readonly string[]>(values: V, options: { description?: string } = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** `{ type: [type, 'null'] }` for a scalar that may be null. */
export function nullable<T extends TSchema & { type: string }>(schema: T): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

const dateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
  },
  { $id: 'Error' },
);

export const AppStateSchema = Type.Object(
  {
    running: Type.Boolean(),
    pid: Type.Optional(Type.Integer()),
    command: Type.Optional(Type.String()),
    startedAt: Type.Optional(dateTime()),
    exitedAt: Type.Optional(dateTime()),
    exitCode: Type.Optional(nullable(Type.Integer())),
    signal: Type.Optional(nullable(Type.String())),
    stopped: Type.Optional(Type.Boolean()),
    restarts: Type.Optional(Type.Integer({ description: 'times an always-on repl\'s app was restarted after crashing, since the last Run' })),
    restartAt: Type.Optional(dateTime()),
    gaveUp: Type.Optional(Type.String({ description: 'why an always-on repl\'s app is no longer restarted (it crashed too often)' })),
  },
  { $id: 'AppState' },
);

export const SYNC_STATES = ['starting', 'restoring', 'synced', 'pending', 'syncing', 'degraded', 'stored'] as const;

export const SyncStatusSchema = Type.Object(
  {
    state: stringEnum(SYNC_STATES, { description: 'stored: the repl is stopped and the store has its files; degraded: saving fails and is retried (see reason)' }),
    pending: Type.Integer({ description: 'changed paths not yet in the store' }),
    reason: Type.Optional(Type.String()),
    lastSyncAt: Type.Optional(dateTime()),
    version: Type.Optional(Type.Integer({ description: 'the stored workspace version' })),
    restore: Type.Optional(Type.Object({ done: Type.Optional(Type.Integer()), total: Type.Optional(Type.Integer()) })),
    skipped: Type.Optional(Type.Array(Type.String(), { description: 'paths never saved (names the store cannot hold)' })),
  },
  { $id: 'SyncStatus', description: 'How the workspace stands against the object store' },
);

export const REPL_STATUSES = ['stopped', 'starting', 'running', 'stopping', 'error'] as const;
export const VISIBILITIES = ['public', 'private'] as const;

export const PortSettingSchema = Type.Object({ port: Type.Integer(), visibility: stringEnum(VISIBILITIES) });

export const UsageSchema = Type.Object(
  {
    memoryBytes: Type.Integer({ description: 'memory of all its processes together, without file cache the kernel can drop (its cgroup)' }),
    cpuPercent: Type.Optional(Type.Number({ description: 'CPU used over the last few seconds; 100 is one core (absent until two readings exist)' })),
  },
  { $id: 'Usage', description: 'What a running repl or warm sandbox uses now, measured' },
);

export const ReplSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    stack: Type.String(),
    status: stringEnum(REPL_STATUSES),
    step: Type.Optional(Type.String({ description: 'what a starting or stopping repl is doing now' })),
    error: Type.Optional(Type.String({ description: 'why the repl is in the error state, and what to do' })),
    app: ref(AppStateSchema),
    sync: ref(SyncStatusSchema),
    ideUrl: Type.String({ description: 'the IDE host; open it through POST /ide-link' }),
    previewUrl: Type.String(),
    port: Type.Integer(),
    ports: Type.Array(Type.Object({ port: Type.Integer(), visibility: stringEnum(VISIBILITIES), url: Type.String() })),
    createdAt: dateTime(),
    forkOf: Type.Optional(Type.String({ description: 'the repl this one was forked from' })),
    usage: Type.Optional(ref(UsageSchema)),
    memoryLimitMb: Type.Optional(Type.Integer({ description: "its own memory limit in MiB (a class's per-student limit); absent: the server's (GET /api/runtime, limits.memory)" })),
    alwaysOn: Type.Boolean({ description: 'never stopped for being idle; its app is kept running and restarted after crashes' }),
    queue: Type.Optional(
      Type.Object(
        { position: Type.Integer({ minimum: 1 }), of: Type.Integer({ minimum: 1 }) },
        { description: 'while the server is full: its place in line; it starts by itself when room appears (stop leaves the line)' },
      ),
    ),
  },
  { $id: 'Repl' },
);

export const StackSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    icon: Type.Optional(Type.String({ description: 'URL of the stack icon (SVG)' })),
    port: Type.Optional(Type.Integer()),
    available: Type.Boolean(),
    reason: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
  },
  { $id: 'Stack' },
);

export const FileEntrySchema = Type.Object(
  {
    name: Type.String(),
    type: stringEnum(['file', 'directory', 'symlink', 'other']),
    size: Type.Integer(),
    modifiedAt: dateTime(),
  },
  { $id: 'FileEntry' },
);

export const ExecResultSchema = Type.Object(
  {
    exitCode: nullable(Type.Integer()),
    signal: nullable(Type.String()),
    stdout: Type.String(),
    stderr: Type.String(),
    timedOut: Type.Boolean(),
    truncated: Type.Boolean(),
    durationMs: Type.Integer(),
  },
  { $id: 'ExecResult' },
);

/**
 * One event of GET /api/repls/:id/app/logs?follow=true (server-sent events named by `type`):
 * a piece of the app's output, or its Run state. The same frames the agent's log socket sends.
 */
export const LogFrameSchema = Type.Union([
  Type.Object({ type: Type.Literal('output'), stream: stringEnum(['stdout', 'stderr', 'system'] as const), data: Type.String(), at: dateTime() }),
  Type.Object({ type: Type.Literal('state'), app: ref(AppStateSchema) }),
]);
/** The last event of a followed log: why it ended (the repl stopped, or the reader fell behind). */
export const LogEndSchema = Type.Object({ reason: Type.String() });

const LimitSchema = Type.Object({ enforced: Type.Boolean(), value: Type.Optional(Type.Integer()), mechanism: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) });

export const RuntimeSchema = Type.Object(
  {
    driver: Type.String(),
    sandbox: Type.String(),
    network: Type.String(),
    uidPerRepl: Type.Boolean(),
    limits: Type.Object({ processes: LimitSchema, openFiles: LimitSchema, memory: LimitSchema, cpu: LimitSchema, disk: LimitSchema }),
  },
  { $id: 'Runtime' },
);

export const AdminReplSchema = Type.Object({
  id: Type.String(),
  owner: Type.String({ description: 'the account id' }),
  ownerEmail: Type.Optional(Type.String({ description: "the owner's address (none for an anonymous account)" })),
  name: Type.String(),
  stack: Type.String(),
  status: stringEnum(REPL_STATUSES),
  usage: Type.Optional(ref(UsageSchema)),
  memoryLimitMb: Type.Optional(Type.Integer({ description: "its own memory limit in MiB (a class's per-student limit); absent: the server's" })),
  oomKills: Type.Optional(Type.Integer({ description: "processes the kernel's OOM killer ended in it (its own memory limit)" })),
});

export const ServerSchema = Type.Object(
  {
    runtime: Type.String({ description: 'the runtime driver' }),
    capacity: Type.Object({
      memoryBytes: Type.Number({ description: 'memory repls and warm sandboxes may use together' }),
      reserveBytes: Type.Number({ description: 'kept out of it for everything else' }),
      source: stringEnum(['measured', 'configured'] as const),
      cpus: Type.Integer({ description: 'cores (CPU is reported, not an admission limit)' }),
      estimateBytes: Type.Number({ description: 'what a starting repl counts at' }),
    }),
    use: Type.Object({
      chargedBytes: Type.Number({ description: 'what counts against the capacity now (starting repls at least the estimate)' }),
      warmBytes: Type.Number(),
      availableBytes: Type.Optional(Type.Number({ description: "the machine's MemAvailable now" })),
      cpuPercent: Type.Number({ description: 'CPU of every repl and warm sandbox together; 100 is one core' }),
      startFits: Type.Boolean({ description: 'whether one more start would be admitted now' }),
    }),
    queue: Type.Array(Type.Object({ replId: Type.String(), owner: Type.String(), position: Type.Integer(), since: dateTime() }), { description: 'starts waiting for room, first first' }),
    repls: Type.Array(AdminReplSchema, { description: 'every repl that is not stopped, of every account' }),
    warm: Type.Array(Type.Object({ sandboxId: Type.String(), stack: Type.String(), usage: Type.Optional(ref(UsageSchema)) }), { description: 'warm-pool sandboxes (the first to go when room is needed)' }),
  },
  { $id: 'Server', description: 'What this server holds (admin view)' },
);

/** Every model, registered once on the server (`app.addSchema`) before the routes that point at them. */
export const MODELS = [RuntimeSchema, ErrorSchema, AppStateSchema, SyncStatusSchema, UsageSchema, ReplSchema, ServerSchema, StackSchema, FileEntrySchema, ExecResultSchema];

export type ApiErrorBody = Static<typeof ErrorSchema>;
export type AppState = Static<typeof AppStateSchema>;
export type SyncStatus = Static<typeof SyncStatusSchema>;
export type Repl = Static<typeof ReplSchema>;
export type ReplStatus = Repl['status'];
export type Visibility = Repl['ports'][number]['visibility'];
export type PortSetting = Static<typeof PortSettingSchema>;
export type Stack = Static<typeof StackSchema>;
export type FileEntry = Static<typeof FileEntrySchema>;
export type ExecResult = Static<typeof ExecResultSchema>;
export type LogFrame = Static<typeof LogFrameSchema>;
export type LogEnd = Static<typeof LogEndSchema>;
export type Usage = Static<typeof UsageSchema>;
export type Server = Static<typeof ServerSchema>;
/** GET /api/runtime: what this host enforces (limits.memory.value: one repl's memory limit in bytes, when the runtime has one). */
export type Runtime = Static<typeof RuntimeSchema>;
export type AdminRepl = Static<typeof AdminReplSchema>;
