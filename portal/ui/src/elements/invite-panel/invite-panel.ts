import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { Invite } from '../../api/types.js';
import { modalDialog, sharedStyles } from '../../styles/shared.styles.js';
import { invitePanelStyles } from './invite-panel.styles.js';

/**
 * Inviting someone (admins and teachers): an optional address, then the sign-up link to send
 * them, shown once, working once, for 7 days. A native <dialog>: focus kept inside, Escape closes.
 * Answers `invite-close` when closed.
 */
@customElement('invite-panel')
export class InvitePanel extends LitElement {
  static override styles = [sharedStyles, modalDialog, invitePanelStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property({ type: Boolean }) open = false;

  @state() private invite: Invite | undefined;
  @state() private error = '';
  @state() private busy = false;
  @state() private copied = false;

  @query('dialog') private dialog!: HTMLDialogElement;

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('open')) return;
    if (this.open && !this.dialog.open) {
      this.invite = undefined;
      this.error = '';
      this.copied = false;
      this.dialog.showModal();
    }
    if (!this.open && this.dialog.open) this.dialog.close();
  }

  #close(): void {
    this.open = false;
    this.dispatchEvent(new CustomEvent('invite-close'));
  }

  async #create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const email = String(new FormData(event.target as HTMLFormElement).get('email') ?? '').trim();
    this.busy = true;
    this.error = '';
    try {
      this.invite = await this.api.invite(email ? { email } : {});
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }

  async #copy(): Promise<void> {
    if (!this.invite) return;
    try {
      await navigator.clipboard.writeText(this.invite.url);
      this.copied = true;
    } catch {
      // No clipboard (permissions): the link is selected for copying by hand.
      this.renderRoot.querySelector<HTMLInputElement>('input.url')?.select();
    }
  }

  #form() {
    return html`<form @submit=${(e: SubmitEvent) => void this.#create(e)}>
      <label>Their email (optional: leave it empty for a link anyone holding it can use)
        <input name="email" type="email" maxlength="254" autocomplete="off" />
      </label>
      <p class="error" role="alert">${this.error}</p>
      <div class="buttons">
        <button type="button" @click=${() => this.#close()}>Cancel</button>
        <button class="primary" type="submit" ?disabled=${this.busy}>Create invite link</button>
      </div>
    </form>`;
  }

  #link(invite: Invite) {
    return html`<p>Send this link${invite.email ? html` to <strong>${invite.email}</strong>` : nothing}. It works once, until ${new Date(invite.expiresAt).toLocaleDateString()}, and makes a member account.</p>
      <div class="link">
        <input class="url" readonly aria-label="Invite link" .value=${invite.url} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
        <button type="button" @click=${() => void this.#copy()}>${this.copied ? 'Copied' : 'Copy'}</button>
      </div>
      <div class="buttons"><button class="primary" type="button" @click=${() => this.#close()}>Done</button></div>`;
  }

  override render() {
    return html`<dialog aria-labelledby="invite-heading" @cancel=${(e: Event) => (e.preventDefault(), this.#close())}>
      <h2 id="invite-heading">Invite someone</h2>
      ${this.invite ? this.#link(this.invite) : this.#form()}
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'invite-panel': InvitePanel;
  }
}
