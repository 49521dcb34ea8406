import type { ServerSetting } from '@codeyard/common/api/admin';
import type { AuthMode, SignupMode } from '@codeyard/common/api/auth';
import type { Accounts } from '../accounts/accounts.js';
import type { Invites } from '../accounts/invites.js';
import type { OwnerLink } from '../accounts/owner.js';
import type { Sessions } from '../accounts/sessions.js';
import type { AdminUsers } from '../admin/admin-users.js';
import type { Audit } from '../audit/audit.js';
import type { ActivitySink } from '@codeyard/proxy/repl-proxy';
import type { AlwaysOn } from '../repls/always-on.js';
import type { CapacityGate } from '../capacity/capacity-gate.js';
import type { ReplService } from '../repls/repl-service.js';
import type { ReplSecrets } from '../secrets/repl-secrets.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Template } from '../templates/catalog.js';
import type { ApiTokens } from '../tokens/api-tokens.js';
import type { DeviceFlow } from '../tokens/device-flow.js';
import type { SignInLimits } from './sign-in-limits.js';

/** What the route plugins work with: the services and the few settings routes enforce. */
export interface ApiContext {
  /** OpenID providers the sign-in page lists (CODEYARD_OIDC_PROVIDERS). */
  oidcProviders?: Array<{ id: string; name: string }>;
  accounts: Accounts;
  /** Browser sign-ins (`cys_` cookies). */
  sessions: Sessions;
  invites: Invites;
  owner: OwnerLink;
  /** How people get in (CODEYARD_AUTH) and who may sign up (CODEYARD_SIGNUP). */
  authMode: AuthMode;
  signup: SignupMode;
  signInLimits: SignInLimits;
  /** How long a browser session lasts (the cookie's Max-Age too). */
  signinTtlMs: number;
  repls: ReplService;
  /** Repls' secrets (owner only; values never answered). */
  secrets: ReplSecrets;
  alwaysOn: AlwaysOn;
  /** Where use of a repl is recorded (idle stop); undefined when idle stop is off. */
  activity?: ActivitySink;
  /** Admission against this machine's capacity: the line of waiting starts, what repls use. */
  capacity: CapacityGate;
  runtime: Runtime;
  store: ObjectStore;
  templates: ReadonlyMap<string, Template>;
  /** The portal's origin, e.g. http://localhost:8080. */
  portalOrigin: string;
  secureCookies: boolean;
  maxFileBytes: number;
  importMaxBytes: number;
  sessionsPerMinute: number;
  /** Personal API tokens and device sign-in (issue #14). */
  tokens: ApiTokens;
  deviceFlow: DeviceFlow;
  deviceCodesPerMinute: number;
  /** The audit log (the routes record what happened; issue #14). */
  audit: Audit;
  /** The admin page's accounts: list, role, disable. */
  adminUsers: AdminUsers;
  /** The settings in effect, secrets redacted (the admin page's read-only view). */
  serverSettings(): ServerSetting[];
}
