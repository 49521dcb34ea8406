import type { Generated } from 'kysely';
import type { GradeResultsTable, GradeRunsTable, SubmissionsTable } from './submission-schema.js';

/**
 * The tables as Kysely sees them, the same on SQLite and PostgreSQL: text for ids, ISO times and
 * JSON (one representation both dialects compare and sort alike), bigint milliseconds for expiry.
 * Later record kinds (classes, rosters, audit) add their tables here and a migration beside them.
 */
export interface Tables {
  accounts: AccountsTable;
  legacy_tokens: LegacyTokensTable;
  sessions: SessionsTable;
  invites: InvitesTable;
  repls: ReplsTable;
  tickets_used: TicketsUsedTable;
  meta: MetaTable;
  repl_activity: ReplActivityTable;
  api_tokens: ApiTokensTable;
  device_codes: DeviceCodesTable;
  audit_events: AuditEventsTable;
  identities: IdentitiesTable;
  oidc_flows: OidcFlowsTable;
  classes: ClassesTable;
  class_students: ClassStudentsTable;
  submissions: SubmissionsTable;
  grade_runs: GradeRunsTable;
  grade_results: GradeResultsTable;
  repl_secrets: ReplSecretsTable;
}

/** A repl's secret: `value` is the encrypted envelope (secrets/secret-cipher.ts), never the plaintext. */
export interface ReplSecretsTable {
  repl_id: string;
  name: string;
  value: string;
  updated_at: string;
}

/** An OpenID provider's user (issuer + subject) and the account it signs in to. */
export interface IdentitiesTable {
  issuer: string;
  subject: string;
  account_id: string;
  /** The provider's id in CODEYARD_OIDC_PROVIDERS when it was linked (for display). */
  provider: string;
  /** The address the provider gave at the last sign-in (for display; never used to find the account). */
  email: string | null;
  created_at: string;
  last_signin_at: string;
}

/** An OpenID Connect sign-in under way, found by the SHA-256 of the browser's flow cookie; used once. */
export interface OidcFlowsTable {
  id_hash: string;
  provider: string;
  state: string;
  nonce: string;
  code_verifier: string;
  link_account: string | null;
  invite: string | null;
  created_at: string;
  /** Milliseconds since the epoch. */
  expires_at: number | bigint | string;
}

/**
 * A person (or, from anonymous mode and older data folders, an anonymous browser). Flags are
 * integers (SQLite has no boolean). `email_key` is the email lowercased: the unique key, so
 * two spellings of one address cannot make two accounts.
 */
export interface AccountsTable {
  id: string;
  created_at: string;
  email: string | null;
  email_key: string | null;
  email_verified: Generated<number>;
  name: string | null;
  /** `admin`, `teacher` or `member`. */
  role: Generated<string>;
  /** `scrypt$N$r$p$salt$hash` (base64url), or null: no password sign-in (owner, anonymous, OpenID Connect). */
  password_hash: string | null;
  disabled: Generated<number>;
  /** 1: made by `POST /api/session` (anonymous mode, or a data folder from before accounts). */
  anonymous: Generated<number>;
  /** Repls this account may keep always on, set by the admin; null: CODEYARD_ALWAYS_ON_PER_ACCOUNT. */
  always_on_allowance: Generated<number | null>;
  /** Repls this account may have, set by the admin; null: CODEYARD_MAX_REPLS_PER_ACCOUNT. */
  max_repls: Generated<number | null>;
  /** Repls of this account running at once, set by the admin; null: CODEYARD_MAX_RUNNING_PER_ACCOUNT. */
  max_running: Generated<number | null>;
}

/** The `cy_` tokens of anonymous accounts: only each token's SHA-256 is kept. */
export interface LegacyTokensTable {
  token_hash: string;
  account_id: string;
}

/** Browser sessions (`cys_` cookies): only each token's SHA-256 is kept. */
export interface SessionsTable {
  id: string;
  token_hash: string;
  account_id: string;
  created_at: string;
  last_seen_at: string;
  /** Milliseconds since the epoch. */
  expires_at: number | bigint | string;
  user_agent: string | null;
  address: string | null;
  /** When it was signed out or revoked; null while valid. */
  revoked_at: string | null;
}

