/**
 * The audit log's kinds of events and of actors: plain constants (no TypeBox), so the web UI can
 * bundle them for its filters without the schema library. common/api/admin.ts builds on them.
 */
/**
 * What the audit log records, one kind per thing that happened. The Audit service
 * (portal/src/audit/audit.ts) is the only writer; the routes where each happens call it.
 */
export const AUDIT_KINDS = [
  /** A browser signed in (any way: password, owner link, OpenID Connect, sign-up). */
  'signin',
  /** A sign-in was refused (wrong password, unknown address, disabled account, bad owner code, an OpenID sign-in that failed). */
  'signin.failed',
  'signout',
  /** An OpenID provider's user was linked to an account (connected by its signed-in user, or matched by a verified address or made at a first sign-in). */
  'identity.link',
  /** A provider was disconnected from an account by its signed-in user (it no longer signs in to it). */
  'identity.unlink',
  /** A personal API token was made (from the page, the API, or a device sign-in). */
  'token.create',
  'token.revoke',
  /** A token was used (at most once a minute per token: with its last-use write). */
  'token.use',
  'device.approve',
  'device.deny',
  /** An admin changed an account's role. */
  'admin.role',
  'admin.disable',
  'admin.enable',
  /** An admin set an account's password (never written anywhere but as its hash). */
  'admin.password',
  /** An admin set (or reset) an account's always-on allowance. */
  'admin.allowance',
  /** An admin set (or reset) an account's limits (repls it may have, repls it may run at once). */
  'admin.limits',
  /** An admin stopped a repl (someone else's, or their own from the admin page). */
  'admin.repl-stop',
  /** An admin opened the IDE of a repl they do not own. */
  'admin.ide-open',
  /** A teacher made a class (its roster and one repl per student). */
  'class.create',
  /** A teacher (or an admin) deleted a class: its unjoined repls with it; joined students keep theirs. */
  'class.delete',
  /** A student joined a class (by link or class code): the student repl became theirs. */
  'class.join',
  /** A teacher (or an admin) opened a student's IDE through the class. */
  'class.ide-open',
  /** A teacher reset a student's repl to the starter. */
  'class.reset',
  /** A teacher wrote a file into every student repl of a class. */
  'class.push',
  /** A teacher revoked a student's join link. */
  'class.link-revoke',
  /** A teacher left a feedback file in a student's repl. */
  'class.feedback',
  /** A teacher started an autograde run. */
  'class.grade',
  /** A teacher downloaded a class's workspaces or submissions. */
  'class.collect',
  /** A teacher opened a student's submitted version: its first read by each teacher (files read in it within 30 minutes are not recorded again), and every archive download. */
  'class.submission-open',
  /** A repl's owner set a secret (its name is recorded, never its value). */
  'repl.secret-set',
  /** A repl's owner deleted a secret. */
  'repl.secret-delete',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** How the actor proved who they were: an account's credential, or the machine's admin token. */
export const ACTOR_KINDS = ['legacy', 'session', 'token', 'admin-token'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

