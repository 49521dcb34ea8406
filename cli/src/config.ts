import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

/**
 * The CLI's own file: which servers it has signed in to and their tokens (AUTH-CONTRACT.md,
 * "Clients"): `{ "current": "<url>", "servers": { "<url>": { "token": "cyp_…" } } }`. It holds
 * credentials, so it is written 0600 in a 0700 folder, in one rename (never half-written).
 */
export interface ConfigFile {
  current?: string;
  servers: Record<string, { token?: string }>;
}

/** `$XDG_CONFIG_HOME/codeyard/config.json`, else `~/.config/codeyard/config.json`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec: a relative value is invalid and is ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'codeyard', 'config.json');
}

export function readConfig(file: string): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { servers: {} };
    throw new CliError(EXIT.ERROR, `cannot read ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.ERROR, `${file} is not valid JSON; fix it or delete it and run \`codeyard login\` again`);
  }
  const raw = (typeof value === 'object' && value !== null ? value : {}) as { current?: unknown; servers?: unknown };
  const servers: ConfigFile['servers'] = {};
  if (typeof raw.servers === 'object' && raw.servers !== null) {
    for (const [url, entry] of Object.entries(raw.servers as Record<string, unknown>)) {
      const token = (entry as { token?: unknown } | null)?.token;
      servers[url] = typeof token === 'string' ? { token } : {};
    }
  }
  return { ...(typeof raw.current === 'string' ? { current: raw.current } : {}), servers };
}

/** Writes the whole file: a private temporary file beside it, then a rename over it. */
export function writeConfig(file: string, config: ConfigFile): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.config.json.${process.pid}.${Date.now()}.tmp`);
  try {
    // The mode is given at creation, so the token is never readable by others, not even briefly.
    fs.writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    // The rename replaces the old file whole, mode included (an old 0644 one becomes 0600).
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new CliError(EXIT.ERROR, `cannot write ${file}: ${(err as Error).message}`);
  }
}

/** True when others than the owner may read the file (a token in it is then not private). */
export function isExposed(file: string): boolean {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat !== undefined && (stat.mode & 0o077) !== 0;
}

/**
 * A server as the config keys it: the origin, `http://` assumed when no scheme is given
 * (`localhost:8080`). A path is refused: Codeyard serves from the root of its host.
 */
export function normalizeServer(value: string): string {
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new CliError(EXIT.USAGE, `${JSON.stringify(value)} is not a server address: give one like http://localhost:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(EXIT.USAGE, `${value}: the server address must be http:// or https://`);
  if (url.pathname !== '/' || url.search || url.hash) throw new CliError(EXIT.USAGE, `${value}: give the server's address without a path (like ${url.origin})`);
  if (url.username || url.password) throw new CliError(EXIT.USAGE, `${value}: no user or password in the address; sign in with \`codeyard login\``);
  return url.origin;
}

export const DEFAULT_SERVER = 'http://localhost:8080';

export interface Target {
  server: string;
  token?: string;
  /** Where the token came from, for messages. */
  tokenFrom?: 'CODEYARD_TOKEN' | 'config';
}

/**
 * The server and token a command uses: `--server`, else `CODEYARD_SERVER`, else the config's
 * current server, else the default; the token from `CODEYARD_TOKEN`, else the config's for
 * that server.
 */
export function resolveTarget(env: NodeJS.ProcessEnv, config: ConfigFile, flagServer?: string): Target {
  const chosen = flagServer ?? (env.CODEYARD_SERVER || undefined) ?? config.current ?? DEFAULT_SERVER;
  const server = normalizeServer(chosen);
  if (env.CODEYARD_TOKEN) return { server, token: env.CODEYARD_TOKEN, tokenFrom: 'CODEYARD_TOKEN' };
  const token = config.servers[server]?.token;
  return token ? { server, token, tokenFrom: 'config' } : { server };
}

/** The config with a token stored for `server`, which becomes the current one. */
export function withToken(config: ConfigFile, server: string, token: string): ConfigFile {
  return { current: server, servers: { ...config.servers, [server]: { ...config.servers[server], token } } };
}

/** The config without the token of `server` (the entry goes; another server stays current). */
export function withoutToken(config: ConfigFile, server: string): ConfigFile {
  const servers = { ...config.servers };
  delete servers[server];
  const current = config.current === server ? undefined : config.current;
  return { ...(current ? { current } : {}), servers };
}
