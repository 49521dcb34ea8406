import fs from 'node:fs';
import path from 'node:path';

/** One OpenID Connect provider people may sign in with (an entry of CODEYARD_OIDC_PROVIDERS). */
export interface OidcProviderConfig {
  /** In URLs (`/auth/oidc/<id>/callback`) and in the database: lowercase letters, digits, dashes. */
  id: string;
  /** On the sign-in page's button: "Sign in with <name>". */
  name: string;
  /** The issuer identifier; `<issuer>/.well-known/openid-configuration` is read at first use. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Email domains whose people may sign in (lowercase); empty: any. */
  allowedDomains: string[];
  /** Scopes asked for; always holds `openid` and `email`. */
  scopes: string[];
}

/** Why a provider entry is refused; the caller makes it a ConfigError. */
export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

const FIELDS = new Set(['id', 'name', 'issuer', 'clientId', 'clientSecret', 'clientSecretFile', 'allowedDomains', 'scopes']);
const ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** Loopback hosts may be plain http (a provider on this machine, as the tests run one). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether an issuer on plain http is allowed: only on loopback (development, tests). */
export function isLoopbackIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}

function text(entry: Record<string, unknown>, field: string, where: string, required: boolean): string | undefined {
  const value = entry[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !value.trim()) throw new ProviderConfigError(`${where}: "${field}" must be a non-empty string`);
  return value.trim();
}

function list(entry: Record<string, unknown>, field: string, where: string, check: (item: string) => boolean, what: string): string[] {
  const value = entry[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new ProviderConfigError(`${where}: "${field}" must be an array of strings`);
  const items = (value as string[]).map((item) => item.trim().toLowerCase());
  const bad = items.find((item) => !check(item));
  if (bad !== undefined) throw new ProviderConfigError(`${where}: "${field}" has ${JSON.stringify(bad)}, which is not ${what}`);
  return items;
}

function readIssuer(entry: Record<string, unknown>, where: string): string {
  const issuer = text(entry, 'issuer', where, true)!;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ProviderConfigError(`${where}: "issuer" must be a URL like https://accounts.google.com, got ${JSON.stringify(issuer)}`);
  }
  if (url.search || url.hash) throw new ProviderConfigError(`${where}: "issuer" must have no query or fragment (it is the issuer identifier, e.g. https://keycloak.example.com/realms/school)`);
  if (url.protocol !== 'https:' && !isLoopbackIssuer(issuer)) throw new ProviderConfigError(`${where}: "issuer" must be https:// (plain http only on localhost or 127.0.0.1), got ${JSON.stringify(issuer)}`);
  // Kept exactly as given: the provider's metadata must name the same issuer, trailing slash included.
  return issuer;
}

/** The client secret, given inline or in a file (a Kubernetes Secret mounted as a file, say). */
function readSecret(entry: Record<string, unknown>, where: string, baseDir: string): string {
  const inline = text(entry, 'clientSecret', where, false);
  const file = text(entry, 'clientSecretFile', where, false);
  if ((inline === undefined) === (file === undefined)) throw new ProviderConfigError(`${where}: give exactly one of "clientSecret" and "clientSecretFile"`);
  if (inline !== undefined) return inline;
  let secret: string;
  try {
    secret = fs.readFileSync(path.resolve(baseDir, file!), 'utf8').trim();
  } catch (err) {
    throw new ProviderConfigError(`${where}: "clientSecretFile" ${JSON.stringify(file)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!secret) throw new ProviderConfigError(`${where}: "clientSecretFile" ${JSON.stringify(file)} is empty`);
  return secret;
}

function readEntry(value: unknown, index: number, baseDir: string): OidcProviderConfig {
  let where = `provider ${index + 1}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProviderConfigError(`${where} must be an object like {"id":"google","name":"Google","issuer":"https://accounts.google.com","clientId":"…","clientSecret":"…"}`);
  const entry = value as Record<string, unknown>;
  if (typeof entry.id === 'string') where = `provider ${index + 1} ("${entry.id}")`;
  const unknown = Object.keys(entry).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw new ProviderConfigError(`${where}: unknown field "${unknown}" (known: ${[...FIELDS].join(', ')})`);
  const id = text(entry, 'id', where, true)!;
  if (!ID.test(id)) throw new ProviderConfigError(`${where}: "id" must be 1-32 lowercase letters, digits or dashes (it goes in the callback URL), got ${JSON.stringify(id)}`);
  const scopes = list(entry, 'scopes', where, (s) => SCOPE.test(s), 'an OAuth scope');
  return {
    id,
    name: text(entry, 'name', where, true)!,
    issuer: readIssuer(entry, where),
    clientId: text(entry, 'clientId', where, true)!,
    clientSecret: readSecret(entry, where, baseDir),
    allowedDomains: list(entry, 'allowedDomains', where, (d) => DOMAIN.test(d), 'a domain like example.com'),
    // openid and email are what sign-in needs (the subject, and the verified address that links accounts).
    scopes: [...new Set(['openid', 'email', ...(scopes.length ? scopes : ['profile'])])],
  };
}

/**
 * CODEYARD_OIDC_PROVIDERS: a JSON array of providers, or the path of a file holding one (a
 * relative `clientSecretFile` is then relative to that file). Every problem names the entry and
 * the field.
 */
export function parseOidcProviders(value: string | undefined, cwd = process.cwd()): OidcProviderConfig[] {
  if (value === undefined || !value.trim()) return [];
  let json = value.trim();
  let baseDir = cwd;
  if (!json.startsWith('[')) {
    const file = path.resolve(cwd, json);
    try {
      json = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ProviderConfigError(`must be a JSON array or the path of a file holding one; ${JSON.stringify(value)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    baseDir = path.dirname(file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new ProviderConfigError(`is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new ProviderConfigError('must be a JSON array of providers, [{"id":…,"name":…,"issuer":…,"clientId":…,"clientSecret":…}]');
  const providers = parsed.map((entry, index) => readEntry(entry, index, baseDir));
  const ids = new Set<string>();
  for (const provider of providers) {
    if (ids.has(provider.id)) throw new ProviderConfigError(`two providers have the id "${provider.id}": each needs its own (it is in the callback URL)`);
    ids.add(provider.id);
  }
  return providers;
}
