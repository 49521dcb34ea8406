import { provide } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiClient } from '../../api/api-client.js';
import { apiContext, feedContext } from '../../api/contexts.js';
import { ReplFeed } from '../../api/repl-feed.js';
import type { AuthOptions, Me, Repl } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../admin-view/admin-view.js';
import '../api-tokens/api-tokens.js';
import '../device-approval/device-approval.js';
import '../invite-panel/invite-panel.js';
import '../class-dashboard/class-dashboard.js';
import '../class-list/class-list.js';
import '../my-classes/my-classes.js';
import '../connected-providers/connected-providers.js';
import '../owner-claim/owner-claim.js';
import '../join-page/join-page.js';
import { nextPath } from '../sign-in-view/sign-in-view.js';
import '../sign-in-view/sign-in-view.js';
import '../repl-list/repl-list.js';
import '../stack-picker/stack-picker.js';
import type { StackSelectEvent } from '../stack-picker/stack-picker.js';
import { runningLimitOffer } from '../running-limit/running-limit-offer.js';
import '../running-limit/running-limit.js';
import type { RunningLimitOffer, StopAndStartEvent } from '../running-limit/running-limit.js';
import '../starting-view/starting-view.js';
import type { StartRefusedEvent } from '../starting-view/starting-view.js';
import { codeyardAppStyles } from './codeyard-app.styles.js';

/** Where the app is with the browser's session: finding out, signed in (as `me`), or not. */
type AuthState = { kind: 'loading' } | { kind: 'signed-in'; me: Me } | { kind: 'signed-out' } | { kind: 'failed'; message: string };

/**
 * The dashboard: the stack picker and "My repls", or the "Starting…" view of a repl just
 * created; without a session (outside anonymous mode), the sign-in page and nothing else. Owns
 * the API client and the live feed and hands both down through context.
 */
@customElement('codeyard-app')
export class CodeyardApp extends LitElement {
  static override styles = [sharedStyles, codeyardAppStyles];

  @provide({ context: apiContext })
  api = new ApiClient();

  @provide({ context: feedContext })
  feed = new ReplFeed(this.api);

  @state() private auth: AuthState = { kind: 'loading' };
  @state() private options: AuthOptions | undefined;
  @state() private inviting = false;

  /** The stack whose repl is being created. */
  @state() private creating: string | undefined;
  @state() private createError: string | undefined;
  /** The running limit stood in the way of the last creation: what to stop instead. */
  @state() private limitOffer: RunningLimitOffer | undefined;
  /** The repl being stopped to make room (the offer's button). */
  @state() private stopping: string | undefined;
  /** The repl being started, when the Starting view shows. */
  @state() private starting: Repl | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    // How status reaches the page (live / polling), for support and tests to see.
    this.feed.on('mode', (event) => (this.dataset.feed = event.detail));
    // Something worked (a card's action, a creation): earlier errors and offers are stale.
    this.api.onActionDone(() => this.#clearNotices());
    // The event stream needs the session cookie: open it once a call has got one.
    void this.api.authenticated.then(() => this.feed.start());
    // A session that ends while the page is open (signed out elsewhere, revoked): the sign-in page.
    this.api.onSignedOut = () => {
      this.feed.close();
      this.auth = { kind: 'signed-out' };
    };
    if (window.location.pathname !== '/admin') void this.#boot();
  }

  /** Finds out how this server signs people in, and whether this browser is. */
  async #boot(): Promise<void> {
    try {
      this.options = await this.api.authOptions();
      this.api.anonymous = this.options.authMode === 'anonymous';
      if (window.location.pathname === '/auth/owner') return;
      const me = await this.api.me();
      // Signed in already: the sign-in pages have nothing to do.
      if (window.location.pathname === '/signin' || window.location.pathname === '/signup') window.history.replaceState(null, '', '/');
      this.auth = { kind: 'signed-in', me };
    } catch (err) {
      if (this.auth.kind === 'signed-out') return;
      this.auth = { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  }

  async #signOut(): Promise<void> {
    try {
      await this.api.signOut();
    } finally {
      window.location.assign('/signin');
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.feed.close();
  }

  /**
   * A new repl of `stack`, named by the portal, then the Starting view. Asked with `start`, so an
   * account at its running limit gets the offer to stop one of its repls instead of a repl that
   * cannot start.
   */
  async #create(stack: string): Promise<void> {
    if (this.creating) return;
    this.creating = stack;
    this.#clearNotices();
    try {
      this.starting = await this.api.create(stack, undefined, { start: true });
    } catch (err) {
      const offer = runningLimitOffer(err, stack);
      if (offer) this.limitOffer = offer;
      else this.createError = err instanceof Error ? err.message : String(err);
    } finally {
      this.creating = undefined;
    }
  }

