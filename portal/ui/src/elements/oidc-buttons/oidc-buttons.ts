import { isOidcErrorCode, oidcErrorMessage } from '@codeyard/common/api/oidc-errors';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { oidcButtonsStyles } from './oidc-buttons.styles.js';

export interface OidcProviderInfo {
  id: string;
  name: string;
}

/**
 * "Sign in with <name>", one button per OpenID provider, for the sign-in and sign-up pages (and,
 * with `link`, "Connect <name>" for a signed-in account). A button asks the portal to start
 * (which sets the flow cookie) and sends the browser to the provider. What went wrong on the
 * way back arrives as `?error=<code>&provider=<id>`: shown from the fixed messages, never from
 * the URL's text.
 */
@customElement('oidc-buttons')
export class OidcButtons extends LitElement {
  static override styles = [sharedStyles, oidcButtonsStyles];

  @property({ attribute: false }) providers: OidcProviderInfo[] = [];
  /** An invite token: the new account is made by it (the sign-up page of an invite link). */
  @property() invite?: string;
  /** Connect the provider to the signed-in account instead of signing in. */
  @property({ type: Boolean }) link = false;
  /** With `link`: the providers already connected to the account, offered no button (their messages still name them). */
  @property({ attribute: false }) connected: readonly string[] = [];

  @state() private message = '';
  /** After a connect flow came back: which provider is now connected. */
  @state() private notice = '';
  @state() private busy = '';

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The providers may arrive after the element connected: the message names the provider then.
    if (!changed.has('providers') || this.busy) return;
    const query = new URLSearchParams(location.search);
    const code = query.get('error');
    if (isOidcErrorCode(code)) this.message = oidcErrorMessage(code, this.providers.find((p) => p.id === query.get('provider'))?.name ?? 'The provider');
    const connected = this.link ? this.providers.find((p) => p.id === query.get('connected')) : undefined;
    if (connected) this.notice = `${connected.name} is connected to this account: you can sign in with it from now on.`;
  }

  async #start(provider: OidcProviderInfo): Promise<void> {
    this.busy = provider.id;
    this.message = '';
    this.notice = '';
    try {
      const res = await fetch(`/api/auth/oidc/${encodeURIComponent(provider.id)}/start`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...(this.invite ? { invite: this.invite } : {}), ...(this.link ? { link: true } : {}) }),
      });
      const body = (await res.json().catch(() => undefined)) as { url?: string; error?: { message?: string } } | undefined;
      if (res.ok && body?.url) {
        location.assign(body.url);
        return;
      }
      this.message = body?.error?.message ?? `the portal answered ${res.status}; try again`;
    } catch {
      this.message = 'the portal could not be reached; check the connection and try again';
    }
    this.busy = '';
  }

  override render() {
    if (!this.providers.length) return nothing;
    const offered = this.link ? this.providers.filter((p) => !this.connected.includes(p.id)) : this.providers;
    return html`${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${offered.length
        ? html`<ul>
            ${offered.map(
              (p) => html`<li>
                <button class="provider" ?disabled=${this.busy !== ''} @click=${() => this.#start(p)}>${this.busy === p.id ? 'Opening…' : `${this.link ? 'Connect' : 'Sign in with'} ${p.name}`}</button>
              </li>`,
            )}
          </ul>`
        : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'oidc-buttons': OidcButtons;
  }
}
