import { createContext } from '@lit/context';
import { ApiError } from './api-client.js';
import type { AdminLimits, AdminUser, AdminUserChange, AdminUsers, AuditPage, Server, ServerSettings } from './types.js';

/** Which audit events: the filters of the list and of an export. */
export interface AuditFilter {
  kind?: string;
  account?: string;
  since?: string;
  until?: string;
}

/** The users list's query. */
export interface UsersQuery {
  q?: string;
  anonymous?: boolean;
  limit?: number;
  offset?: number;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * The admin API (/api/admin/) as the admin page calls it: with the browser's session (an admin
 * account signed in), or, for the machine's operator, with the admin token as a bearer header
 * (never with cookies then: the token alone says who calls).
 */
export class AdminClient {
  constructor(readonly token?: string) {}

  /** Signed in with the admin token, not an account: an account's actions (opening an IDE) are not available. */
  get operator(): boolean {
    return this.token !== undefined;
  }

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, credentials: this.token ? 'omit' : 'same-origin', cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'the portal cannot be reached; check the connection and try again');
    }
    if (!res.ok) {
      const error = (await res.json().catch(() => undefined))?.error;
      throw new ApiError(res.status, error?.code ?? 'HTTP', error?.message ?? `the portal answered ${res.status}`);
    }
    return res;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(method, path, body);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  server(): Promise<Server> {
    return this.request('GET', '/api/admin/server');
  }
  stopRepl(id: string): Promise<{ id: string; status: string }> {
    return this.request('POST', `/api/admin/repls/${encodeURIComponent(id)}/stop`, {});
  }
  users(q: UsersQuery = {}): Promise<AdminUsers> {
    return this.request('GET', `/api/admin/users${query({ ...q })}`);
  }
  changeUser(id: string, change: AdminUserChange): Promise<AdminUser> {
    return this.request('PATCH', `/api/admin/users/${encodeURIComponent(id)}`, change);
  }
  /** A new password for an account (it is signed out of every browser). */
  setPassword(id: string, password: string): Promise<AdminUser> {
    return this.request('PUT', `/api/admin/users/${encodeURIComponent(id)}/password`, { password });
  }
  /** A number sets the account's own always-on allowance; null gives it the default again. */
  setAllowance(id: string, allowance: number | null): Promise<unknown> {
    const path = `/api/admin/accounts/${encodeURIComponent(id)}/always-on`;
    return allowance === null ? this.request('DELETE', path) : this.request('PUT', path, { allowance });
  }
  /** The account's own limits (a number), or the server's default again (null); fields left out stay. */
  setLimits(id: string, limits: AdminLimits): Promise<AdminUser> {
    return this.request('PUT', `/api/admin/users/${encodeURIComponent(id)}/limits`, limits);
  }
  settings(): Promise<ServerSettings> {
    return this.request('GET', '/api/admin/settings');
  }
  audit(filter: AuditFilter, cursor?: string, limit = 50): Promise<AuditPage> {
    return this.request('GET', `/api/admin/audit${query({ ...filter, cursor, limit })}`);
  }

  /**
   * Downloads the matching events as a file. Fetched, then saved from memory: a plain link would
   * not carry the admin token (a header), and one path for both ways in keeps them alike.
   */
  async download(filter: AuditFilter, format: 'csv' | 'jsonl'): Promise<void> {
    const res = await this.#fetch('GET', `/api/admin/audit${query({ ...filter, format })}`);
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `codeyard-audit.${format}`;
    const url = URL.createObjectURL(await res.blob());
    const link = Object.assign(document.createElement('a'), { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/** The admin client, provided by <admin-view> to its panels. */
export const adminContext = createContext<AdminClient>(Symbol('codeyard-admin'));

/** An error as the page shows it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
