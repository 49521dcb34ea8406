import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything Codeyard can be told, validated once at start. Nothing else reads process.env. */
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
  limitMemoryMb: number;
  /** CPU time of one repl, in CPUs. */
  limitCpus: number;
  /** Disk space of one workspace. */
  limitDiskMb: number;
  /** Quiet time after a change before the agent syncs it, and how often it scans anyway. */
  syncDebounceMs: number;
  /** Sandboxes kept started ahead per stack (the warm pool); 0 turns it off. */
  warmPool: number;
  /** The load average above which the warm pool waits to refill; the core count when 0. */
  warmPoolMaxLoad: number;
  /** Whether the proxy's fast path (head-by-head checks, raw copy) serves repl traffic. */
  proxyFastPath: boolean;
  syncScanMs: number;
  /** Largest archive POST /api/repls/import takes (compressed), and most entries in it. */
  importMaxBytes: number;
  importMaxEntries: number;
  /** The object store: a folder under the data dir (default), or S3 (CODEYARD_STORE=s3://bucket/prefix). */
  store: { kind: 'fs' } | { kind: 's3'; bucket: string; prefix: string; region: string; endpoint?: string; forcePathStyle: boolean; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /** Where the fs store, repl runtime dirs and the signing key live. */
  dataDir: string;
  /** Directory for downloaded tools (code-server, its Node). */
  cacheDir: string;
  /** An existing code-server to use instead of provisioning one. */
  codeServerBin?: string;
  templatesDir: string;
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
  /** New anonymous accounts a client address may create a minute. */
  sessionsPerMinute: number;
  /** IDE/preview links a client address may redeem a minute. */
  ticketsPerMinute: number;
  logLevel: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'true' || raw === '1') return true;
  if (raw === 'off' || raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be on or off, got ${JSON.stringify(env[name])}`);
}

function hostname(env: NodeJS.ProcessEnv, name: string, fallback?: string): string | undefined {
  const raw = (env[name] ?? fallback)?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(raw)) {
    throw new ConfigError(`${name} must be a DNS name like codeyard.example.com, got ${JSON.stringify(raw)}`);
  }
  return raw;
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

/** Reads, checks and freezes the configuration. Throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const scheme = env.CODEYARD_PUBLIC_SCHEME ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') throw new ConfigError(`CODEYARD_PUBLIC_SCHEME must be http or https, got ${JSON.stringify(scheme)}`);
  const defaultPublicPort = port === 0 ? undefined : port;
  const publicPortRaw = env.CODEYARD_PUBLIC_PORT;
  const publicPort = publicPortRaw === undefined ? defaultPublicPort : publicPortRaw === '' ? undefined : int(env, 'CODEYARD_PUBLIC_PORT', 0, 1, 65535);
  const dataDir = path.resolve(env.CODEYARD_DATA ?? '.codeyard');
  // As root, tools go where the repls' unprivileged users can read them (/root is closed to them).
  const cacheBase = env.XDG_CACHE_HOME || (process.getuid?.() === 0 ? '/var/cache' : path.join(env.HOME || os.homedir(), '.cache'));
  const sandbox = env.CODEYARD_SANDBOX || 'bubblewrap';
  if (sandbox !== 'bubblewrap' && sandbox !== 'off') throw new ConfigError(`CODEYARD_SANDBOX must be bubblewrap or off, got ${JSON.stringify(sandbox)}`);
  const replNetwork = env.CODEYARD_REPL_NETWORK || 'internet';
  if (replNetwork !== 'internet' && replNetwork !== 'none' && replNetwork !== 'host') {
    throw new ConfigError(`CODEYARD_REPL_NETWORK must be internet, none or host, got ${JSON.stringify(replNetwork)}`);
  }
  const config: Config = {
    store: parseStore(env),
    port,
    bind: env.CODEYARD_BIND || '127.0.0.1',
    domain: hostname(env, 'CODEYARD_DOMAIN', 'localhost')!,
    previewDomain: hostname(env, 'CODEYARD_PREVIEW_DOMAIN'),
    previewsSameSite: onOff(env, 'CODEYARD_PREVIEWS_SAME_SITE', false),
    publicScheme: scheme,
    publicPort,
    sandbox,
    replNetwork,
    sandboxUidBase: int(env, 'CODEYARD_SANDBOX_UID_BASE', 200_000, 1000, 2_000_000_000),
    limitProcesses: int(env, 'CODEYARD_LIMIT_PROCESSES', 1024, 64, 1_000_000),
    limitOpenFiles: int(env, 'CODEYARD_LIMIT_OPEN_FILES', 8192, 256, 1_048_576),
    limitMemoryMb: int(env, 'CODEYARD_LIMIT_MEMORY_MB', 2048, 256, 1_048_576),
    limitCpus: int(env, 'CODEYARD_LIMIT_CPUS', 1, 1, 1024),
    limitDiskMb: int(env, 'CODEYARD_LIMIT_DISK_MB', 2048, 16, 16 * 1024 * 1024),
    syncDebounceMs: int(env, 'CODEYARD_SYNC_DEBOUNCE_MS', 3000, 50, 600_000),
    proxyFastPath: onOff(env, 'CODEYARD_PROXY_FAST_PATH', true),
    warmPool: int(env, 'CODEYARD_WARM_POOL', 1, 0, 64),
    warmPoolMaxLoad: int(env, 'CODEYARD_WARM_POOL_MAX_LOAD', 0, 0, 100_000),
    syncScanMs: int(env, 'CODEYARD_SYNC_SCAN_SECONDS', 30, 1, 86_400) * 1000,
    importMaxBytes: int(env, 'CODEYARD_IMPORT_MAX_MB', 100, 1, 16 * 1024) * 1024 * 1024,
    importMaxEntries: int(env, 'CODEYARD_IMPORT_MAX_FILES', 20_000, 1, 1_000_000),
    dataDir,
    cacheDir: path.resolve(env.CODEYARD_CACHE || path.join(cacheBase, 'codeyard')),
    codeServerBin: env.CODE_SERVER_BIN || undefined,
    templatesDir: path.resolve(env.CODEYARD_TEMPLATES || path.join(REPO_ROOT, 'templates')),
    signingKey: env.CODEYARD_SIGNING_KEY || undefined,
    ticketTtlMs: int(env, 'CODEYARD_TICKET_TTL_SECONDS', 60, 5, 3600) * 1000,
    sessionTtlMs: int(env, 'CODEYARD_SESSION_TTL_HOURS', 12, 1, 24 * 30) * 3600_000,
    maxFileBytes: int(env, 'CODEYARD_MAX_FILE_MB', 16, 1, 1024) * 1024 * 1024,
    maxReplsPerAccount: int(env, 'CODEYARD_MAX_REPLS_PER_ACCOUNT', 50, 1, 1_000_000),
    maxRunningPerAccount: int(env, 'CODEYARD_MAX_RUNNING_PER_ACCOUNT', 3, 1, 10_000),
    sessionsPerMinute: int(env, 'CODEYARD_RATE_SESSIONS_PER_MINUTE', 30, 1, 100_000),
    ticketsPerMinute: int(env, 'CODEYARD_RATE_TICKETS_PER_MINUTE', 60, 1, 100_000),
    logLevel: env.CODEYARD_LOG_LEVEL || 'info',
  };
  checkPreviewSite(config.domain, config.previewDomain, config.previewsSameSite);
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(`CODEYARD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  return Object.freeze(config);
}