  /** "Stop X and start this": one click, X stopped first (its files saved), then the new repl. */
  async #stopAndStart(event: StopAndStartEvent): Promise<void> {
    this.stopping = event.detail.stop;
    try {
      await this.api.stop(event.detail.stop);
    } catch (err) {
      this.limitOffer = undefined;
      this.createError = err instanceof Error ? err.message : String(err);
      return;
    } finally {
      this.stopping = undefined;
    }
    await this.#create(event.detail.stack);
  }

  /** A start refused for the running limit (another start came between): the new repl, never started, goes, and the offer shows. */
  async #startRefused(event: StartRefusedEvent): Promise<void> {
    const { repl, error } = event.detail;
    const offer = runningLimitOffer(error, repl.stack);
    if (!offer) return;
    this.starting = undefined;
    await this.api.remove(repl.id).catch(() => undefined);
    this.limitOffer = offer; // after the removal, whose success clears notices
  }

  /** Errors and offers of an earlier attempt: stale once something else has worked. */
  #clearNotices(): void {
    this.createError = undefined;
    this.limitOffer = undefined;
  }

  #ready(event: CustomEvent<Repl>): void {
    // /open signs this browser in to the repl's IDE host and redirects there.
    window.location.assign(ApiClient.openUrl(event.detail.id));
  }

  #back(): void {
    this.starting = undefined;
  }

  #home() {
    return html`<section class="create" aria-labelledby="create-heading">
        <h2 id="create-heading">Create a repl</h2>
        <p class="muted intro">Pick a stack: you get VS Code in your browser, a Run button, and a URL for your app.</p>
        ${this.limitOffer
          ? html`<running-limit .offer=${this.limitOffer} .stopping=${this.stopping} @stop-and-start=${(e: StopAndStartEvent) => void this.#stopAndStart(e)} @offer-dismiss=${() => (this.limitOffer = undefined)}></running-limit>`
          : nothing}
        <stack-picker .creating=${this.creating} .error=${this.createError} @stack-select=${(e: StackSelectEvent) => void this.#create(e.detail.stack)}></stack-picker>
      </section>
      <repl-list .runningLimit=${this.auth.kind === 'signed-in' ? this.auth.me.limits?.running : undefined}></repl-list>
      <my-classes></my-classes>
      <api-tokens></api-tokens>
      ${this.#connect()}`;
  }

  /** "Connect <provider>" for a signed-in account (the owner has no address to be matched by): sign in with it later. */
  #connect() {
    const providers = this.options?.providers ?? [];
    if (!providers.length || this.auth.kind !== 'signed-in' || this.auth.me.anonymous) return nothing;
    return html`<section class="connect" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Sign-in providers</h2>
      <p class="muted intro">Connect a provider to this account, then sign in with it in any browser.</p>
      <connected-providers .providers=${providers}></connected-providers>
    </section>`;
  }

  /** Who is signed in, and what they may do from here (nothing to show for anonymous accounts). */
  #account() {
    if (this.auth.kind !== 'signed-in' || this.auth.me.anonymous) return nothing;
    const { me } = this.auth;
    const who = me.name ?? me.email ?? 'Owner';
    return html`<div class="account">
      ${me.role === 'admin' ? html`<a class="admin-link" href="/admin">Admin</a>` : nothing}
      <a class="classes-link" href="/classes">Classes</a>
      ${me.role === 'admin' || me.role === 'teacher' ? html`<button class="invite" @click=${() => (this.inviting = true)}>Invite</button>` : nothing}
      <span class="who" title=${me.email ?? ''}><span class="visually-hidden">Signed in as </span>${who}${me.role !== 'member' ? html` <span class="role muted">${me.role}</span>` : nothing}</span>
      <button class="sign-out" @click=${() => void this.#signOut()}>Sign out</button>
    </div>`;
  }

  #main() {
    const path = window.location.pathname;
    if (path === '/admin') return html`<admin-view></admin-view>`;
    if (path === '/auth/owner' && this.options) return html`<owner-claim></owner-claim>`;
    // A class's join link: its own sign-in and sign-up, whatever this browser's state.
    if (path.startsWith('/join/') && this.auth.kind !== 'loading' && this.options) return html`<join-page .token=${path.slice('/join/'.length)} ?signedIn=${this.auth.kind === 'signed-in'}></join-page>`;
    switch (this.auth.kind) {
      case 'loading':
        return html`<p class="muted" aria-busy="true"><span class="spinner" aria-hidden="true"></span> Loading…</p>`;
      case 'failed':
        return html`<p class="error" role="alert">${this.auth.message}</p>`;
      case 'signed-out': {
        const params = new URLSearchParams(window.location.search);
        const page = path === '/signup' ? 'signup' : 'signin';
        if (path !== '/signin' && path !== '/signup') window.history.replaceState(null, '', `/signin${path === '/' ? '' : `?next=${encodeURIComponent(path + window.location.search)}`}`);
        return html`<sign-in-view .page=${page} .options=${this.options!} .invite=${params.get('invite') ?? undefined} .next=${nextPath(params.get('next'))}></sign-in-view>`;
      }
    }
    // The device approval needs a signed-in browser: without one, the sign-in page (which comes back here).
    if (path === '/device') return html`<device-approval></device-approval>`;
    if (path === '/classes') return html`<class-list .me=${this.auth.me}></class-list>`;
    const classId = /^\/classes\/(cls_[a-z2-7]{16})$/.exec(path)?.[1];
    if (classId) return html`<class-dashboard .classId=${classId}></class-dashboard>`;
    return this.starting
      ? html`<starting-view .repl=${this.starting} @repl-ready=${(e: CustomEvent<Repl>) => this.#ready(e)} @start-back=${() => this.#back()} @start-refused=${(e: StartRefusedEvent) => void this.#startRefused(e)}></starting-view>`
      : this.#home();
  }

  override render() {
    return html`<header class="top">
        <a class="brand" href="/" aria-label="Codeyard home">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true"><rect width="32" height="32" rx="7" fill="var(--cy-accent)" /><path d="M12 10 6 16l6 6M20 10l6 6-6 6" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" /></svg>
          <span>Codeyard</span>
        </a>
        <nav class="end" aria-label="Account">
          ${this.#account()}
          <a class="api-link muted" href="/api/openapi.json">API</a>
        </nav>
      </header>
      <main>${this.#main()}</main>
      ${this.inviting ? html`<invite-panel open @invite-close=${() => (this.inviting = false)}></invite-panel>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'codeyard-app': CodeyardApp;
  }
}
