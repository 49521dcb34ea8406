import { provide } from '@lit/context';
import { css, html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
// The portal's own client, feed and elements: the app's pages are served on an origin whose
// /api/* the main process forwards to the server with the token (app-protocol.ts), so they
// work here unchanged.
import { ApiClient } from '../../../../portal/ui/src/api/api-client.js';
import { apiContext, feedContext, hostContext } from '../../../../portal/ui/src/api/contexts.js';
import { ReplFeed } from '../../../../portal/ui/src/api/repl-feed.js';
import type { Repl } from '../../../../portal/ui/src/api/types.js';
import { codeyardAppStyles } from '../../../../portal/ui/src/elements/codeyard-app/codeyard-app.styles.js';
import '../../../../portal/ui/src/elements/repl-list/repl-list.js';
import '../../../../portal/ui/src/elements/stack-picker/stack-picker.js';
import type { StackSelectEvent } from '../../../../portal/ui/src/elements/stack-picker/stack-picker.js';
import '../../../../portal/ui/src/elements/starting-view/starting-view.js';
import { sharedStyles } from '../../../../portal/ui/src/styles/shared.styles.js';
import { bridge, type ConnectionState, type Prompt, type ServersState, type SignInProgress } from '../shared/bridge.js';
import '../shared/offline-overlay.js';
import { messageOf } from './server-menu.js';
import './server-menu.js';
import './sign-in-panel.js';

/**
 * The home window: the server bar, then, signed in, the portal's dashboard elements (stacks,
 * the repls with live status, start/stop, Run) with Open IDE opening a repl window; signed out,
 * the sign-in panel. A deep link to a server not yet added asks first.
 */
@customElement('desktop-home')
export class DesktopHome extends LitElement {
  static override styles = [
    sharedStyles,
    codeyardAppStyles,
    css`
      .prompt {
        display: flex;
        gap: 0.6rem;
        align-items: center;
        flex-wrap: wrap;
        padding: 0.6rem 1.25rem;
        background: var(--cy-surface-2);
        border-bottom: 1px solid var(--cy-border);
      }
    `,
  ];

  @provide({ context: apiContext })
  api = new ApiClient();

  @provide({ context: feedContext })
  feed = new ReplFeed(this.api);

  /** The cards need no "Open in Codeyard Desktop" link here. */
  @provide({ context: hostContext })
  host = 'desktop' as const;

  @state() private servers: ServersState | undefined;
  @state() private progress: SignInProgress | undefined;
  @state() private connection: ConnectionState = { state: 'online' };
  @state() private prompt: Prompt | undefined;
  @state() private creating: string | undefined;
  @state() private createError: string | undefined;
  @state() private starting: Repl | undefined;
  /** How many repls the account may run at once (GET /api/me), for the list's "N of M running". */
  @state() private runningLimit: number | undefined;
  #off: Array<() => void> = [];

  override connectedCallback(): void {
    super.connectedCallback();
    const b = bridge();
    this.#off = [
      b.on('push:servers', (s) => (this.servers = s as ServersState)),
      b.on('push:sign-in', (p) => (this.progress = p as SignInProgress)),
      b.on('push:connection', (c) => (this.connection = c as ConnectionState)),
      b.on('push:prompt', (p) => (this.prompt = p as Prompt)),
    ];
    this.feed.on('mode', (event) => (this.dataset.feed = event.detail));
    void b.servers().then((s) => {
      this.servers = s;
      // The stream is the server's, through the app's origin: open it once signed in.
      if (this.#signedIn) {
        void this.api.authenticated.then(() => this.feed.start());
        void this.api.authenticated
          .then(() => this.api.me())
          .then((me) => (this.runningLimit = me.limits?.running))
          .catch(() => undefined); // the count is a hint: the list works without it
      }
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.#off) off();
    this.feed.close();
  }

  get #signedIn(): boolean {
    return !!this.servers?.servers.find((s) => s.url === this.servers?.current)?.signedIn;
  }

  async #create(event: StackSelectEvent): Promise<void> {
    if (this.creating) return;
    this.creating = event.detail.stack;
    this.createError = undefined;
    try {
      this.starting = await this.api.create(event.detail.stack);
    } catch (err) {
      this.createError = err instanceof Error ? err.message : String(err);
    } finally {
      this.creating = undefined;
    }
  }

  #ready(event: CustomEvent<Repl>): void {
    this.starting = undefined;
    void bridge().openRepl(event.detail.id);
  }

  async #acceptPrompt(prompt: Prompt): Promise<void> {
    this.prompt = undefined;
    try {
      this.servers = await bridge().addServer(prompt.server);
      await bridge().signIn(prompt.server);
    } catch (err) {
      this.createError = messageOf(err);
    }
  }

  #main() {
    if (!this.servers) return html`<p class="muted" aria-busy="true">Loading…</p>`;
    if (!this.servers.current) return html`<p class="muted">Add a Codeyard server to start.</p>`;
    if (!this.#signedIn) return html`<sign-in-panel .server=${this.servers.current} .progress=${this.progress}></sign-in-panel>`;
    if (this.starting) return html`<starting-view .repl=${this.starting} @repl-ready=${(e: CustomEvent<Repl>) => this.#ready(e)} @start-back=${() => (this.starting = undefined)}></starting-view>`;
    return html`<section class="create" aria-labelledby="create-heading">
        <h2 id="create-heading">Create a repl</h2>
        <p class="muted intro">Pick a stack: VS Code opens in a window of its own, with Run and the app's preview beside it.</p>
        <stack-picker .creating=${this.creating} .error=${this.createError} @stack-select=${(e: StackSelectEvent) => void this.#create(e)}></stack-picker>
      </section>
      <repl-list .runningLimit=${this.runningLimit}></repl-list>`;
  }

  override render() {
    const prompt = this.prompt;
    return html`<header class="top">
        <span class="brand">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true"><rect width="32" height="32" rx="7" fill="var(--cy-accent)" /><path d="M12 10 6 16l6 6M20 10l6 6-6 6" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" /></svg>
          <span>Codeyard</span>
        </span>
        ${this.servers ? html`<server-menu .servers=${this.servers}></server-menu>` : nothing}
      </header>
      ${prompt
        ? html`<div class="prompt" role="alert">
            <span>A link asks to open a repl on <strong>${new URL(prompt.server).host}</strong>, which is not one of your servers. Add it and sign in?</span>
            <button class="primary" @click=${() => void this.#acceptPrompt(prompt)}>Add and sign in</button>
            <button @click=${() => (this.prompt = undefined)}>Ignore</button>
          </div>`
        : nothing}
      <main>${this.#main()}</main>
      ${this.connection.state === 'offline' ? html`<offline-overlay .connection=${this.connection}></offline-overlay>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'desktop-home': DesktopHome;
  }
}
