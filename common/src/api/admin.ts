/**
 * The admin page's API (issue #14): users, server settings and the audit log, as TypeBox
 * schemas the portal validates with and the web UI takes its types from. Every route is under
 * `/api/admin/` (admin accounts with the `admin` scope, or the machine's admin token).
 */
import { type Static, Type } from 'typebox';
import { ROLES } from './auth.js';
import { ACTOR_KINDS, type ActorKind, AUDIT_KINDS } from './audit-kinds.js';
import { nullable, stringEnum } from './models.js';

export { ACTOR_KINDS, type ActorKind, AUDIT_KINDS, type AuditKind } from './audit-kinds.js';

const strict = { additionalProperties: false } as const;
const dateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: dateTime(),
  kind: stringEnum(AUDIT_KINDS),
  account: nullable(Type.String({ description: 'the acting account (null: the admin token, or nobody signed in, e.g. a failed sign-in)' })),
  accountEmail: nullable(Type.String({ description: "the acting account's address now" })),
  credential: Type.Unsafe<ActorKind | null>({ type: ['string', 'null'], enum: [...ACTOR_KINDS, null], description: 'how the actor signed in' }),
  credentialId: nullable(Type.String({ description: 'the session or token id (never the secret)' })),
  targetType: nullable(Type.String({ description: 'account, repl, token, device, class' })),
  targetId: nullable(Type.String()),
  targetAccount: nullable(Type.String({ description: 'whose the target is (the owner of the repl, the account changed)' })),
  address: nullable(Type.String({ description: 'the client address (behind a trusted proxy, the visitor\'s)' })),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export const AUDIT_FORMATS = ['json', 'csv', 'jsonl'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];
/** The most events one page of the list holds. */
export const AUDIT_PAGE_MAX = 200;

export const AuditQuery = Type.Object(
  {
    format: Type.Optional(stringEnum(AUDIT_FORMATS, { description: 'json (a page, default), csv or jsonl (every matching event, a download)' })),
    since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date or date-time: events at or after it' })),
    until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date or date-time: events before it' })),
    kind: Type.Optional(Type.String({ maxLength: 40, pattern: '^[a-z.-]+$', description: 'a kind, or a prefix ending in a dot (`admin.`)' })),
    account: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'events by this account or about it' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX, description: 'events per page (default 50)' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
  },
  strict,
);

export const AuditPageReply = Type.Object({
  events: Type.Array(AuditEventSchema, { description: 'newest first' }),
  next: nullable(Type.String({ description: 'cursor of the next (older) page; null: the last page' })),
  retentionDays: Type.Integer({ description: 'events older than this are deleted (CODEYARD_AUDIT_DAYS)' }),
});

/** One of an account's limits: the value in effect, and the admin's own setting for it. */
const LimitSchema = (what: string, variable: string) =>
  Type.Object({
    value: Type.Integer({ description: `${what} now` }),
    override: nullable(Type.Integer({ description: `the admin's setting; null: ${variable} applies` })),
  });

/** Bounds of an account's own limits: the same as the server-wide settings'. */
export const LIMIT_BOUNDS = { repls: { minimum: 1, maximum: 1_000_000 }, running: { minimum: 1, maximum: 10_000 } } as const;

export const AdminUserSchema = Type.Object({
  id: Type.String(),
  email: nullable(Type.String()),
  name: nullable(Type.String()),
  role: stringEnum(ROLES),
  disabled: Type.Boolean(),
  anonymous: Type.Boolean({ description: 'an account of anonymous mode (a browser, not a person)' }),
  createdAt: dateTime(),
  lastSignInAt: nullable(dateTime('the newest browser session it started; null: none')),
  repls: Type.Integer({ description: 'repls it owns' }),
  running: Type.Integer({ description: 'of them, not stopped on this server now' }),
  alwaysOn: Type.Object({
    allowance: Type.Integer({ description: 'repls it may keep always on now' }),
    override: nullable(Type.Integer({ description: "the admin's setting; null: CODEYARD_ALWAYS_ON_PER_ACCOUNT applies" })),
  }),
  limits: Type.Object({
    repls: LimitSchema('repls it may have', 'CODEYARD_MAX_REPLS_PER_ACCOUNT'),
    running: LimitSchema('repls it may run at once', 'CODEYARD_MAX_RUNNING_PER_ACCOUNT'),
  }),
});

export const AdminUsersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 254, description: 'part of the address, name or id' })),
    anonymous: Type.Optional(Type.Boolean({ description: 'false: people only; true: anonymous accounts only' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 100' })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  strict,
);

export const AdminUsersReply = Type.Object({ users: Type.Array(AdminUserSchema, { description: 'oldest first' }), total: Type.Integer() });

/** PATCH /api/admin/users/:id: a new role, disabled or enabled, or both. */
export const AdminUserChangeBody = Type.Object({ role: Type.Optional(stringEnum(ROLES)), disabled: Type.Optional(Type.Boolean()) }, { ...strict, minProperties: 1 });

/** PUT /api/admin/users/:id/password: a new password for an account that signs in with its address. */
export const AdminPasswordBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 256, description: 'at least 8 characters; not the address' }) }, strict);

/** PUT /api/admin/users/:id/limits: the account's own limits (a number), or the server's default again (null); fields left out stay. */
export const AdminLimitsBody = Type.Object(
  {
    repls: Type.Optional(nullable(Type.Integer({ ...LIMIT_BOUNDS.repls, description: 'repls it may have; null: CODEYARD_MAX_REPLS_PER_ACCOUNT' }))),
    running: Type.Optional(nullable(Type.Integer({ ...LIMIT_BOUNDS.running, description: 'repls it may run at once; null: CODEYARD_MAX_RUNNING_PER_ACCOUNT' }))),
  },
  { ...strict, minProperties: 1 },
);

export const ServerSettingSchema = Type.Object({
  key: Type.String({ description: 'the setting as the portal holds it' }),
  variables: Type.Array(Type.Object({ name: Type.String(), default: Type.String(), help: Type.String() })),
  value: Type.Unknown({ description: 'the value in effect (secrets as "[redacted]")' }),
  isDefault: Type.Boolean({ description: 'the value is the default (nothing set, or set to the default)' }),
});
export const ServerSettingsReply = Type.Object({ settings: Type.Array(ServerSettingSchema) });

export type AuditEvent = Static<typeof AuditEventSchema>;
export type AuditQueryParams = Static<typeof AuditQuery>;
export type AuditPage = Static<typeof AuditPageReply>;
export type AdminUser = Static<typeof AdminUserSchema>;
export type AdminUsers = Static<typeof AdminUsersReply>;
export type AdminUserChange = Static<typeof AdminUserChangeBody>;
export type AdminLimits = Static<typeof AdminLimitsBody>;
export type ServerSetting = Static<typeof ServerSettingSchema>;
export type ServerSettings = Static<typeof ServerSettingsReply>;
