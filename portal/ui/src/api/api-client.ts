import type { ApiErrorBody, ApiToken, AppState, AuthOptions, ChangeRepl, ClassDeleted, ClassDetail, ClassList, CollectWhat, ConnectedIdentitiesReply, CreateClass, CreatedToken, CreateInvite, CreateRepl, CreateToken, DeviceApproved, DeviceRequest, GradeRun, Invite, InviteInfo, Joined, Me, PortSetting, PortVisibilityChange, PushFileResult, Repl, Runtime, SecretEntry, SecretList, SetSecret, Stack, Submission, Usage, Visibility } from './types.js';

/** An error answer of the API: its code and the message that says what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The answer's `error.details`, when it has them (e.g. which repls hold the running limit). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const enc = encodeURIComponent;

function isErrorBody(body: unknown): body is ApiErrorBody {
  const error = (body as ApiErrorBody | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/**
 * The portal API as the browser uses it: the portal cookie authenticates every call. In anonymous
 * mode a browser without a session gets one (POST /api/session) on its first unauthenticated
 * answer; in the other modes an unauthenticated answer means "sign in" (`onSignedOut`).
 */
export class ApiClient {
  #session: Promise<void> | undefined;
  #signedIn!: () => void;

  /** Anonymous mode: make an account instead of asking to sign in (set once the mode is known). */
  anonymous = false;
  /** Called when a call finds this browser signed out (its session ended, revoked, or never was). */
  onSignedOut: (() => void) | undefined;

  readonly #actions = new EventTarget();

  /**
   * Calls `listener` after every call that changed something and succeeded (any method but GET):
   * the page's error messages about earlier attempts are stale then. Returns unsubscribe.
   */
  onActionDone(listener: () => void): () => void {
    this.#actions.addEventListener('done', listener);
    return () => this.#actions.removeEventListener('done', listener);
  }

  /** Settles once a call got through with this browser's session (new or not). */
  readonly authenticated = new Promise<void>((resolve) => (this.#signedIn = resolve));

  constructor(private readonly base = '') {}

  async #send(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(this.base + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** Creates the anonymous account once, however many calls found none. */
  ensureSession(): Promise<void> {
    this.#session ??= this.#send('POST', '/api/session').then(async (res) => {
      if (!res.ok) {
        this.#session = undefined;
        throw await ApiClient.#errorOf(res);
      }
    });
    return this.#session;
  }

  static async #errorOf(res: Response): Promise<ApiError> {
    const body: unknown = await res.json().catch(() => undefined);
    if (isErrorBody(body)) return new ApiError(res.status, body.error.code, body.error.message, body.error.details);
    return new ApiError(res.status, 'HTTP', `the portal answered ${res.status} ${res.statusText}; try again, or reload the page`);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.#send(method, path, body);
      if (res.status === 401 && !this.anonymous) {
        this.onSignedOut?.();
        throw await ApiClient.#errorOf(res);
      }
      if (res.status === 401) {
        const known = this.#session;
        await this.ensureSession();
        res = await this.#send(method, path, body);
        if (res.status === 401 && known) {
          // The session this page made earlier is not valid any more: make a new one, once.
          this.#session = undefined;
          await this.ensureSession();
          res = await this.#send(method, path, body);
        }
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(0, 'NETWORK', 'the portal cannot be reached; check your connection and try again');
    }
    if (res.status !== 401) this.#signedIn();
    if (!res.ok) throw await ApiClient.#errorOf(res);
    if (method !== 'GET') this.#actions.dispatchEvent(new Event('done'));
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  // ---- signing in (these answer for themselves: a 401 here is a wrong password, not a lost session) ----

