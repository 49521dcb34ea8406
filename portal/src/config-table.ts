import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUTH_MODES, SIGNUP_MODES } from '@codeyard/common/api/auth';
import type { Config } from './config.js';
import { type OidcProviderConfig, parseOidcProviders, ProviderConfigError } from './accounts/oidc/provider-config.js';
import { readKubeSettings } from './runtime/kubernetes/kube-settings.js';

/**
 * Every setting Codeyard reads, in one table: its variable, how it is parsed and checked, its
 * default as people should read it, and what it means. loadConfig() parses from it, `--help`
 * prints it and the README's Configuration table is made from it (a test keeps them equal).
 * Units are converted here, once: the Config holds bytes and milliseconds.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One documented variable. */
export interface Variable {
  name: string;
  /** The default as a reader should see it. */
  shown: string;
  help: string;
}

/** How one Config field is read: the variables it documents, and the reader. */
export interface Setting<T> {
  vars: Variable[];
  read(env: Env): T;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A whole number in [min, max], times `scale` (a unit conversion: seconds → ms, MiB → bytes). */
function int(name: string, fallback: number, min: number, max: number, scale = 1): (env: Env) => number {
  return (env) => {
    const text = raw(env, name);
    if (text === undefined) return fallback * scale;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return value * scale;
  };
}

function onOff(name: string, fallback: boolean): (env: Env) => boolean {
  return (env) => {
    const text = raw(env, name)?.trim().toLowerCase();
    if (text === undefined) return fallback;
    if (text === 'on' || text === 'true' || text === '1') return true;
    if (text === 'off' || text === 'false' || text === '0') return false;
    throw new ConfigError(`${name} must be on or off, got ${JSON.stringify(env[name])}`);
  };
}

function oneOf<const T extends string>(name: string, choices: readonly T[], fallback: T): (env: Env) => T {
  return (env) => {
    const text = raw(env, name) ?? fallback;
    if (!(choices as readonly string[]).includes(text)) throw new ConfigError(`${name} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, got ${JSON.stringify(text)}`);
    return text as T;
  };
}

function hostname(name: string, fallback?: string): (env: Env) => string | undefined {
  return (env) => {
    const text = (raw(env, name) ?? fallback)?.trim().toLowerCase();
    if (!text) return undefined;
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(text)) {
      throw new ConfigError(`${name} must be a DNS name like codeyard.example.com, got ${JSON.stringify(text)}`);
    }
    return text;
  };
}

const text = (name: string): ((env: Env) => string | undefined) => (env) => raw(env, name);
const v = (name: string, shown: string, help: string): Variable => ({ name, shown, help });

const MiB = 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function readStore(env: Env): Config['store'] {
  const value = raw(env, 'CODEYARD_STORE');
  if (!value || value === 'fs') return { kind: 'fs' };
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (!match) throw new ConfigError(`CODEYARD_STORE must be fs or s3://bucket[/prefix], got ${JSON.stringify(value)}`);
  let prefix = match[2] ?? '';
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  const endpoint = raw(env, 'CODEYARD_S3_ENDPOINT');
  const id = raw(env, 'CODEYARD_S3_ACCESS_KEY_ID');
  const secret = raw(env, 'CODEYARD_S3_SECRET_ACCESS_KEY');
  if (!!id !== !!secret) throw new ConfigError('CODEYARD_S3_ACCESS_KEY_ID and CODEYARD_S3_SECRET_ACCESS_KEY go together (or leave both unset for the standard AWS credential chain)');
  const pathStyle = raw(env, 'CODEYARD_S3_FORCE_PATH_STYLE');
  return {
    kind: 's3',
    bucket: match[1]!,
    prefix,
    region: raw(env, 'CODEYARD_S3_REGION') ?? raw(env, 'AWS_REGION') ?? 'us-east-1',
    endpoint,
    // Most S3-compatible servers want path-style requests; AWS itself prefers virtual hosts.
    forcePathStyle: pathStyle ? onOff('CODEYARD_S3_FORCE_PATH_STYLE', true)(env) : endpoint !== undefined,
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined,
  };
}

