import { provide } from '@lit/context';
import { html, LitElement } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiClient } from '../../api/api-client.js';
import { apiContext, feedContext } from '../../api/contexts.js';
import { ReplFeed } from '../../api/repl-feed.js';
import type { Repl } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../admin-view/admin-view.js';
import '../api-tokens/api-tokens.js';
import '../device-approval/device-approval.js';
import '../repl-list/repl-list.js';
import '../stack-picker/stack-picker.js';
import type { StackSelectEvent } from '../stack-picker/stack-picker.js';
import '../starting-view/starting-view.js';
import { codeyardAppStyles } from './codeyard-app.styles.js';

/**
 * The dashboard: the stack picker and "My repls", or the "Starting…" view of a repl just
 * created. Owns the API client and the live feed and hands both down through context.
 */
@customElement('codeyard-app')
export class CodeyardApp extends LitElement {
  static override styles = [sharedStyles, codeyardAppStyles];

  @provide({ context: apiContext })
  api = new ApiClient();

  @provide({ context: feedContext })
  feed = new ReplFeed(this.api);

  /** The stack whose repl is being created. */
  @state() private creating: string | undefined;
  @state() private createError: string | undefined;
  /** The repl being started, when the Starting view shows. */
  @state() private starting: Repl | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    // How status reaches the page (live / polling), for support and tests to see.
    this.feed.on('mode', (event) => (this.dataset.feed = event.detail));
    // The event stream needs the session cookie: open it once a call has got one.
    void this.api.authenticated.then(() => this.feed.start());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.feed.close();
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
        <stack-picker .creating=${this.creating} .error=${this.createError} @stack-select=${(e: StackSelectEvent) => void this.#create(e)}></stack-picker>
      </section>
      <repl-list></repl-list>
      <api-tokens></api-tokens>`;
  }

  override render() {
    return html`<header class="top">
        <a class="brand" href="/" aria-label="Codeyard home">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true"><rect width="32" height="32" rx="7" fill="var(--cy-accent)" /><path d="M12 10 6 16l6 6M20 10l6 6-6 6" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" /></svg>
          <span>Codeyard</span>
        </a>
        <a class="api-link muted" href="/api/openapi.json">API</a>
      </header>
      <main>
        ${window.location.pathname === '/admin'
          ? html`<admin-view></admin-view>`
          : window.location.pathname === '/device'
          ? html`<device-approval></device-approval>`
          : this.starting
          ? html`<starting-view .repl=${this.starting} @repl-ready=${(e: CustomEvent<Repl>) => this.#ready(e)} @start-back=${() => this.#back()}></starting-view>`
          : this.#home()}
      </main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'codeyard-app': CodeyardApp;
  }
}
