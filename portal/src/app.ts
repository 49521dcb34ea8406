import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { originFor, type PublicOrigin } from '@codeyard/common/hostnames';
import { GrantSigner } from '@codeyard/common/tickets';
import { Accounts } from './accounts/accounts.js';
import { CredentialRevocations } from './accounts/credential-revocations.js';
import { Invites } from './accounts/invites.js';
import { OwnerLink } from './accounts/owner.js';
import { Sessions } from './accounts/sessions.js';
import { AdminUsers } from './admin/admin-users.js';
import { serverSettings } from './admin/server-settings.js';
import { ReplSecrets } from './secrets/repl-secrets.js';
import { SecretCipher } from './secrets/secret-cipher.js';
import { secretRoutes } from './api/routes/secrets.js';
import { Audit } from './audit/audit.js';
import { isClassOwner } from './classes/class-provisioning.js';
import { type Classes, setUpClasses } from './classes/classes-setup.js';
import { classRoutes } from './api/routes/classes.js';
import { joinPublicRoutes, joinRoutes } from './api/routes/join.js';
import { isReplId } from '@codeyard/common/repl-id';
import { adminAuth } from './api/admin-auth.js';
import { auth, type CredentialResolver } from './api/auth.js';
import type { ApiContext } from './api/context.js';
import { legacyResolver, sessionResolver } from './api/credential-resolvers.js';
import { errorHandling } from './api/errors.js';
import { openapi } from './api/openapi.js';
import { adminRoutes } from './api/routes/admin.js';
import { adminAuditRoutes } from './api/routes/admin-audit.js';
import { adminUserRoutes } from './api/routes/admin-users.js';
import { archiveRoutes } from './api/routes/archives.js';
import { appLogRoutes } from './api/routes/app-logs.js';
import { authRoutes } from './api/routes/auth.js';
import { identityRoutes } from './api/routes/identities.js';
import { oidcRoutes } from './api/routes/oidc.js';
import { identityRouteDeps, oidcRouteDeps } from './api/oidc-wiring.js';
import { OidcProviders } from './accounts/oidc/oidc-providers.js';
import { eventRoutes } from './api/routes/events.js';
import { fileRoutes } from './api/routes/files.js';
import { gradingRoutes } from './api/routes/grading.js';
import { healthRoutes, runtimeRoutes } from './api/routes/health.js';
import { inviteRoutes } from './api/routes/invites.js';
import { meRoutes } from './api/routes/me.js';
import { openPage } from './api/routes/open.js';
import { portRoutes } from './api/routes/ports.js';
import { replRoutes } from './api/routes/repls.js';
import { runRoutes } from './api/routes/run.js';
import { sessionRoutes } from './api/routes/session.js';
import { submissionRoutes } from './api/routes/submissions.js';
import { deviceApprovalRoutes, deviceRoutes } from './api/routes/device.js';
import { tokenRoutes } from './api/routes/tokens.js';
import { stackIcons, stackRoutes } from './api/routes/stacks.js';
import { usageRoutes } from './api/routes/usage.js';
import { SignInLimits } from './api/sign-in-limits.js';
import type { Config } from './config.js';
import { CapacityGate, unlimitedCapacity } from './capacity/capacity-gate.js';
import { machineCapacity, readMachineMemory } from './capacity/machine.js';
import { type Database, openPortalDatabase } from './db/open-database.js';
import { createHosting } from './http/hosting.js';
import { replProxy } from './http/portal-proxy.js';
import { idleStop } from './idle/idle-stop.js';
import { idleIntervalMs } from './idle/idle-sweeper.js';
import { AlwaysOn } from './repls/always-on.js';
import { type ReplRecord, ReplService } from './repls/repl-service.js';
import { linkWorkToClasses, workParts } from './submissions/work-parts.js';
import { classIdeInfo } from './classes/class-ide-info.js';
import type { Runtime } from './runtime/runtime.js';
import type { ObjectStore } from './store/object-store.js';
import type { WorkspaceStore } from './store/workspace-store.js';
import type { Template } from './templates/catalog.js';
import { ApiTokens } from './tokens/api-tokens.js';
import { DeviceFlow } from './tokens/device-flow.js';
import { serveUi } from './ui/serve-ui.js';

/** How often a portal deletes audit events past their retention. */
const AUDIT_SWEEP_MS = 3600_000;