function readDatabaseUrl(env: Env): string | undefined {
  const value = raw(env, 'CODEYARD_DATABASE_URL');
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('CODEYARD_DATABASE_URL must be a URL like postgres://user:password@host:5432/codeyard');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new ConfigError(`CODEYARD_DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite file), got a ${url.protocol} URL`);
  return value;
}

/** The public port defaults to the listening port (0, a test's random port, means none). */
function readPublicPort(env: Env): number | undefined {
  if (env.CODEYARD_PUBLIC_PORT === '') return undefined;
  if (env.CODEYARD_PUBLIC_PORT === undefined) return int('PORT', 8080, 0, 65535)(env) || undefined;
  return int('CODEYARD_PUBLIC_PORT', 0, 1, 65535)(env);
}

/** As root, tools go where the repls' unprivileged users can read them (/root is closed to them). */
function readCacheDir(env: Env): string {
  const base = raw(env, 'XDG_CACHE_HOME') ?? (process.getuid?.() === 0 ? '/var/cache' : path.join(raw(env, 'HOME') ?? os.homedir(), '.cache'));
  return path.resolve(raw(env, 'CODEYARD_CACHE') ?? path.join(base, 'codeyard'));
}

/** Names proxy-addr (Fastify's trustProxy) knows for whole ranges. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * CODEYARD_TRUSTED_PROXIES: addresses and CIDRs (or loopback, linklocal, uniquelocal) whose
 * X-Forwarded-For is believed. Each entry is checked here, so a typo is a start-up error rather
 * than a proxy quietly not trusted (and every visitor then sharing its address's rate limits).
 */
function readTrustedProxies(env: Env): string[] {
  const value = raw(env, 'CODEYARD_TRUSTED_PROXIES');
  if (value === undefined) return [];
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    if (PROXY_RANGES.includes(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = net.isIP(address ?? '');
    const bits = prefix === undefined ? 0 : Number(prefix);
    if (!family || extra !== undefined || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)))) {
      throw new ConfigError(`CODEYARD_TRUSTED_PROXIES must list addresses or CIDRs (10.0.0.5, 10.0.0.0/8, ::1) or loopback, linklocal, uniquelocal, comma-separated; ${JSON.stringify(entry)} is none of those`);
    }
  }
  return entries;
}

function readOidcProviders(env: Env): OidcProviderConfig[] {
  try {
    return parseOidcProviders(raw(env, 'CODEYARD_OIDC_PROVIDERS'));
  } catch (err) {
    if (err instanceof ProviderConfigError) throw new ConfigError(`CODEYARD_OIDC_PROVIDERS${/^(must|is) /.test(err.message) ? ' ' : ': '}${err.message}`);
    throw err;
  }
}

