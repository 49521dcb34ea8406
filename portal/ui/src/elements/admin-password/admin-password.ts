import { consume } from '@lit/context';
import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { type AdminClient, adminContext, messageOf } from '../../api/admin-client.js';
import type { AdminUser } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { confirmDialogStyles } from '../confirm-dialog/confirm-dialog.styles.js';

export type PasswordCloseEvent = CustomEvent<{ set: boolean }>;

/**
 * "Set password" for one account: a modal (native <dialog>: focus kept inside, Escape cancels)
 * with a new-password field. The account is signed out of every browser once it is set; the
 * server refuses a weak one and says why, shown here. Answers with `password-close`.
 */
@customElement('admin-password')
export class AdminPassword extends LitElement {
  static override styles = [
    sharedStyles,
    confirmDialogStyles,
    css`
      label {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
      }
    `,
  ];

  @consume({ context: adminContext })
  client!: AdminClient;

  /** The account whose password is set; the dialog is open while there is one. */
  @property({ attribute: false }) user: AdminUser | undefined;
  @state() private error: string | undefined;
  @state() private busy = false;
  @query('dialog') private dialog!: HTMLDialogElement;

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('user')) return;
    if (this.user && !this.dialog.open) {
      this.error = undefined;
      this.dialog.showModal();
      this.renderRoot.querySelector('input')?.focus();
    }
    if (!this.user && this.dialog.open) this.dialog.close();
  }

  #close(set: boolean): void {
    this.renderRoot.querySelector('form')?.reset();
    this.dispatchEvent(new CustomEvent('password-close', { detail: { set } }) as PasswordCloseEvent);
  }

  async #submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (!this.user || this.busy) return;
    const password = String(new FormData(event.target as HTMLFormElement).get('password') ?? '');
    this.busy = true;
    try {
      await this.client.setPassword(this.user.id, password);
      this.#close(true);
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const who = this.user?.email ?? '';
    return html`<dialog aria-labelledby="heading" @cancel=${(e: Event) => (e.preventDefault(), this.#close(false))}>
      <h2 id="heading">Set the password of ${who}</h2>
      <form @submit=${(e: SubmitEvent) => void this.#submit(e)}>
        <label>New password <input name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256" /></label>
        <p class="muted">${who} is signed out of every browser, and signs in with this password from now on. Tell them another way than email.</p>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <div class="buttons">
          <button type="button" class="cancel" @click=${() => this.#close(false)}>Cancel</button>
          <button type="submit" class="confirm" ?disabled=${this.busy}>Set password</button>
        </div>
      </form>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'admin-password': AdminPassword;
  }
  interface HTMLElementEventMap {
    'password-close': PasswordCloseEvent;
  }
}