  /** A call that needs no session; its error is thrown as it is. */
  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.#send(method, path, body);
    } catch {
      throw new ApiError(0, 'NETWORK', 'the portal cannot be reached; check your connection and try again');
    }
    if (!res.ok) throw await ApiClient.#errorOf(res);
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }
  /** How people sign in here (no session needed). */
  authOptions(): Promise<AuthOptions> {
    return this.#call('GET', '/api/auth/options');
  }
  signIn(email: string, password: string): Promise<Me> {
    return this.#call('POST', '/api/auth/signin', { email, password });
  }
  signUp(body: { email: string; password: string; name: string; invite?: string }): Promise<Me> {
    return this.#call('POST', '/api/auth/signup', body);
  }
  signOut(): Promise<void> {
    return this.#call('POST', '/api/auth/signout');
  }
  claimOwner(code: string): Promise<Me> {
    return this.#call('POST', '/api/auth/owner', { code });
  }
  inviteInfo(invite: string): Promise<InviteInfo> {
    return this.#call('GET', `/api/auth/invite?invite=${encodeURIComponent(invite)}`);
  }
  /** Who is signed in (in anonymous mode, makes the account first if there is none). */
  me(): Promise<Me> {
    return this.request('GET', '/api/me');
  }
  invite(body: CreateInvite): Promise<Invite> {
    return this.request('POST', '/api/invites', body);
  }

  stacks(): Promise<Stack[]> {
    return this.request('GET', '/api/stacks');
  }
  repls(): Promise<Repl[]> {
    return this.request('GET', '/api/repls');
  }
  /** The isolation and limits this host enforces (limits.memory.value: one repl's memory limit, bytes). */
  runtime(): Promise<Runtime> {
    return this.request('GET', '/api/runtime');
  }
  /** Memory and CPU of the account's running repls (the last reading, every few seconds). */
  usage(): Promise<Record<string, Usage>> {
    return this.request('GET', '/api/usage');
  }
  repl(id: string): Promise<Repl> {
    return this.request('GET', `/api/repls/${id}`);
  }
  /** A new repl (named by the portal when `name` is not given); with `start`, refused while the account runs all it may. */
  create(stack: string, name?: string, options: { start?: boolean } = {}): Promise<Repl> {
    const body: CreateRepl = { stack, ...(name ? { name } : {}), ...(options.start ? { start: true } : {}) };
    return this.request('POST', '/api/repls', body);
  }
  start(id: string): Promise<Repl> {
    return this.request('POST', `/api/repls/${id}/start`);
  }
  stop(id: string): Promise<Repl> {
    return this.request('POST', `/api/repls/${id}/stop`);
  }
  startApp(id: string): Promise<AppState> {
    return this.request('POST', `/api/repls/${id}/app/start`);
  }
  /** Restart: the app stopped and started again (started, with the repl, when it is not running). */
  restartApp(id: string): Promise<AppState> {
    return this.request('POST', `/api/repls/${id}/app/restart`);
  }
  stopApp(id: string): Promise<AppState> {
    return this.request('POST', `/api/repls/${id}/app/stop`);
  }
  rename(id: string, name: string): Promise<Repl> {
    const body: ChangeRepl = { name };
    return this.request('PATCH', `/api/repls/${id}`, body);
  }
  /** Always on or off; a 409 (LIMIT_REACHED) names the repls using the account's allowance. */
  setAlwaysOn(id: string, alwaysOn: boolean): Promise<Repl> {
    const body: ChangeRepl = { alwaysOn };
    return this.request('PATCH', `/api/repls/${id}`, body);
  }
  fork(id: string): Promise<Repl> {
    return this.request('POST', `/api/repls/${id}/fork`, {});
  }
  remove(id: string): Promise<void> {
    return this.request('DELETE', `/api/repls/${id}`);
  }
  setVisibility(id: string, port: number, visibility: Visibility): Promise<PortSetting> {
    const body: PortVisibilityChange = { visibility };
    return this.request('PATCH', `/api/repls/${id}/ports/${port}`, body);
  }

  /** A repl's secrets: names and when each changed, never a value (owner only; others get 404). */
  secrets(id: string): Promise<SecretList> {
    return this.request('GET', `/api/repls/${enc(id)}/secrets`);
  }
  /** Adds or replaces one secret (the API answers 201 for a new name, 200 for a replaced one). */
  setSecret(id: string, name: string, value: string): Promise<SecretEntry> {
    const body: SetSecret = { value };
    return this.request('PUT', `/api/repls/${enc(id)}/secrets/${enc(name)}`, body);
  }
  removeSecret(id: string, name: string): Promise<void> {
    return this.request('DELETE', `/api/repls/${enc(id)}/secrets/${enc(name)}`);
  }

  /** The account's API tokens (never the tokens themselves). */
  tokens(): Promise<ApiToken[]> {
    return this.request('GET', '/api/tokens');
  }
  /** A new API token: the answer is the only time its value is shown. */
  createToken(body: CreateToken): Promise<CreatedToken> {
    return this.request('POST', '/api/tokens', body);
  }
  revokeToken(id: string): Promise<void> {
    return this.request('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
  }
  /** The OpenID providers connected to this account. */
  identities(): Promise<ConnectedIdentitiesReply> {
    return this.request('GET', '/api/me/identities');
  }
  disconnectIdentity(provider: string): Promise<void> {
    return this.request('DELETE', `/api/me/identities/${encodeURIComponent(provider)}`);
  }
  /** A device sign-in waiting for this user's answer, by the code the device shows. */
  deviceRequest(userCode: string): Promise<DeviceRequest> {
    return this.request('GET', `/api/auth/device/${encodeURIComponent(userCode)}`);
  }
  answerDevice(userCode: string, approve: boolean): Promise<DeviceApproved> {
    return this.request('POST', '/api/auth/device/approve', { userCode, approve });
  }

  // ---- classrooms (#15): the teacher's routes answer 404 to anyone else ----

  classes(): Promise<ClassList> {
    return this.request('GET', '/api/classes');
  }
  /** A new class; its rows carry the join links, shown only in this answer. */
  createClass(body: CreateClass): Promise<ClassDetail> {
    return this.request('POST', '/api/classes', body);
  }
  classDetail(id: string): Promise<ClassDetail> {
    return this.request('GET', `/api/classes/${enc(id)}`);
  }
  /** Deletes the class: unjoined repls with it; joined students keep theirs. Safe to ask again after a failure. */
  deleteClass(id: string): Promise<ClassDeleted> {
    return this.request('DELETE', `/api/classes/${enc(id)}`);
  }
  /** Start or stop the repls of these students (all when none given); starts wait for room like any start. */
  classPower(id: string, action: 'start' | 'stop', students?: string[]): Promise<{ queued: number }> {
    return this.request('POST', `/api/classes/${enc(id)}/${action}`, students ? { students } : {});
  }
  resetStudent(id: string, sid: string): Promise<unknown> {
    return this.request('POST', `/api/classes/${enc(id)}/students/${enc(sid)}/reset`);
  }
  /** A new join link for a student (the old one stops working): shown only in this answer. */
  reissueLink(id: string, sid: string): Promise<{ link: string }> {
    return this.request('POST', `/api/classes/${enc(id)}/students/${enc(sid)}/link`);
  }
  revokeLink(id: string, sid: string): Promise<void> {
    return this.request('DELETE', `/api/classes/${enc(id)}/students/${enc(sid)}/link`);
  }
  /** The IDE link of a student's repl for the teacher (audited; the student sees a notice). */
  openStudent(id: string, sid: string): Promise<{ url: string }> {
    return this.request('POST', `/api/classes/${enc(id)}/students/${enc(sid)}/open`);
  }
  pushFile(id: string, body: { path: string; content: string; encoding?: 'utf8' | 'base64' }): Promise<PushFileResult> {
    return this.request('POST', `/api/classes/${enc(id)}/files`, body);
  }
  grade(id: string, command?: string): Promise<GradeRun> {
    return this.request('POST', `/api/classes/${enc(id)}/grade`, command ? { command } : {});
  }
  gradeRuns(id: string): Promise<{ runs: GradeRun[] }> {
    return this.request('GET', `/api/classes/${enc(id)}/grade`);
  }
  gradeRun(id: string, runId: string): Promise<GradeRun> {
    return this.request('GET', `/api/classes/${enc(id)}/grade/${enc(runId)}`);
  }
  studentSubmissions(id: string, sid: string): Promise<Submission[]> {
    return this.request('GET', `/api/classes/${enc(id)}/students/${enc(sid)}/submissions`);
  }
  join(body: { link: string } | { code: string }): Promise<Joined> {
    return this.request('POST', '/api/join', body);
  }
  /** Submit: an immutable saved version of the repl's workspace (owner only). */
  submit(replId: string): Promise<Submission> {
    return this.request('POST', `/api/repls/${enc(replId)}/submit`, {});
  }
  submissions(replId: string): Promise<Submission[]> {
    return this.request('GET', `/api/repls/${enc(replId)}/submissions`);
  }
  static gradeCsvUrl(id: string, runId: string): string {
    return `/api/classes/${enc(id)}/grade/${enc(runId)}.csv`;
  }
  static collectUrl(id: string, what: CollectWhat, format: 'zip' | 'tar.gz' = 'zip'): string {
    return `/api/classes/${enc(id)}/collect?what=${what}&format=${format}`;
  }

  /** Links, not calls: the browser downloads and navigates itself. */
  static archiveUrl(id: string, format: 'tar.gz' | 'zip'): string {
    return format === 'zip' ? `/api/repls/${id}/archive?format=zip` : `/api/repls/${id}/archive`;
  }
  static openUrl(id: string): string {
    return `/open/${id}`;
  }
  /** Codeyard Desktop's link for the repl on this portal (desktop/src/main/deep-link.ts parses it). */
  static desktopUrl(id: string, origin = window.location.origin): string {
    return `codeyard://open?${new URLSearchParams({ server: origin, repl: id }).toString()}`;
  }
}
