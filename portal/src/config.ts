import type { AuthMode, SignupMode } from '@codeyard/common/api/auth';
import { ConfigError, type Env, SETTINGS, type Setting } from './config-table.js';
import type { OidcProviderConfig } from './accounts/oidc/provider-config.js';
import type { KubeSettings } from './runtime/kubernetes/kube-settings.js';

export { ConfigError };

/**
 * Everything Codeyard can be told, validated once at start; how each field is read is in
 * config-table.ts. Nothing else reads process.env. Sizes are bytes and durations milliseconds.
 */
export interface Config {
  /** Listening port of the portal + proxy. */
  port: number;
  /** Listening address; loopback unless exposed on purpose. */
  bind: string;
  /** Public origin browsers use. */
  domain: string;
  /** Parent of preview hosts; required (or the same-site opt-in) when the domain is not `localhost`. */
  previewDomain?: string;
  /** The operator accepted previews on the same site as the portal (CODEYARD_PREVIEWS_SAME_SITE). */
  previewsSameSite: boolean;
  publicScheme: 'http' | 'https';
  /** Port in public URLs; undefined for the scheme's default. */
  publicPort?: number;
  /** Who gets in: the owner and whom they invite, email accounts, or anyone (anonymous accounts). */
  authMode: AuthMode;
  /** Who may make an account in `accounts` mode (owner mode is always by invite). */
  signup: SignupMode;
  /** Reverse proxies whose X-Forwarded-For is believed (Fastify's trustProxy): addresses, CIDRs, range names. */
  trustedProxies: string[];
  /** How long a browser session lasts. */
  signinTtlMs: number;
  /** OpenID Connect providers people may sign in with (CODEYARD_OIDC_PROVIDERS); their secrets are redacted in logs. */
  oidcProviders: OidcProviderConfig[];
  /**
   * What this process does besides serving: `all` (npm start, the chart's portal replicas) also runs
   * the jobs that act on repls by themselves (recovery at start, the warm pool, idle stop, always-on
   * apps); `proxy` (the chart's proxy replicas) only serves and records activity.
   */
  role: 'all' | 'proxy';
  /** What runs repls: sandboxed processes here (`process`), or a pod each (`kubernetes`). */
  runtime: 'process' | 'kubernetes';
  /** The `kubernetes` runtime's settings (read, and checked, whichever runtime is chosen). */
  kube: KubeSettings;
  /** `bubblewrap` sandboxes every repl; `off` runs repl processes as plain processes. */
  sandbox: 'bubblewrap' | 'off';
  /** A repl's network: `internet` (HTTP/S out through the filtering egress proxy), `none` (own loopback only) or `host` (shared with the machine). */
  replNetwork: 'internet' | 'none' | 'host';
  /** First host uid given to repl sandboxes when running as root. */
  sandboxUidBase: number;
  /** Tasks (processes + threads) one repl may have. */
  limitProcesses: number;
  /** Open files per process in a repl. */
  limitOpenFiles: number;
  /** Memory of one repl, everything in it together. */
  limitMemoryBytes: number;
  /** CPU time of one repl, in CPUs. */
  limitCpus: number;
  /** Disk space of one workspace. */
  limitDiskBytes: number;
  /** Memory for repls on this machine; 0: MemTotal less the reserve, measured at start. */
  capacityMemoryBytes: number;
  /** Memory kept out of the capacity (the portal, the system, headroom). */
  reserveMemoryBytes: number;
  /** What a starting repl counts at (a typical repl's footprint). */
  replMemoryEstimateBytes: number;
  /** Quiet time after a change before the agent syncs it. */
  syncDebounceMs: number;
  /** Sandboxes kept started ahead per stack (the warm pool); 0 turns it off. */
  warmPool: number;
  /** The load average above which the warm pool waits to refill; the core count when 0. */
  warmPoolMaxLoad: number;
  /** Whether the proxy's fast path (head-by-head checks, raw copy) serves repl traffic. */
  proxyFastPath: boolean;
  /** The proxy serves code-server's versioned static files from the install (proxy/src/ide-static.ts). */
  ideStatic: boolean;
  /** The proxy makes VS Code's page from the install (proxy/src/ide-page.ts); only with ideStatic. */
  idePage: boolean;
  /** How often the agent scans the whole workspace anyway. */
  syncScanMs: number;
  /** Largest archive POST /api/repls/import takes (compressed), and most entries in it. */
  importMaxBytes: number;
  importMaxEntries: number;
  /** The object store: a folder under the data dir (default), or S3 (CODEYARD_STORE=s3://bucket/prefix). */
  store: { kind: 'fs' } | { kind: 's3'; bucket: string; prefix: string; region: string; endpoint?: string; forcePathStyle: boolean; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /** Where the SQLite database, the fs store, repl runtime dirs and the signing key live. */
  dataDir: string;
  /** PostgreSQL for the records (what several portal replicas share); the SQLite file in dataDir when unset. */
  databaseUrl?: string;
  /** Directory for downloaded tools (code-server, its Node). */
  cacheDir: string;
  /** An existing code-server to use instead of provisioning one. */
  codeServerBin?: string;
  templatesDir: string;
  /** The admin token given in config (CODEYARD_ADMIN_TOKEN); generated into the data folder when absent. */
  adminToken?: string;
  /** How long the audit log keeps an event (CODEYARD_AUDIT_DAYS). */
  auditRetentionMs: number;
  /** Signing key given in config (hex or base64, at least 32 bytes); generated when absent. */
  signingKey?: string;
  ticketTtlMs: number;
  sessionTtlMs: number;
  /** Largest file the files API accepts or serves. */
  maxFileBytes: number;
  /** Repls one account may have. */
  maxReplsPerAccount: number;
  /** Repls of one account that may run at once. */
  maxRunningPerAccount: number;
  /** Student repls one portal autogrades at once (issue #15). */
  gradeConcurrency: number;
  /** How long one autograde command may run. */
  gradeTimeoutMs: number;
  /** Quiet time after which a repl is stopped (files saved); 0: never. Tests set milliseconds directly. */
  idleStopMs: number;
  /** Repls an account may mark always on, unless the admin set the account's own allowance. */
  alwaysOnPerAccount: number;
  /** New anonymous accounts a client address may create a minute. */
  sessionsPerMinute: number;
  /** Device sign-ins a client address may start a minute. */
  deviceCodesPerMinute: number;
  /** Sign-in attempts a client address may make a minute. */
  signinsPerMinute: number;
  /** Sign-in attempts one account may get an hour, from anywhere. */
  signinsPerAccountPerHour: number;
  /** Accounts a client address may make an hour. */
  signupsPerHour: number;
  /** IDE/preview links a client address may redeem a minute. */
  ticketsPerMinute: number;
  logLevel: string;
}

/** The last two labels of a name: its registrable domain for most names (no public-suffix list here). */
function siteOf(name: string): string {
  return name.split('.').slice(-2).join('.');
}

/**
 * Previews serve whatever a repl's app sends, to anyone. On the portal's own site they can set
 * cookies for the parent domain that the portal then receives (cookie tossing), so outside
 * `localhost` (where every `<name>.localhost` is a site of its own) they need a domain of
 * their own, as github.dev has app.github.dev, unless the operator opts in knowingly.
 */
function checkPreviewSite(domain: string, previewDomain: string | undefined, sameSiteOk: boolean): void {
  if (domain === 'localhost' || sameSiteOk) return;
  const optIn = 'or set CODEYARD_PREVIEWS_SAME_SITE=on to accept that an app could set cookies the portal receives';
  if (!previewDomain) {
    throw new ConfigError(
      `CODEYARD_DOMAIN=${domain} needs a separate CODEYARD_PREVIEW_DOMAIN: previews run any app, and on ${siteOf(domain)} they could set cookies for the portal. ` +
        `Set CODEYARD_PREVIEW_DOMAIN to a domain outside ${siteOf(domain)} (for example codeyard-apps.net, with its own wildcard DNS and certificate), ${optIn}`,
    );
  }
  const related = previewDomain === domain || previewDomain.endsWith(`.${domain}`) || domain.endsWith(`.${previewDomain}`) || siteOf(previewDomain) === siteOf(domain);
  if (related) {
    throw new ConfigError(
      `CODEYARD_PREVIEW_DOMAIN=${previewDomain} is on the same site as CODEYARD_DOMAIN=${domain} (both under ${siteOf(domain)}): a preview could still set cookies for the portal. ` +
        `Use a domain outside ${siteOf(domain)}, ${optIn} (or if the two are separate sites under a public suffix such as co.uk)`,
    );
  }
}

/** Reads, checks and freezes the configuration (every field from {@link SETTINGS}). Throws a ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[keyof Config, Setting<unknown>]>) config[key] = setting.read(env);
  const checked = config as unknown as Config;
  checkPreviewSite(checked.domain, checked.previewDomain, checked.previewsSameSite);
  // A proxy alone reaches only repls another process runs: with the process runtime that is none.
  if (checked.role === 'proxy' && checked.runtime !== 'kubernetes') throw new ConfigError('CODEYARD_ROLE=proxy needs CODEYARD_RUNTIME=kubernetes: a proxy process runs no repls itself, and only pods are reachable from another process');
  return Object.freeze(checked);
}

/** The configuration as it may be logged: secrets replaced. */
export function redactConfig(config: Readonly<Config>): Record<string, unknown> {
  const store = config.store.kind === 's3' && config.store.credentials ? { ...config.store, credentials: { accessKeyId: config.store.credentials.accessKeyId, secretAccessKey: '[redacted]' } } : config.store;
  // A database URL may carry its password.
  const databaseUrl = config.databaseUrl?.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:[redacted]@');
  const oidcProviders = config.oidcProviders.map((p) => ({ ...p, clientSecret: '[redacted]' }));
  return { ...config, store, databaseUrl, oidcProviders, signingKey: config.signingKey ? '[redacted]' : undefined, adminToken: config.adminToken ? '[redacted]' : undefined };
}
