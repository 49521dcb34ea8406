import { consume } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { JoinInfo, Joined } from '@codeyard/common/api/classes';
import { ApiClient, ApiError } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { signInViewStyles } from '../sign-in-view/sign-in-view.styles.js';

/** A call that needs no session (the join link is the credential), its error as the API said it. */
async function publicCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method, credentials: 'same-origin', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'HTTP', data?.error?.message ?? `the portal answered ${res.status}; try again`);
  return data as T;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A class's join link (`/join/<studentId>.<secret>`): what it is for, then joining. Signed in:
 * one button. Signed out: sign in, or sign up right here (the link is the invite). Once joined,
 * the student's repl opens in VS Code.
 */
@customElement('join-page')
export class JoinPage extends LitElement {
  static override styles = [sharedStyles, signInViewStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  /** `<studentId>.<secret>` from the path. */
  @property() token = '';
  @property({ type: Boolean }) signedIn = false;

  @state() private info: JoinInfo | undefined;
  @state() private error = '';
  @state() private busy = false;
  @state() private mode: 'signin' | 'signup' = 'signin';

  override connectedCallback(): void {
    super.connectedCallback();
    publicCall<JoinInfo>('GET', `/api/join/info?link=${encodeURIComponent(this.token)}`).then(
      (info) => {
        this.info = info;
        if (!this.signedIn && info.signup) this.mode = 'signup';
      },
      (err: unknown) => (this.error = message(err)),
    );
  }

  async #run(work: () => Promise<Joined>): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      const joined = await work();
      window.location.assign(ApiClient.openUrl(joined.replId));
    } catch (err) {
      this.error = message(err);
    } finally {
      this.busy = false;
    }
  }

  #field(form: HTMLFormElement, name: string): string {
    return (form.elements.namedItem(name) as HTMLInputElement).value;
  }

  #join = () => this.#run(() => this.api.request<Joined>('POST', '/api/join', { link: this.token }));

  #signIn = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    return this.#run(async () => {
      await this.api.signIn(this.#field(form, 'email'), this.#field(form, 'password'));
      return this.api.request<Joined>('POST', '/api/join', { link: this.token });
    });
  };

  #signUp = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    return this.#run(() => publicCall<Joined>('POST', '/api/join/signup', { link: this.token, name: this.#field(form, 'name'), email: this.#field(form, 'email'), password: this.#field(form, 'password') }));
  };

  #forms() {
    const info = this.info!;
    if (this.signedIn) return html`<button type="button" class="primary" ?disabled=${this.busy} @click=${this.#join}>Join and open my repl</button>`;
    if (this.mode === 'signup') {
      return html`<form @submit=${this.#signUp}>
          <label>Your name <input name="name" autocomplete="name" required maxlength="64" .value=${info.studentName} /></label>
          <label>Email <input name="email" type="email" autocomplete="email" required ?readonly=${!!info.email} .value=${info.email ?? ''} /></label>
          <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="8" /></label>
          <button type="submit" class="primary" ?disabled=${this.busy}>Make my account and join</button>
        </form>
        <p class="switch muted">Have an account? <button type="button" class="link" @click=${() => (this.mode = 'signin')}>Sign in instead</button></p>`;
    }
    return html`<form @submit=${this.#signIn}>
        <label>Email <input name="email" type="email" autocomplete="email" required .value=${info.email ?? ''} /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit" class="primary" ?disabled=${this.busy}>Sign in and join</button>
      </form>
      ${info.signup ? html`<p class="switch muted">No account yet? <button type="button" class="link" @click=${() => (this.mode = 'signup')}>Make one</button></p>` : nothing}`;
  }

  override render() {
    const info = this.info;
    return html`<section class="card" aria-labelledby="title" aria-busy=${!info && !this.error ? 'true' : 'false'}>
      <h1 id="title">${info ? `Join ${info.className}` : 'Join a class'}</h1>
      ${info
        ? html`<p class="intro muted">${info.teacherName ? `${info.teacherName} invited you` : 'You were invited'} as <strong>${info.studentName}</strong>${info.email ? html` (${info.email})` : nothing}: you get your own copy of the class's project in VS Code.</p>
            ${info.joined && !this.signedIn ? html`<p class="muted">Someone has joined with this link already: sign in with that account.</p>` : nothing}
            ${this.#forms()}`
        : this.error
          ? nothing
          : html`<p class="intro muted"><span class="spinner" aria-hidden="true"></span> Reading the link…</p>`}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'join-page': JoinPage;
  }
}
