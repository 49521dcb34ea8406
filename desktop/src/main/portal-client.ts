import type { AppState, Repl } from '@codeyard/common/api/models';

/** An answer of the server that is not a success, or no answer at all (`status` 0, code NETWORK). */
export class PortalError extends Error {
  override name = 'PortalError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export type Fetch = typeof globalThis.fetch;

/** What `POST /api/auth/device` answers (the #14 contract). */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

export interface DeviceToken {
  token: string;
  tokenId?: string;
  account?: { id: string; email?: string; name?: string; role?: string };
}

export interface PortalClientOptions {
  server: string;
  /** The bearer token, read at each call (sign-in and sign-out change it). */
  token?: () => string | undefined;
  fetch?: Fetch;
  /** Every call but the event stream is given up after this long. */
  timeoutMs?: number;
}

/**
 * The main process's client of one server's API: the bearer token is added here and never
 * leaves the main process. Errors keep the API's `{ error: { code, message } }`.
 */
export class PortalClient {
  readonly server: string;
  readonly #token: () => string | undefined;
  readonly #fetch: Fetch;
  readonly #timeoutMs: number;

  constructor(options: PortalClientOptions) {
    this.server = options.server;
    this.#token = options.token ?? (() => undefined);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The raw exchange, for the app protocol's forwarding and the event stream. */
  async send(path: string, init: RequestInit & { auth?: boolean; timeout?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = init.auth === false ? undefined : this.#token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    const signals = [init.signal, init.timeout === false ? undefined : AbortSignal.timeout(this.#timeoutMs)].filter((s): s is AbortSignal => !!s);
    try {
      return await this.#fetch(new URL(path, this.server), { ...init, headers, signal: signals.length ? AbortSignal.any(signals) : undefined, redirect: 'manual' });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new PortalError(0, 'NETWORK', `${this.server} cannot be reached (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})`);
    }
  }

  async request<T>(method: string, path: string, body?: unknown, options: { auth?: boolean } = {}): Promise<T> {
    const res = await this.send(path, {
      method,
      auth: options.auth,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw await PortalClient.errorOf(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  static async errorOf(res: Response): Promise<PortalError> {
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
    const retry = Number(res.headers.get('retry-after'));
    const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
    if (typeof body?.error?.code === 'string' && typeof body.error.message === 'string') return new PortalError(res.status, body.error.code, body.error.message, retryAfter);
    return new PortalError(res.status, 'HTTP', `the server answered ${res.status} ${res.statusText}`, retryAfter);
  }

  /** That the server answers at all (no account needed): the offline overlay's probe. */
  async healthy(): Promise<boolean> {
    try {
      const res = await this.send('/healthz', { auth: false });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  repls(): Promise<Repl[]> {
    return this.request('GET', '/api/repls');
  }
  repl(id: string): Promise<Repl> {
    return this.request('GET', `/api/repls/${encodeURIComponent(id)}`);
  }
  app(id: string): Promise<AppState> {
    return this.request('GET', `/api/repls/${encodeURIComponent(id)}/app`);
  }
  startApp(id: string): Promise<AppState> {
    return this.request('POST', `/api/repls/${encodeURIComponent(id)}/app/start`);
  }
  stopApp(id: string): Promise<AppState> {
    return this.request('POST', `/api/repls/${encodeURIComponent(id)}/app/stop`);
  }
  /**
   * A single-use link signing a browser session in to the repl's IDE host (or a private
   * preview's). The IDE comes without the portal's Codeyard bar: the repl window's toolbar is it.
   */
  async ideLink(id: string, port?: number): Promise<string> {
    const { url } = await this.request<{ url: string }>('POST', `/api/repls/${encodeURIComponent(id)}/ide-link`, port ? { port } : { bar: false });
    return url;
  }

  deviceAuthorize(client: string, name: string): Promise<DeviceAuthorization> {
    return this.request('POST', '/api/auth/device', { client, name }, { auth: false });
  }
  deviceToken(deviceCode: string): Promise<DeviceToken> {
    return this.request('POST', '/api/auth/device/token', { deviceCode }, { auth: false });
  }
  /** An anonymous account (portals in `anonymous` mode only): its `cy_…` token. */
  guestSession(): Promise<{ token: string }> {
    return this.request('POST', '/api/session', undefined, { auth: false });
  }
  /** Revokes the token making the call (the #14 contract's sign-out for CLI and desktop). */
  revokeCurrentToken(): Promise<void> {
    return this.request('DELETE', '/api/tokens/current');
  }
}