/** Single-use invitations to sign up (`cyi_` tokens, only the SHA-256 kept). */
export interface InvitesTable {
  id: string;
  token_hash: string;
  /** The address the invite is for (lowercased in email_key), or null: anyone holding the link. */
  email: string | null;
  email_key: string | null;
  /** The role the new account gets. */
  role: string;
  /** The inviting account's id, or `server` for the first admin's invite printed at start. */
  created_by: string;
  created_at: string;
  /** Milliseconds since the epoch. */
  expires_at: number | bigint | string;
  used_at: string | null;
  used_by: string | null;
}

export interface ReplsTable {
  id: string;
  owner: string;
  name: string;
  stack: string;
  created_at: string;
  template_version: string;
  /** The stack manifest as it was when the repl was made (JSON). */
  manifest: string;
  /** Preview ports whose visibility the owner set: `{"3001":"public"}` (JSON). */
  ports: string;
  /** `{"forkOf":…}` or `{"imported":true}` (JSON), null for a repl made from a template. */
  origin: string | null;
  /** 1: always on (never idle-stopped, its app kept running); 0 otherwise. */
  always_on: Generated<number>;
  /** Whose always-on allowance it uses while always on (the owner, or the teacher of the class that made it so); null otherwise. */
  always_on_by: Generated<string | null>;
  /** Its own memory limit in MiB (a class's per-student limit); null: the server's and its stack's. */
  memory_mb: Generated<number | null>;
  /** Its secrets' revision (migration 015), bumped with every secret written or deleted; 0: never had one. Not part of the record. */
  secrets_revision: Generated<number>;
  /** Bumped by every update: the compare in compare-and-set. */
  version: Generated<number>;
}

/** Ticket nonces redeemed and not yet expired: a row means "used". */
export interface TicketsUsedTable {
  nonce: string;
  /** Milliseconds since the epoch; the row is swept after it (the ticket is refused as expired anyway). */
  expires_at: number | bigint | string;
}

/** One-off facts about this database, e.g. that the store's old record objects were imported. */
export interface MetaTable {
  key: string;
  value: string;
}

/** The newest activity any portal saw on a repl (milliseconds since the epoch). */
export interface ReplActivityTable {
  repl_id: string;
  last_active_at: number | bigint | string;
}

/** Personal API tokens (`cyp_…`): only the token's SHA-256 is kept. */
export interface ApiTokensTable {
  id: string;
  token_hash: string;
  account_id: string;
  name: string;
  /** The scopes, a JSON array (`["read","write"]`). */
  scopes: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Device sign-ins waiting for, or given, the user's answer; the codes only as SHA-256. */
export interface DeviceCodesTable {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  client: string;
  name: string;
  address: string;
  created_at: number | bigint | string;
  expires_at: number | bigint | string;
  interval_seconds: number;
  last_poll_at: number | bigint | string | null;
  status: Generated<string>;
  account_id: string | null;
  token_id: string | null;
}

/** The audit log: one row per thing that happened (see audit/audit.ts, its only writer). */
export interface AuditEventsTable {
  id: string;
  /** ISO time. */
  at: string;
  kind: string;
  account_id: string | null;
  credential_kind: string | null;
  credential_id: string | null;
  target_type: string | null;
  target_id: string | null;
  target_account: string | null;
  address: string | null;
  /** A JSON object. */
  details: Generated<string>;
}

/** A teacher's class (issue #15). */
export interface ClassesTable {
  id: string;
  /** The teaching account's id. */
  teacher: string;
  name: string;
  /** `{"stack":"node"}` or `{"repl":"<id>","stack":"node"}` (JSON). */
  starter: string;
  /** The class join code (`K7QM-2XPD`), null when turned off. */
  code: string | null;
  due_at: string | null;
  /** Per-student limits (JSON, `{}`: the server's). */
  limits: Generated<string>;
  created_at: string;
}

/** A roster row: one student of a class and the repl made for them. */
export interface ClassStudentsTable {
  id: string;
  class_id: string;
  name: string;
  email: string | null;
  /** The address lowercased (unique per class). */
  email_key: string | null;
  student_ref: string | null;
  /** The account that joined as this student; null until then. */
  account_id: string | null;
  repl_id: string;
  /** SHA-256 (hex) of the join link's secret; null once revoked. */
  link_hash: string | null;
  joined_at: string | null;
  created_at: string;
}
