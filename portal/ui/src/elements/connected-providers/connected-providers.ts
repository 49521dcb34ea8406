import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { ConnectedIdentity } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../confirm-dialog/confirm-dialog.js';
import type { DialogCloseEvent } from '../confirm-dialog/confirm-dialog.js';

/**
 * The providers connected to the signed-in account, each with Disconnect (asked first). The
 * portal refuses to disconnect the account's only way in (no password, not the owner): then the
 * button is not offered, and the line says what to do instead.
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
          identities.length === 0
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
              </ul>`,
        error: (err) => html`<p class="error" role="alert">${err instanceof Error ? err.message : String(err)}</p>`,
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
