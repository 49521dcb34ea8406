import { html, LitElement, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { modalDialog, sharedStyles } from '../../styles/shared.styles.js';
import { confirmDialogStyles } from './confirm-dialog.styles.js';

export type DialogCloseEvent = CustomEvent<{ confirmed: boolean }>;

/**
 * A modal question with a safe default: a native <dialog> (focus trapped, Escape cancels) whose
 * Cancel button has the focus when it opens. Answers with `dialog-close`.
 */
@customElement('confirm-dialog')
export class ConfirmDialog extends LitElement {
  static override styles = [sharedStyles, modalDialog, confirmDialogStyles];

  @property({ type: Boolean }) open = false;
  @property() heading = 'Are you sure?';
  @property() confirmLabel = 'Confirm';

  @query('dialog') private dialog!: HTMLDialogElement;

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('open')) return;
    if (this.open && !this.dialog.open) this.dialog.showModal();
    if (!this.open && this.dialog.open) this.dialog.close();
  }

  #answer(confirmed: boolean): void {
    this.open = false;
    this.dispatchEvent(new CustomEvent('dialog-close', { detail: { confirmed } }) as DialogCloseEvent);
  }

  override render() {
    return html`<dialog aria-labelledby="heading" aria-describedby="message" @cancel=${(e: Event) => (e.preventDefault(), this.#answer(false))}>
      <h2 id="heading">${this.heading}</h2>
      <div id="message"><slot></slot></div>
      <div class="buttons">
        <button class="cancel" autofocus @click=${() => this.#answer(false)}>Cancel</button>
        <button class="confirm danger" @click=${() => this.#answer(true)}>${this.confirmLabel}</button>
      </div>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'confirm-dialog': ConfirmDialog;
  }
  interface HTMLElementEventMap {
    'dialog-close': DialogCloseEvent;
  }
}
