import { createHash } from 'node:crypto';
import type { SignInProgress } from '../shared/ipc-channels.js';
import { deviceSignIn, SignInError } from './device-sign-in.js';
import { PortalError, type PortalClient } from './portal-client.js';
import type { ServerStore } from './server-store.js';

/**
 * The session partition of one server's remote pages (IDE and previews): its cookies (the
 * proxy's host-only IDE cookies) and storage live apart from other servers' and from the app's
 * own pages, and are wiped at sign-out. `persist:` keeps them across restarts, encrypted on
 * disk with the cookie-encryption fuse.
 */
export function partitionFor(server: string): string {
  return `persist:codeyard-${createHash('sha256').update(server).digest('hex').slice(0, 16)}`;
}

export interface AccountsOptions {
  store: ServerStore;
  clientFor(server: string): PortalClient;
  openExternal(url: string): Promise<void>;
  /** Clears the cookies and storage of the server's partition. */
  clearPartition(partition: string): Promise<void>;
  /** This computer's name, for the token's name on the server ("Codeyard Desktop on <host>"). */
  hostName: string;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
  onProgress(progress: SignInProgress): void;
  /** Told after every change of a server's sign-in (windows reload, streams reconnect). */
  onChange(server: string): void;
}

/** Sign-in and sign-out of servers: the device flow, the guest fallback, token revocation. */
export class Accounts {
  readonly #o: AccountsOptions;
  readonly #flows = new Map<string, AbortController>();

  constructor(options: AccountsOptions) {
    this.#o = options;
  }

  /**
   * Starts the device flow for a server the user added; progress goes to `onProgress`. Answers
   * once the flow has started (the page shows the code as it arrives): one flow per server.
   */
  signIn(server: string): void {
    if (!this.#o.store.has(server)) throw new Error(`${server} is not one of your servers; add it first`);
    this.#flows.get(server)?.abort();
    const abort = new AbortController();
    this.#flows.set(server, abort);
    const client = this.#o.clientFor(server);
    void deviceSignIn({
      client,
      name: `Codeyard Desktop on ${this.#o.hostName}`.slice(0, 100),
      openExternal: this.#o.openExternal,
      sleep: this.#o.sleep,
      now: this.#o.now,
      signal: abort.signal,
      onCode: (a) => this.#o.onProgress({ state: 'waiting', server, userCode: a.userCode, verificationUri: a.verificationUri, expiresAt: new Date(this.#o.now() + a.expiresIn * 1000).toISOString() }),
    })
      .then((answer) => {
        if (abort.signal.aborted) return;
        const account = answer.account ? { id: answer.account.id, email: answer.account.email, name: answer.account.name } : undefined;
        this.#o.store.setToken(server, answer.token, { account, tokenId: answer.tokenId });
        this.#o.onProgress({ state: 'done', server });
        this.#o.onChange(server);
      })
      .catch((err: unknown) => {
        if (err instanceof SignInError && err.reason === 'cancelled') return;
        const message = err instanceof Error ? err.message : String(err);
        this.#o.onProgress({ state: 'failed', server, message, ...(err instanceof SignInError && err.reason === 'unsupported' ? { guestPossible: true } : {}) });
      })
      .finally(() => {
        if (this.#flows.get(server) === abort) this.#flows.delete(server);
      });
  }

  cancel(server: string): void {
    this.#flows.get(server)?.abort();
    this.#flows.delete(server);
  }

  /** Whether a device flow is running for the server. */
  signingIn(server: string): boolean {
    return this.#flows.has(server);
  }

  /**
   * A guest account on a server in anonymous mode (`POST /api/session`, a `cy_…` token): what
   * a browser gets there too. Servers with accounts refuse it, and the error says so.
   */
  async signInAsGuest(server: string): Promise<void> {
    if (!this.#o.store.has(server)) throw new Error(`${server} is not one of your servers; add it first`);
    const { token } = await this.#o.clientFor(server).guestSession();
    if (typeof token !== 'string' || !token) throw new Error(`${server} sent no token`);
    this.#o.store.setToken(server, token, { account: { id: 'guest', name: 'Guest' } });
    this.#o.onChange(server);
  }

  /**
   * Signs out: the server revokes the token (`DELETE /api/tokens/current`), then the app forgets
   * it and wipes the server's partition (IDE cookies). The token is forgotten here even when
   * the server cannot revoke it; the answer says so, and what to do.
   */
  async signOut(server: string): Promise<{ revoked: boolean; message: string }> {
    this.cancel(server);
    const client = this.#o.clientFor(server);
    let result: { revoked: boolean; message: string };
    if (!this.#o.store.token(server)) {
      result = { revoked: true, message: 'not signed in' };
    } else {
      try {
        await client.revokeCurrentToken();
        result = { revoked: true, message: `signed out of ${server}; the token is revoked` };
      } catch (err) {
        if (err instanceof PortalError && err.status === 401) result = { revoked: true, message: `signed out of ${server}; the token was no longer valid` };
        // A guest sign-in holds the anonymous account's own token, which is no API token.
        else if (err instanceof PortalError && err.status === 400 && err.code === 'BAD_REQUEST')
          result = { revoked: false, message: `signed out here; a guest sign-in cannot be revoked from the app (${err.message})` };
        else if (err instanceof PortalError && (err.status === 404 || err.status === 405))
          result = { revoked: false, message: `signed out here; ${server} cannot revoke tokens (a server older than accounts and tokens), so the guest token stays valid there until it is deleted` };
        else result = { revoked: false, message: `signed out here, but ${server} could not revoke the token (${err instanceof Error ? err.message : String(err)}): revoke "Codeyard Desktop" in the server's token list` };
      }
    }
    this.#o.store.clearToken(server);
    await this.#o.clearPartition(partitionFor(server)).catch(() => undefined);
    this.#o.onChange(server);
    return result;
  }
}