function parseStore(env: NodeJS.ProcessEnv): Config['store'] {
  const raw = env.CODEYARD_STORE;
  if (!raw || raw === 'fs') return { kind: 'fs' };
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(raw);
  if (!match) throw new ConfigError(`CODEYARD_STORE must be fs or s3://bucket[/prefix], got ${JSON.stringify(raw)}`);
  let prefix = match[2] ?? '';
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  const endpoint = env.CODEYARD_S3_ENDPOINT || undefined;
  const id = env.CODEYARD_S3_ACCESS_KEY_ID;
  const secret = env.CODEYARD_S3_SECRET_ACCESS_KEY;
  if (!!id !== !!secret) throw new ConfigError('CODEYARD_S3_ACCESS_KEY_ID and CODEYARD_S3_SECRET_ACCESS_KEY go together (or leave both unset for the standard AWS credential chain)');
  return {
    kind: 's3',
    bucket: match[1]!,
    prefix,
    region: env.CODEYARD_S3_REGION || env.AWS_REGION || 'us-east-1',
    endpoint,
    // Most S3-compatible servers want path-style requests; AWS itself prefers virtual hosts.
    forcePathStyle: env.CODEYARD_S3_FORCE_PATH_STYLE ? env.CODEYARD_S3_FORCE_PATH_STYLE === 'true' : endpoint !== undefined,
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined,
  };
}

/** The configuration as it may be logged: secrets replaced. */
export function redactConfig(config: Readonly<Config>): Record<string, unknown> {
  const store = config.store.kind === 's3' && config.store.credentials ? { ...config.store, credentials: { accessKeyId: config.store.credentials.accessKeyId, secretAccessKey: '[redacted]' } } : config.store;
  return { ...config, store, signingKey: config.signingKey ? '[redacted]' : undefined };
}
