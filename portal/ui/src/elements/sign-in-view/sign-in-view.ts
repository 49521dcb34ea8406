import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { AuthOptions, InviteInfo } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../oidc-buttons/oidc-buttons.js';
import { signInViewStyles } from './sign-in-view.styles.js';

export type SignInPage = 'signin' | 'signup';

/** A same-site path to go to after signing in (`?next=`), or `/`: never another site. */
export function nextPath(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f]/.test(value)) return '/';
  return value;
}

/**
 * The sign-in and sign-up pages (/signin, /signup, /signup?invite=…): all a browser without a
 * session sees outside anonymous mode. Success is a new session cookie; the page then goes to
 * `next` (or the dashboard) with a fresh load, so nothing of the signed-out page is kept.
 */
@customElement('sign-in-view')
export class SignInView extends LitElement {
  static override styles = [sharedStyles, signInViewStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property() page: SignInPage = 'signin';
  @property({ attribute: false }) options!: AuthOptions;
  /** The invite token from the link, on the sign-up page. */
  @property() invite: string | undefined;
  @property() next = '/';

  @state() private busy = false;
  @state() private error = '';
  /** What the invite is for, once read; an error instead when it cannot be used. */
  @state() private inviteInfo: InviteInfo | undefined;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('invite') && this.invite && this.page === 'signup') {
      this.api.inviteInfo(this.invite).then(
        (info) => (this.inviteInfo = info),
        (err: unknown) => (this.error = err instanceof Error ? err.message : String(err)),
      );
    }
  }

  async #submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const field = (name: string): string => String(form.get(name) ?? '');
    this.busy = true;
    this.error = '';
    try {
      if (this.page === 'signin') await this.api.signIn(field('email'), field('password'));
      else await this.api.signUp({ email: field('email'), password: field('password'), name: field('name'), ...(this.invite ? { invite: this.invite } : {}) });
      window.location.assign(this.next);
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      this.busy = false;
    }
  }

  #intro() {
    if (this.page === 'signup') return this.invite ? 'You were invited to this Codeyard: make your account.' : 'Make an account on this Codeyard.';
    return this.options.authMode === 'owner'
      ? 'This Codeyard belongs to its owner. The owner signs in with the link the terminal printed when Codeyard started; everyone else with the account they made from the owner’s invite.'
      : 'Sign in with your email and password.';
  }

  #signInForm() {
    return html`<form @submit=${(e: SubmitEvent) => void this.#submit(e)}>
        <label>Email <input name="email" type="email" autocomplete="username" required maxlength="254" /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="256" /></label>
        <p class="error" role="alert">${this.error}</p>
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}Sign in</button>
      </form>
      ${this.options.signup === 'open' ? html`<p class="switch muted">No account yet? <a href="/signup">Sign up</a></p>` : nothing}`;
  }

  #signUpForm() {
    // Without an invite, only open sign-up has a form; otherwise say how to get in.
    if (!this.invite && this.options.signup !== 'open') {
      return html`<p class="error" role="alert">${this.options.signup === 'closed' ? 'Sign-up is closed on this server: ask an admin for an account.' : 'Sign-up here is by invitation: ask an admin or teacher of this Codeyard for an invite link.'}</p>
        <p class="switch muted">Have an account? <a href="/signin">Sign in</a></p>`;
    }
    const email = this.inviteInfo?.email ?? undefined;
    return html`<form @submit=${(e: SubmitEvent) => void this.#submit(e)}>
        <label>Name <input name="name" autocomplete="name" required maxlength="64" /></label>
        <label>Email <input name="email" type="email" autocomplete="username" required maxlength="254" .value=${email ?? ''} ?readonly=${email !== undefined} /></label>
        <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256" aria-describedby="pw-hint" /></label>
        <span id="pw-hint" class="muted visually-hidden">At least 8 characters.</span>
        <p class="error" role="alert">${this.error}</p>
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}Create account</button>
      </form>
      <p class="switch muted">Have an account? <a href="/signin">Sign in</a></p>`;
  }

  /**
   * "Sign in with <provider>" for each OpenID provider GET /api/auth/options lists: on the sign-in
   * page, and on the sign-up page where a form is offered (open sign-up, or an invite, which the
   * new account is then made by). Nothing when the server has none.
   */
  #providers() {
    const providers = this.options.providers ?? [];
    if (!providers.length || (this.page === 'signup' && !this.invite && this.options.signup !== 'open')) return nothing;
    return html`<div class="providers">
      <p class="or muted"><span>or</span></p>
      <oidc-buttons .providers=${providers} .invite=${this.page === 'signup' ? this.invite : undefined}></oidc-buttons>
    </div>`;
  }

  override render() {
    return html`<section class="card" aria-labelledby="title">
      <h1 id="title">${this.page === 'signin' ? 'Sign in to Codeyard' : 'Sign up'}</h1>
      <p class="intro muted">${this.#intro()}</p>
      ${this.page === 'signin' ? this.#signInForm() : this.#signUpForm()} ${this.#providers()}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sign-in-view': SignInView;
  }
}
