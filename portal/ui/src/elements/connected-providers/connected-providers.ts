import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { ConnectedIdentity } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../confirm-dialog/confirm-dialog.js';
import type { DialogCloseEvent } from '../confirm-dialog/confirm-dialog.js';
import '../oidc-buttons/oidc-buttons.js';
import type { OidcProviderInfo } from '../oidc-buttons/oidc-buttons.js';

/**
 * The providers connected to the signed-in account, each with Disconnect (asked first), then
 * "Connect <name>" for the server's providers not connected yet. The portal refuses to disconnect
 * the account's only way in (no password, not the owner): then the button is not offered, and
 * the line says so.
 */
@customElement('connected-providers')
export class ConnectedProviders extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      ul {
        list-style: none;
        padding: 0;
        margin: 0 0 0.75rem;
        display: grid;
        gap: 0.4rem;
      }
      li {
        display: flex;
        gap: 0.75rem;
        align-items: center;
        flex-wrap: wrap;
      }
      .error {
        color: var(--cy-danger, #b42318);
      }
    `,
  ];

  @consume({ context: apiContext })
  api!: ApiClient;

  /** The server's OpenID providers: those not connected yet get a Connect button. */
  @property({ attribute: false }) providers: OidcProviderInfo[] = [];

  @state() private removing: ConnectedIdentity | undefined;
  @state() private error = '';

  readonly #list = new Task(this, { task: () => this.api.identities(), args: () => [] });

  async #disconnect(event: DialogCloseEvent): Promise<void> {
    const identity = this.removing;
    this.removing = undefined;
    if (!identity || !event.detail.confirmed) return;
    this.error = '';
    try {
      await this.api.disconnectIdentity(identity.provider);
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
    void this.#list.run();
  }

  override render() {
    return html`${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.#list.render({
        complete: ({ identities, canRemoveLast }) =>
          html`${identities.length === 0
              ? nothing
              : html`<ul aria-label="Connected providers">
                ${identities.map(
                  (i) => html`<li>
                    <span><strong>${i.name}</strong>${i.email ? html` <span class="muted">(${i.email})</span>` : nothing}: connected</span>
                    ${identities.length > 1 || canRemoveLast
                      ? html`<button class="danger" aria-label=${`Disconnect ${i.name}`} @click=${() => (this.removing = i)}>Disconnect</button>`
                      : html`<span class="muted">the only way this account signs in</span>`}
                  </li>`,
                )}
              </ul>`}
            <oidc-buttons link .providers=${this.providers} .connected=${identities.map((i) => i.provider)}></oidc-buttons>`,
        // The list could not be read: every provider is offered (connecting one already connected is harmless).
        error: (err) => html`<p class="error" role="alert">${err instanceof Error ? err.message : String(err)}</p>
          <oidc-buttons link .providers=${this.providers}></oidc-buttons>`,
      })}
      <confirm-dialog .open=${this.removing !== undefined} heading="Disconnect this provider?" confirmLabel="Disconnect" @dialog-close=${(e: DialogCloseEvent) => void this.#disconnect(e)}>
        <p>${this.removing?.name} no longer signs you in to this account. You can connect it again later.</p>
      </confirm-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'connected-providers': ConnectedProviders;
  }
}
