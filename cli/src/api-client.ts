import { CliError, EXIT, exitForStatus } from './exit-codes.js';

export type FetchLike = typeof fetch;

export interface RequestOptions {
  /** A JSON body (sets the content type). */
  json?: unknown;
  /** Raw bytes or a stream (give its content type in `headers`). */
  body?: RequestInit['body'];
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The Codeyard HTTP API as the CLI calls it: bearer token, JSON, and every failure turned into
 * a CliError with the exit status its HTTP status means and the server's own message.
 */
export class ApiClient {
  constructor(
    readonly server: string,
    readonly token: string | undefined,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  /** One call; answers the response when it is 2xx, throws CliError otherwise. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'codeyard-cli', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body, signal: options.signal };
    // A stream body (an upload) must say it is sent while the answer may already come.
    if (body instanceof ReadableStream) init.duplex = 'half';
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.server}${path}`, init);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new CliError(EXIT.UNREACHABLE, `cannot reach ${this.server}: ${describeCause(err)}`);
    }
    if (!res.ok) throw await errorOf(res, this.server);
    return res;
  }

  async json<T>(method: string, path: string, json?: unknown): Promise<T> {
    const res = await this.request(method, path, json === undefined ? {} : { json });
    if (res.status === 204) return undefined as T;
    try {
      return (await res.json()) as T;
    } catch {
      throw new CliError(EXIT.ERROR, `${this.server} answered ${method} ${path} with something that is not JSON; is it a Codeyard server?`);
    }
  }
}

/** The CliError for an error answer: the server's `{ error: { code, message } }` where it sent one. */
export async function errorOf(res: Response, server: string): Promise<CliError> {
  let code: string | undefined;
  let message: string | undefined;
  let details: unknown;
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
    details = body.error?.details;
  } catch {
    // Not the product's error shape: a proxy in front, or not Codeyard at all.
  }
  const status = res.status;
  let said = message ?? `${server} answered ${status} ${res.statusText}`.trim();
  if (status === 401) said = `not signed in to ${server} (${message ?? 'the token was refused'}): run \`codeyard login --server ${server}\``;
  const retry = res.headers.get('retry-after');
  if ((status === 429 || status === 503) && retry) said += ` (try again in ${retry} s)`;
  return new CliError(exitForStatus(status), said, code ?? `HTTP_${status}`, details);
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is the portal running?)';
  if (cause?.code === 'ENOTFOUND') return 'unknown host';
  return cause?.message ?? (err as Error).message;
}
