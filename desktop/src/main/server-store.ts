import fs from 'node:fs';
import path from 'node:path';
import type { Preferences, ServerSummary, ServersState } from '../shared/ipc-channels.js';
import { DEFAULT_SERVER, normalizeServerUrl } from './server-url.js';

/** Electron's `safeStorage`, as far as the store uses it (injected: tests pass a double). */
export interface SafeStorage {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which secret store protects the key; `basic_text` is a fixed key, i.e. no protection. */
  getSelectedStorageBackend?(): string;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Account {
  id: string;
  email?: string;
  name?: string;
}

interface StoredServer {
  url: string;
  /** The API token, encrypted by safeStorage, base64. */
  token?: string;
  /** The personal API token's id (to show; revocation uses /api/tokens/current). */
  tokenId?: string;
  account?: Account;
}

interface StoreFile {
  version: 1;
  current?: string;
  servers: StoredServer[];
  bounds: Record<string, Rect>;
  preferences: Preferences;
}

const DEFAULT_PREFERENCES: Preferences = { checkForUpdates: false };
/** Window bounds of at most this many windows are remembered (repl windows come and go). */
const MAX_BOUNDS = 50;

/**
 * The servers the user added, which one is current, their API tokens, window bounds and
 * preferences: one JSON file (mode 0600) in the app's data folder, written whole through a
 * temporary file. A token is written only encrypted by the OS (safeStorage: Keychain, DPAPI,
 * libsecret/kwallet); where no secret store protects it (Linux's `basic_text`), it is kept in
 * memory for this run only and the home page says so, rather than written in the clear.
 */
export class ServerStore {
  readonly #file: string;
  readonly #safe: SafeStorage;
  readonly #memoryTokens = new Map<string, string>();
  #data: StoreFile;
  /** Why the file could not be read at start, if it could not (shown once, then forgotten). */
  readonly problems: string[] = [];

  constructor(options: { dir: string; safeStorage: SafeStorage }) {
    this.#file = path.join(options.dir, 'codeyard-desktop.json');
    this.#safe = options.safeStorage;
    this.#data = this.#read();
  }

  #read(): StoreFile {
    const fresh: StoreFile = { version: 1, current: DEFAULT_SERVER, servers: [{ url: DEFAULT_SERVER }], bounds: {}, preferences: { ...DEFAULT_PREFERENCES } };
    let text: string;
    try {
      text = fs.readFileSync(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.problems.push(`could not read ${this.#file}: ${(err as Error).message}`);
      return fresh;
    }
    try {
      const parsed = JSON.parse(text) as Partial<StoreFile>;
      if (parsed.version !== 1 || !Array.isArray(parsed.servers)) throw new Error('not a version 1 settings file');
      const servers = parsed.servers.flatMap((s) => {
        try {
          return [{ ...s, url: normalizeServerUrl(s.url) }];
        } catch {
          return [];
        }
      });
      return { version: 1, current: parsed.current, servers, bounds: parsed.bounds ?? {}, preferences: { ...DEFAULT_PREFERENCES, ...parsed.preferences } };
    } catch (err) {
      // Kept aside, not deleted: it may hold the only copy of the user's server list.
      const aside = `${this.#file}.unreadable-${Date.now()}`;
      fs.renameSync(this.#file, aside);
      this.problems.push(`the settings file was unreadable (${(err as Error).message}); it was moved to ${aside} and you start with the default server`);
      return fresh;
    }
  }

  #write(): void {
    fs.mkdirSync(path.dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.#data, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.#file);
  }

  /** Whether a token written now is protected by the OS. */
  canEncrypt(): boolean {
    if (!this.#safe.isEncryptionAvailable()) return false;
    return this.#safe.getSelectedStorageBackend?.() !== 'basic_text';
  }

  #server(url: string): StoredServer | undefined {
    return this.#data.servers.find((s) => s.url === url);
  }

  state(): ServersState {
    return { current: this.#data.current, servers: this.#data.servers.map((s) => this.summary(s.url)!), preferences: { ...this.#data.preferences } };
  }

  summary(url: string): ServerSummary | undefined {
    const server = this.#server(url);
    if (!server) return undefined;
    const inMemory = this.#memoryTokens.has(url);
    const signedIn = inMemory || !!server.token;
    return { url, signedIn, ...(server.account ? { account: server.account } : {}), ...(signedIn ? { tokenKept: inMemory ? 'memory' : 'safe-storage' } : {}) };
  }

  get current(): string | undefined {
    return this.#data.current;
  }

  has(url: string): boolean {
    return !!this.#server(url);
  }

  /** Adds a server (normalized; a ServerUrlError says what is wrong) and makes it current. */
  add(input: string): string {
    const url = normalizeServerUrl(input);
    if (!this.#server(url)) this.#data.servers.push({ url });
    this.#data.current = url;
    this.#write();
    return url;
  }

  remove(url: string): void {
    this.#data.servers = this.#data.servers.filter((s) => s.url !== url);
    this.#memoryTokens.delete(url);
    if (this.#data.current === url) this.#data.current = this.#data.servers[0]?.url;
    this.#write();
  }

  select(url: string): void {
    if (!this.#server(url)) throw new Error(`${url} is not one of your servers`);
    this.#data.current = url;
    this.#write();
  }

  /** The server's token in the clear, for the main process's own requests only. */
  token(url: string): string | undefined {
    const memory = this.#memoryTokens.get(url);
    if (memory) return memory;
    const stored = this.#server(url)?.token;
    if (!stored) return undefined;
    try {
      return this.#safe.decryptString(Buffer.from(stored, 'base64'));
    } catch {
      // The OS key changed (a new keyring, another user): the token is lost, sign in again.
      this.clearToken(url);
      this.problems.push(`the saved sign-in for ${url} could not be decrypted; sign in again`);
      return undefined;
    }
  }

  setToken(url: string, token: string, details: { account?: Account; tokenId?: string } = {}): void {
    const server = this.#server(url);
    if (!server) throw new Error(`${url} is not one of your servers`);
    server.account = details.account;
    server.tokenId = details.tokenId;
    if (this.canEncrypt()) {
      server.token = this.#safe.encryptString(token).toString('base64');
      this.#memoryTokens.delete(url);
    } else {
      delete server.token;
      this.#memoryTokens.set(url, token);
    }
    this.#write();
  }

  clearToken(url: string): void {
    this.#memoryTokens.delete(url);
    const server = this.#server(url);
    if (!server) return;
    delete server.token;
    delete server.tokenId;
    delete server.account;
    this.#write();
  }

  bounds(key: string): Rect | undefined {
    return this.#data.bounds[key];
  }

  setBounds(key: string, rect: Rect): void {
    delete this.#data.bounds[key];
    this.#data.bounds[key] = rect;
    const keys = Object.keys(this.#data.bounds);
    // Oldest first (insertion order): the windows not seen for longest are forgotten first.
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_BOUNDS))) delete this.#data.bounds[old];
    this.#write();
  }

  get preferences(): Preferences {
    return { ...this.#data.preferences };
  }

  setPreferences(change: Partial<Preferences>): void {
    if (change.checkForUpdates !== undefined && typeof change.checkForUpdates !== 'boolean') throw new Error('checkForUpdates is true or false');
    // Only known keys: the object comes from a page.
    this.#data.preferences = { checkForUpdates: change.checkForUpdates ?? this.#data.preferences.checkForUpdates };
    this.#write();
  }
}