/** Every Config field and how it is read, in the order the README and --help list them. */
export const SETTINGS: { readonly [K in keyof Config]-?: Setting<Config[K]> } = {
  port: { vars: [v('PORT', '`8080`', 'port of the portal and proxy')], read: int('PORT', 8080, 0, 65535) },
  bind: { vars: [v('CODEYARD_BIND', '`127.0.0.1`', 'listening address; `0.0.0.0` to serve other machines')], read: (env) => raw(env, 'CODEYARD_BIND') ?? '127.0.0.1' },
  domain: { vars: [v('CODEYARD_DOMAIN', '`localhost`', 'portal host; repls are `<id>.<domain>` (needs wildcard DNS beyond `localhost`)')], read: (env) => hostname('CODEYARD_DOMAIN', 'localhost')(env)! },
  previewDomain: {
    vars: [v('CODEYARD_PREVIEW_DOMAIN', 'same as domain on `localhost`; required elsewhere', "parent domain for app previews, on another site than the portal (as github.dev has app.github.dev): an app on the portal's site could set cookies the portal receives")],
    read: hostname('CODEYARD_PREVIEW_DOMAIN'),
  },
  previewsSameSite: {
    vars: [v('CODEYARD_PREVIEWS_SAME_SITE', '`off`', '`on` serves previews under `CODEYARD_DOMAIN` anyway (a portal that sees two session cookies then refuses the request and asks the user to clear cookies)')],
    read: onOff('CODEYARD_PREVIEWS_SAME_SITE', false),
  },
  publicScheme: {
    vars: [v('CODEYARD_PUBLIC_SCHEME', '`http`', '`https` behind a TLS-terminating proxy (cookies become `Secure`; the session cookie becomes `__Host-codeyard_token`)')],
    read: oneOf('CODEYARD_PUBLIC_SCHEME', ['http', 'https'], 'http'),
  },
  publicPort: { vars: [v('CODEYARD_PUBLIC_PORT', '`PORT`', "port in public URLs; empty for the scheme's default")], read: readPublicPort },
  authMode: {
    vars: [
      v(
        'CODEYARD_AUTH',
        '`owner`',
        "who gets in: `owner` (the terminal prints a one-time link that makes that browser the owner, who invites others), `accounts` (email and password accounts, see `CODEYARD_SIGNUP`), or `anonymous` (every browser gets an account of its own, no sign-in: demos only)",
      ),
    ],
    read: oneOf('CODEYARD_AUTH', AUTH_MODES, 'owner'),
  },
  signup: {
    vars: [v('CODEYARD_SIGNUP', '`invite`', 'with `CODEYARD_AUTH=accounts`: who may make an account: `open` (anyone who reaches the portal), `invite` (an invite link from an admin or teacher) or `closed`; owner mode is always by invite')],
    read: oneOf('CODEYARD_SIGNUP', SIGNUP_MODES, 'invite'),
  },
  oidcProviders: {
    vars: [
      v(
        'CODEYARD_OIDC_PROVIDERS',
        'none',
        'OpenID Connect providers for "Sign in with …" (see [Sign in with an OpenID provider](#sign-in-with-an-openid-provider)): a JSON array, or the path of a JSON file, of `{ id, name, issuer, clientId, clientSecret or clientSecretFile, allowedDomains?, scopes? }`; the redirect URI to register is `<portal>/auth/oidc/<id>/callback`',
      ),
    ],
    read: readOidcProviders,
  },
  trustedProxies: {
    vars: [v('CODEYARD_TRUSTED_PROXIES', 'none', 'reverse proxies in front of the portal, as addresses or CIDRs (`127.0.0.1,10.0.0.0/8`; also `loopback`): their `X-Forwarded-For` is believed, so rate limits count each visitor rather than the proxy')],
    read: readTrustedProxies,
  },
  signinTtlMs: { vars: [v('CODEYARD_SIGNIN_DAYS', '`30`', 'how long a browser stays signed in (sign out or a disabled account ends it sooner)')], read: int('CODEYARD_SIGNIN_DAYS', 30, 1, 365, 24 * 3600_000) },
  dataDir: { vars: [v('CODEYARD_DATA', '`./.codeyard`', 'data folder: the database file, object store, repl folders, signing key')], read: (env) => path.resolve(raw(env, 'CODEYARD_DATA') ?? '.codeyard') },
  databaseUrl: {
    vars: [v('CODEYARD_DATABASE_URL', 'SQLite file `<data>/codeyard.db`', 'records (accounts, repls, ports, used tickets) in PostgreSQL instead: `postgres://user:password@host/db`; what several portal replicas share')],
    read: readDatabaseUrl,
  },
  store: {
    vars: [
      v('CODEYARD_STORE', '`fs` (`<data>/store`)', '`s3://bucket/prefix` keeps templates and workspaces in S3 or any S3-compatible service'),
      v('CODEYARD_S3_ENDPOINT', 'AWS', 'endpoint of an S3-compatible service (MinIO, R2…)'),
      v('CODEYARD_S3_REGION', '`AWS_REGION` or `us-east-1`', 'region of the bucket'),
      v('CODEYARD_S3_FORCE_PATH_STYLE', '`on` with an endpoint', 'path-style requests (most S3-compatible services want them; AWS prefers virtual hosts)'),
      v('CODEYARD_S3_ACCESS_KEY_ID', 'the AWS credential chain', 'static S3 credentials, with `CODEYARD_S3_SECRET_ACCESS_KEY` (the secret is redacted in logs)'),
    ],
    read: readStore,
  },
  cacheDir: { vars: [v('CODEYARD_CACHE', '`~/.cache/codeyard` (root: `/var/cache/codeyard`)', 'where code-server and its Node.js are installed; must be readable by repl users')], read: readCacheDir },
  runtime: {
    vars: [v('CODEYARD_RUNTIME', '`process`', '`kubernetes` runs each repl as a pod (the `CODEYARD_KUBE_*` settings; in-cluster credentials or `KUBECONFIG`) instead of sandboxed processes on this machine')],
    read: oneOf('CODEYARD_RUNTIME', ['process', 'kubernetes'], 'process'),
  },
  role: {
    vars: [v('CODEYARD_ROLE', '`all`', "`proxy` (the chart's proxy replicas, with `CODEYARD_RUNTIME=kubernetes`) serves and records repl activity only: no recovery at start, warm pool, idle stop, always-on restarts or autograde, which the portal replicas run")],
    read: oneOf('CODEYARD_ROLE', ['all', 'proxy'], 'all'),
  },
  kube: {
    vars: [
      v('CODEYARD_KUBE_NAMESPACE', '`codeyard-repls`', 'namespace of the repl pods, their Secrets and NetworkPolicies'),
      v('CODEYARD_KUBE_CONTROL_NAMESPACE', '`codeyard`', 'namespace of the portal and proxy pods (the only peers a repl pod talks to)'),
      v('CODEYARD_KUBE_IMAGE_PREFIX', '`localhost/`', 'registry prefix of the stack images, `<prefix>codeyard-<stack>:<tag>` (ends with `/` or `-`)'),
      v('CODEYARD_KUBE_IMAGE_TAG', 'the release (`package.json` version)', 'tag of the stack images'),
      v('CODEYARD_KUBE_RUNTIME_CLASS', 'the cluster default', 'RuntimeClass of repl pods (`gvisor` for gVisor)'),
      v('CODEYARD_KUBE_NODE_SELECTOR', 'any node', 'node labels repl pods run on, `key=value,key2=value2` (their node pool: where the chart pre-pulls the stack images)'),
      v('CODEYARD_KUBE_TOLERATIONS', 'none', 'taints of those nodes repl pods tolerate: `key[=value][:Effect]` entries, comma-separated (`codeyard.dev/repls:NoSchedule`), or a JSON array of Kubernetes tolerations'),
      v('CODEYARD_KUBE_BLOCKED_CIDRS', "the egress proxy's ranges (private, shared, loopback, link-local and metadata, multicast, reserved; Teredo and 6to4)", 'comma-separated CIDRs repl pods may never reach (their NetworkPolicy); replaces the default list'),
      v('CODEYARD_KUBE_CLUSTER_CIDRS', 'none', "the cluster's pod and service CIDRs, blocked too (needed when they are outside the private ranges)"),
      v('CODEYARD_KUBE_PROXY_SELECTOR', '`app.kubernetes.io/name=codeyard,app.kubernetes.io/component=proxy`', 'labels of the proxy pods: the only pods a repl pod accepts connections from'),
      v('CODEYARD_KUBE_PORTAL_SELECTOR', '`app.kubernetes.io/name=codeyard,app.kubernetes.io/component=portal`', 'labels of the portal pods: repl pods reach their workspace relay there'),
      v('CODEYARD_KUBE_RELAY_PORT', '`8081`', 'port the portal serves the workspace relay on for repl pods (each request needs its pod\'s credential)'),
      v('CODEYARD_KUBE_RELAY_URL', '`http://codeyard-portal.<control namespace>.svc:<relay port>`', 'the relay as repl pods reach it'),
      v('CODEYARD_KUBE_GRACE_SECONDS', '`60`', "a stopping pod's time to save its files after SIGTERM (terminationGracePeriodSeconds)"),
    ],
    read: readKubeSettings,
  },
  sandbox: {
    vars: [v('CODEYARD_SANDBOX', '`bubblewrap`', "`off` runs repls as plain processes of the portal's user: only for trusted, single-user use")],
    read: oneOf('CODEYARD_SANDBOX', ['bubblewrap', 'off'], 'bubblewrap'),
  },
  replNetwork: {
    vars: [v('CODEYARD_REPL_NETWORK', '`internet`', "`internet`: own namespace, HTTP(S) out through the filtering egress proxy; `none`: loopback only; `host`: the machine's network (trusted use only)")],
    read: oneOf('CODEYARD_REPL_NETWORK', ['internet', 'none', 'host'], 'internet'),
  },
  sandboxUidBase: { vars: [v('CODEYARD_SANDBOX_UID_BASE', '`200000`', 'first host uid given to repls when running as root (one per repl)')], read: int('CODEYARD_SANDBOX_UID_BASE', 200_000, 1000, 2_000_000_000) },
  limitMemoryBytes: { vars: [v('CODEYARD_LIMIT_MEMORY_MB', '`2048`', 'memory of one repl, all its processes together (cgroup; root only)')], read: int('CODEYARD_LIMIT_MEMORY_MB', 2048, 256, 1_048_576, MiB) },
  limitCpus: { vars: [v('CODEYARD_LIMIT_CPUS', '`1`', 'CPU time of one repl, in cores (cgroup CFS quota; root only)')], read: int('CODEYARD_LIMIT_CPUS', 1, 1, 1024) },
  limitProcesses: { vars: [v('CODEYARD_LIMIT_PROCESSES', '`1024`', 'processes and threads of one repl (RLIMIT_NPROC on its own uid; root only)')], read: int('CODEYARD_LIMIT_PROCESSES', 1024, 64, 1_000_000) },
  limitOpenFiles: { vars: [v('CODEYARD_LIMIT_OPEN_FILES', '`8192`', 'open files per process in a repl (RLIMIT_NOFILE; root only)')], read: int('CODEYARD_LIMIT_OPEN_FILES', 8192, 256, 1_048_576) },
  limitDiskBytes: {
    vars: [v('CODEYARD_LIMIT_DISK_MB', '`2048`', "disk space of one workspace, and separately of its home (loop-mounted ext4 volumes sized for ext4's own overhead, and for what a stored workspace takes on disk; root only)")],
    read: int('CODEYARD_LIMIT_DISK_MB', 2048, 16, 16 * 1024 * 1024, MiB),
  },
  capacityMemoryBytes: {
    vars: [v('CODEYARD_CAPACITY_MEMORY_MB', "the machine's memory less the reserve, measured at start", 'memory repls and warm sandboxes may use together on this machine; a start beyond it waits in line (see Admission)')],
    read: int('CODEYARD_CAPACITY_MEMORY_MB', 0, 0, 16 * 1024 * 1024, MiB),
  },
  reserveMemoryBytes: {
    vars: [v('CODEYARD_RESERVE_MEMORY_MB', '`1024`', 'memory kept for the portal, the system and file cache, and as headroom for repls that grow after they start')],
    read: int('CODEYARD_RESERVE_MEMORY_MB', 1024, 0, 16 * 1024 * 1024, MiB),
  },
  replMemoryEstimateBytes: {
    // A Node repl with one browser page peaked at 268-291 MB of working set (cgroup, as admission
    // counts it) between its start and settling (npm run bench -- memory: 5 new repls), settled at
    // 227-232: 320 covers that peak and a first Run of a small app. 512 was set when a repl
    // settled at ~350-390 MB.
    vars: [v('CODEYARD_REPL_MEMORY_ESTIMATE_MB', '`320`', "what a starting repl is counted at until it has settled (a minute): a Node repl with one browser page, at its highest in that minute; raised to the median running repl's when that is higher")],
    read: int('CODEYARD_REPL_MEMORY_ESTIMATE_MB', 320, 16, 1_048_576, MiB),
  },
  syncDebounceMs: {
    vars: [v('CODEYARD_SYNC_DEBOUNCE_MS', '`3000`', 'quiet time after the last change before a running repl saves it (at most 5× that while edits keep coming)')],
    read: int('CODEYARD_SYNC_DEBOUNCE_MS', 3000, 50, 600_000),
  },
  syncScanMs: { vars: [v('CODEYARD_SYNC_SCAN_SECONDS', '`30`', 'how often the agent also scans the whole workspace')], read: int('CODEYARD_SYNC_SCAN_SECONDS', 30, 1, 86_400, 1000) },
  importMaxBytes: { vars: [v('CODEYARD_IMPORT_MAX_MB', '`100`', 'largest archive upload (its unpacked size is held to the disk limit)')], read: int('CODEYARD_IMPORT_MAX_MB', 100, 1, 16 * 1024, MiB) },
  importMaxEntries: { vars: [v('CODEYARD_IMPORT_MAX_FILES', '`20000`', 'most entries in an uploaded archive')], read: int('CODEYARD_IMPORT_MAX_FILES', 20_000, 1, 1_000_000) },
  warmPool: {
    vars: [v('CODEYARD_WARM_POOL', '`1`', 'sandboxes kept started ahead per available stack (agent and VS Code up, empty workspace); a stopped repl that never ran here (a new one, a class copy nobody opened) takes one when it starts and only restores its files; `0` turns it off')],
    read: int('CODEYARD_WARM_POOL', 1, 0, 64),
  },
  warmPoolMaxLoad: { vars: [v('CODEYARD_WARM_POOL_MAX_LOAD', 'the core count', 'the pool refills only while the 1-minute load average is at most this')], read: int('CODEYARD_WARM_POOL_MAX_LOAD', 0, 0, 100_000) },
  proxyFastPath: { vars: [v('CODEYARD_PROXY_FAST_PATH', '`on`', '`off` sends all repl traffic through the full HTTP proxy path (see Performance)')], read: onOff('CODEYARD_PROXY_FAST_PATH', true) },
  ideStatic: {
    vars: [v('CODEYARD_IDE_STATIC', '`on`', "`off` leaves VS Code's static files to each repl's code-server instead of the proxy serving them precompressed and cached for good (see Performance)")],
    read: onOff('CODEYARD_IDE_STATIC', true),
  },
  idePage: {
    vars: [v('CODEYARD_IDE_PAGE', '`on`', "`off` leaves VS Code's page (`/` of the IDE) to each repl's code-server instead of the proxy making it from the install, which it does only with `CODEYARD_IDE_STATIC` on (see Performance)")],
    read: onOff('CODEYARD_IDE_PAGE', true),
  },
  codeServerBin: { vars: [v('CODE_SERVER_BIN', '(installed on demand)', 'use an existing code-server instead')], read: text('CODE_SERVER_BIN') },
  templatesDir: { vars: [v('CODEYARD_TEMPLATES', '`./templates`', 'the stack templates')], read: (env) => path.resolve(raw(env, 'CODEYARD_TEMPLATES') ?? path.join(REPO_ROOT, 'templates')) },
  adminToken: {
    vars: [v('CODEYARD_ADMIN_TOKEN', 'generated into `<data>/admin-token`', "the machine operator's bearer token for the admin page and `/api/admin/`, beside admin accounts (≥ 32 characters; the terminal prints the admin link at start)")],
    read: (env) => {
      const token = raw(env, 'CODEYARD_ADMIN_TOKEN')?.trim();
      if (token !== undefined && (token.length < 32 || /\s/.test(token))) throw new ConfigError('CODEYARD_ADMIN_TOKEN must be at least 32 characters with no spaces (or leave it unset to have one generated into <data>/admin-token)');
      return token;
    },
  },
  auditRetentionMs: {
    vars: [v('CODEYARD_AUDIT_DAYS', '`180`', 'days the audit log keeps an event (sign-ins, token use, admin actions, opening someone else\'s IDE); older ones are deleted')],
    read: int('CODEYARD_AUDIT_DAYS', 180, 1, 36_500, 24 * 3600_000),
  },
  signingKey: { vars: [v('CODEYARD_SIGNING_KEY', 'generated into `<data>/secrets/signing.key`', 'key for tickets and host cookies, and the one repl secrets are encrypted under: a new key makes stored secrets unreadable (hex or base64, ≥ 32 bytes)')], read: text('CODEYARD_SIGNING_KEY') },
  ticketTtlMs: { vars: [v('CODEYARD_TICKET_TTL_SECONDS', '`60`', 'lifetime of an IDE link')], read: int('CODEYARD_TICKET_TTL_SECONDS', 60, 5, 3600, 1000) },
  sessionTtlMs: { vars: [v('CODEYARD_SESSION_TTL_HOURS', '`12`', 'lifetime of the cookie an IDE link becomes')], read: int('CODEYARD_SESSION_TTL_HOURS', 12, 1, 24 * 30, 3600_000) },
  maxFileBytes: { vars: [v('CODEYARD_MAX_FILE_MB', '`16`', 'largest file the files API reads or writes')], read: int('CODEYARD_MAX_FILE_MB', 16, 1, 1024, MiB) },
  maxReplsPerAccount: { vars: [v('CODEYARD_MAX_REPLS_PER_ACCOUNT', '`50`', 'repls one account may have')], read: int('CODEYARD_MAX_REPLS_PER_ACCOUNT', 50, 1, 1_000_000) },
  maxRunningPerAccount: { vars: [v('CODEYARD_MAX_RUNNING_PER_ACCOUNT', '`3`', 'repls of one account running at once')], read: int('CODEYARD_MAX_RUNNING_PER_ACCOUNT', 3, 1, 10_000) },
  gradeConcurrency: { vars: [v('CODEYARD_GRADE_CONCURRENCY', '`2`', 'student repls one portal autogrades at once (each started through admission when stopped, stopped after unless opened meanwhile); every portal on the database works the shared queue')], read: int('CODEYARD_GRADE_CONCURRENCY', 2, 1, 64) },
  gradeTimeoutMs: { vars: [v('CODEYARD_GRADE_TIMEOUT_SECONDS', '`120`', "how long one autograde command may run in a student's repl before its result is an error")], read: int('CODEYARD_GRADE_TIMEOUT_SECONDS', 120, 1, 600, 1000) },
  idleStopMs: {
    vars: [v('CODEYARD_IDLE_MINUTES', '`30`', 'a repl with no IDE connection, preview or app traffic, exec or API call for this long is stopped, files saved (it wakes on the next visit); always-on repls never are; `0` turns idle stop off')],
    read: int('CODEYARD_IDLE_MINUTES', 30, 0, 7 * 24 * 60, 60_000),
  },
  alwaysOnPerAccount: {
    vars: [v('CODEYARD_ALWAYS_ON_PER_ACCOUNT', '`1`', "repls one account may mark always on (never idle-stopped, app restarted after crashes); the admin can set an account's own")],
    read: int('CODEYARD_ALWAYS_ON_PER_ACCOUNT', 1, 0, 10_000),
  },
  sessionsPerMinute: { vars: [v('CODEYARD_RATE_SESSIONS_PER_MINUTE', '`30`', 'new anonymous accounts per client address per minute')], read: int('CODEYARD_RATE_SESSIONS_PER_MINUTE', 30, 1, 100_000) },
  deviceCodesPerMinute: {
    vars: [v('CODEYARD_RATE_DEVICE_CODES_PER_MINUTE', '`30`', 'device sign-ins (`codeyard login`, the desktop app) started per client address per minute')],
    read: int('CODEYARD_RATE_DEVICE_CODES_PER_MINUTE', 30, 1, 100_000),
  },
  signinsPerMinute: {
    vars: [v('CODEYARD_RATE_SIGNINS_PER_MINUTE', '`10`', 'sign-in attempts per client address per minute (see `CODEYARD_TRUSTED_PROXIES`)')],
    read: int('CODEYARD_RATE_SIGNINS_PER_MINUTE', 10, 1, 100_000),
  },
  signinsPerAccountPerHour: {
    vars: [v('CODEYARD_RATE_SIGNINS_PER_ACCOUNT_PER_HOUR', '`30`', 'sign-in attempts per account per hour, from anywhere (10 may come at once)')],
    read: int('CODEYARD_RATE_SIGNINS_PER_ACCOUNT_PER_HOUR', 30, 1, 100_000),
  },
  signupsPerHour: { vars: [v('CODEYARD_RATE_SIGNUPS_PER_HOUR', '`20`', 'new accounts per client address per hour')], read: int('CODEYARD_RATE_SIGNUPS_PER_HOUR', 20, 1, 100_000) },
  ticketsPerMinute: { vars: [v('CODEYARD_RATE_TICKETS_PER_MINUTE', '`60`', 'IDE/preview link redemptions per client address per minute (see `CODEYARD_TRUSTED_PROXIES`)')], read: int('CODEYARD_RATE_TICKETS_PER_MINUTE', 60, 1, 100_000) },
  logLevel: { vars: [v('CODEYARD_LOG_LEVEL', '`info`', '`fatal` … `trace`, or `silent`')], read: oneOf('CODEYARD_LOG_LEVEL', LOG_LEVELS, 'info') },
};