/** Everything the portal is built from; {@link createCodeyard} opens them from the config. */
export interface PortalDeps {
  config: Readonly<Config>;
  store: ObjectStore;
  /** The same workspace view of the store the runtime syncs through. */
  workspaces: WorkspaceStore;
  runtime: Runtime;
  templates: readonly Template[];
  signingKey: Buffer;
  log: Logger;
  /** The records' database; opened from the config when absent. Closed with the portal either way. */
  database?: Database;
  /** The admin token (see api/admin-auth.ts); without one, every admin route is refused. */
  adminToken?: string;
  /** The clock of expiring credentials (API tokens, device sign-ins); tests move it. */
  clock?: () => number;
}

export interface Portal {
  app: FastifyInstance;
  /** The full HTTP server (portal API, pages, the proxy's slow path). */
  server: http.Server;
  /** Listens on the public port: the fast path for repl traffic in front of `server`. */
  listen(port: number, host: string): Promise<void>;
  /** Connections the proxy's fast path has taken so far. */
  fastConnections(): number;
  repls: ReplService;
  /** Classes (issue #15): the service (its `extras` hook is the work part's) and the live rows. */
  classes: Classes;
  database: Database;
  /** Sign-in: the accounts, browser sessions, invites and the owner link (see accounts/). */
  auth: { accounts: Accounts; sessions: Sessions; invites: Invites; owner: OwnerLink };
  publicOrigin: PublicOrigin;
  /** Portal origin, e.g. http://localhost:8080. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Builds the portal and, on the same server, the proxy for repl hosts, from dependencies that
 * are already open (the records' database is opened here when not given: it needs the store, to
 * move an older data folder's records in). Nothing listens yet: `listen()` does (tests listen on port 0).
 *
 * The app is a set of Fastify plugins, one per concern: error answers (api/errors.ts), the
 * models and the OpenAPI document (api/openapi.ts), who the caller is (api/auth.ts), one routes
 * file per resource (api/routes/*), the dashboard (ui/serve-ui.ts); the proxy hosting
 * (http/hosting.ts) is the server Fastify runs on.
 */
export async function buildPortal(deps: PortalDeps): Promise<Portal> {
  const { config, runtime, log } = deps;
  const publicOrigin: PublicOrigin = { domain: config.domain, previewDomain: config.previewDomain, scheme: config.publicScheme, port: config.publicPort };
  const origin = originFor(config.domain, publicOrigin);
  const signer = new GrantSigner(deps.signingKey);
  const templates = new Map(deps.templates.map((t) => [t.manifest.id, t]));
  const database = deps.database ?? (await openPortalDatabase(config, deps.store, log));
  const accounts = new Accounts(database.accounts, database.sessions);
  const sessions = new Sessions(database.sessions, { ttlMs: config.signinTtlMs });
  const invites = new Invites(database.invites, origin);
  const owner = new OwnerLink({ meta: database.meta, accounts, repls: database.repls, log });
  const audit = new Audit({ repository: database.audit, retentionMs: config.auditRetentionMs, now: deps.clock, log });
  const tokens = new ApiTokens({
    repository: database.apiTokens,
    accounts,
    now: deps.clock,
    // With the last-use write (once a minute per token, on the portal whose write won).
    onUse: (use) => void audit.record({ kind: 'token.use', actor: { accountId: use.accountId, credential: { kind: 'token', id: use.tokenId } }, target: { type: 'token', id: use.tokenId, account: use.accountId }, address: use.address, details: { name: use.name } }),
  });
  const deviceFlow = new DeviceFlow({ repository: database.deviceCodes, tokens, accounts, portalOrigin: origin, now: deps.clock });
  // Credentials by the prefix of their secret (api/auth.ts): browser sessions and API tokens
  // always, anonymous accounts' tokens only in anonymous mode.
  const resolvers: CredentialResolver[] = [sessionResolver(sessions), tokens.resolver()];
  if (config.authMode === 'anonymous') resolvers.push(legacyResolver(accounts));
  // On one machine the portal admits starts against it; on a cluster the scheduler does (nothing refused here).
  const capacity = new CapacityGate({
    runtime,
    ...(runtime.admission === 'scheduler'
      ? unlimitedCapacity()
      : {
          capacity: machineCapacity({ configuredBytes: config.capacityMemoryBytes, reserveBytes: config.reserveMemoryBytes }),
          estimateBytes: config.replMemoryEstimateBytes,
          limitBytes: config.limitMemoryBytes,
          machine: () => readMachineMemory(),
        }),
    log,
  });
  log.info({ capacity: capacity.snapshotCapacity() }, 'capacity for repls on this machine');
  // What the work part keeps of a repl (submissions), deleted with it; filled by workParts().
  const alsoRemove: Array<(id: string) => Promise<unknown>> = [];
  // Repl secrets: owner-only, encrypted under the signing key, given to the agent after every start (secrets/).
  const secrets: ReplSecrets = new ReplSecrets({
    repository: database.secrets,
    cipher: new SecretCipher(deps.signingKey),
    runtime,
    owned: (owner: string, id: string): Promise<ReplRecord> => repls.get(owner, id),
    ...(deps.clock ? { now: deps.clock } : {}),
    followRuns: config.role !== 'proxy',
    log,
  });
  const repls = new ReplService({
    store: deps.store,
    records: database.repls,
    workspaces: deps.workspaces,
    runtime,
    templates,
    signer,
    publicOrigin,
    ticketTtlMs: config.ticketTtlMs,
    limits: { repls: config.maxReplsPerAccount, running: config.maxRunningPerAccount, workspaceBytes: config.limitDiskBytes, importEntries: config.importMaxEntries, fileBytes: config.maxFileBytes },
    accountQuotas: (owner) => database.accounts.quotas(owner),
    capacity,
    log,
    alsoRemove,
    ideExtras: classIdeInfo(database.classes),
    afterStart: (id: string): Promise<void> => secrets.delivery.deliver(id),
  });
  const idle = idleStop(deps, repls, database);
  // Submissions, autograde and collect (issue #15): see submissions/work-parts.ts.
  const work = workParts({ config, database, repls, alsoRemove, runtime, store: deps.store, workspaces: deps.workspaces, audit, now: deps.clock, activity: idle.tracker, log });
  // A proxy replica (CODEYARD_ROLE=proxy) acts on no repl by itself: the portal replicas start
  // always-on apps, stop idle repls and work the grade queue; its tracker still writes the activity it sees for them.
  const acts = config.role !== 'proxy';
  const alwaysOn = new AlwaysOn({ records: database.repls, accounts: database.accounts, runtime, perAccount: config.alwaysOnPerAccount, followStarts: acts, beforeApp: (id) => secrets.delivery.deliver(id, { retry: false }), log });
  // Host cookies are signed grants the proxy checks without the database; signing out reaches them through this list.
  const revocations = new CredentialRevocations({ source: database, windowMs: config.sessionTtlMs, log });
  await revocations.start();
  const proxy = replProxy(deps, {
    repls,
    capacity,
    signer,
    publicOrigin,
    tickets: database.tickets,
    activity: idle.tracker,
    ownerActive: async (id) => isClassOwner(id) || (await accounts.byId(id))?.disabled === false,
    revoked: revocations.revoked,
  });
  const adminUsers = new AdminUsers({ directory: database.users, accounts, sessions: database.sessions, repls, runtime, alwaysOnPerAccount: config.alwaysOnPerAccount, quotas: database.accounts, defaultLimits: { repls: config.maxReplsPerAccount, running: config.maxRunningPerAccount }, now: deps.clock, log });
  const classes = setUpClasses({ database, repls, accounts, workspaces: deps.workspaces, store: deps.store, runtime, templates, portalOrigin: origin, limits: { memoryBytes: config.limitMemoryBytes, fileBytes: config.maxFileBytes, workspaceBytes: config.limitDiskBytes }, alwaysOnAllowance: (id) => alwaysOn.allowance(id), log });
  const unlinkWork = linkWorkToClasses(work, classes);
  // Pooled connections to a repl's sockets die with it; a restarted repl gets fresh ones.
  const unwatch = runtime.watch((id, status) => {
    if (status.state !== 'running') proxy.forget(`/${id}/`);
  });

  const hosting = createHosting({ proxy, publicOrigin, origin, fastPath: config.proxyFastPath, log });
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // X-Forwarded-For is believed only from the reverse proxies named in CODEYARD_TRUSTED_PROXIES
    // (request.ip is then the visitor's address: the rate limits count visitors, not the proxy).
    trustProxy: config.trustedProxies.length ? [...config.trustedProxies] : false,
    // Unknown fields are an error the client should hear about, not something dropped quietly.
    ajv: { customOptions: { removeAdditional: false } },
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: hosting.serverFactory,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Only the body types the API documents are parsed: JSON here, raw bytes in the files and
  // import routes. Fastify's default text/plain parser would let a cross-site HTML form (which
  // may send text/plain without a preflight) reach a route; it answers 415 instead.
  app.removeContentTypeParser('text/plain');

  const oidcProviders = new OidcProviders(config.oidcProviders, origin);
  const context: ApiContext = {
    oidcProviders: oidcProviders.list(),
    accounts,
    sessions,
    invites,
    owner,
    authMode: config.authMode,
    signup: config.signup,
    signInLimits: new SignInLimits({ perAddressPerMinute: config.signinsPerMinute, perAccountPerHour: config.signinsPerAccountPerHour, signupsPerHour: config.signupsPerHour }),
    signinTtlMs: config.signinTtlMs,
    repls,
    secrets,
    alwaysOn,
    activity: idle.tracker,
    capacity,
    runtime,
    store: deps.store,
    templates,
    portalOrigin: origin,
    secureCookies: config.publicScheme === 'https',
    maxFileBytes: config.maxFileBytes,
    importMaxBytes: config.importMaxBytes,
    sessionsPerMinute: config.sessionsPerMinute,
    tokens,
    deviceFlow,
    deviceCodesPerMinute: config.deviceCodesPerMinute,
    audit,
    adminUsers,
    serverSettings: () => serverSettings(config),
  };
  const classContext = { ...context, classes: classes.service, classEvents: classes.events, notices: classes.notices, workspaces: deps.workspaces, workspaceBytes: config.limitDiskBytes };
  await app.register(errorHandling);
  await app.register(openapi);
  // The portal host's WebSocket handshakes, routed like requests (see http/hosting.ts).
  await app.register(websocket, { options: { server: hosting.portalUpgrades, maxPayload: 64 * 1024 } });
  await app.register(auth, { resolvers, authMode: config.authMode, portalOrigin: origin, secureCookies: context.secureCookies });
  // Before any route: its onRequest hook guards everything under /api/admin/, wherever registered.
  await app.register(adminAuth, { token: deps.adminToken, portalOrigin: origin });

  // No account needed: the session and sign-in routes make one; pages check the caller themselves.
  await app.register(sessionRoutes, context);
  await app.register(authRoutes, context);
  // The device's side of device sign-in: it has no account yet.
  await app.register(deviceRoutes, context);
  await app.register(oidcRoutes, oidcRouteDeps(context, database, oidcProviders));
  await app.register(healthRoutes, context);
  await app.register(stackIcons, context);
  await app.register(openPage, context);
  // What a join link is for, and sign-up through one: the link is the credential.
  await app.register(joinPublicRoutes, classContext);
  await app.register(serveUi, { dir: fileURLToPath(new URL('../ui/', import.meta.url)) });
  // Admins (an admin account, or the admin token): checked for all of /api/admin/ by the adminAuth plugin above.
  for (const routes of [adminRoutes, adminUserRoutes, adminAuditRoutes]) await app.register(routes, context);

  // Everything else needs an account: one hook in front of every route of this scope.
  await app.register(async (api) => {
    api.addHook('preHandler', api.authenticate);
    // A call on a repl (start, files, exec, Run…) that succeeded is use of it: a stranger's 404 is not.
    api.addHook('onResponse', async (request, reply) => {
      const id = (request.params as { id?: unknown } | undefined)?.id;
      // A deleted repl has nothing left to keep up (and its activity row is gone).
      if (request.method === 'DELETE' && request.routeOptions.url === '/api/repls/:id') return;
      if (isReplId(id) && reply.statusCode < 400) idle.tracker.touch(id);
    });
    for (const routes of [meRoutes, inviteRoutes, stackRoutes, runtimeRoutes, replRoutes, secretRoutes, archiveRoutes, fileRoutes, portRoutes, runRoutes, appLogRoutes, eventRoutes, usageRoutes, tokenRoutes, deviceApprovalRoutes]) await api.register(routes, context);
    await api.register(identityRoutes, identityRouteDeps(context, database, oidcProviders));
    for (const routes of [classRoutes, joinRoutes]) await api.register(routes, classContext);
    for (const routes of [submissionRoutes, gradingRoutes]) await api.register(routes, { work });
  });

  await app.ready();
  if (acts) idle.sweeper?.start(idleIntervalMs(config.idleStopMs));
  if (acts) work.grader.begin();
  if (acts) audit.startSweeping(AUDIT_SWEEP_MS);

  return {
    app,
    server: hosting.server,
    listen: (port, host) => hosting.listen(port, host),
    fastConnections: () => hosting.fastConnections(),
    repls,
    classes,
    database,
    auth: { accounts, sessions, invites, owner },
    publicOrigin,
    origin,
    async close() {
      unwatch();
      audit.close();
      await idle.sweeper?.close();
      await idle.tracker.close();
      alwaysOn.close();
      secrets.close();
      revocations.close();
      unlinkWork();
      classes.close();
      await work.grader.close();
      repls.close();
      hosting.destroyUpgraded();
      proxy.close();
      await app.close();
      await hosting.close();
      await database.close();
    },
  };
}
