import { consume } from '@lit/context';
import { html, LitElement, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import { classStyles } from '../../classes/class.styles.js';
import { sharedStyles } from '../../styles/shared.styles.js';

/**
 * "Delete this class", the dashboard's last panel: a native <dialog> that asks for the class's
 * name typed out (as GitHub asks for a repository's) before its Delete button works, because a
 * deletion takes every unjoined repl with it and cannot be undone. Answers `class-deleted` with
 * what the server said; the dashboard then goes back to the class list.
 */
@customElement('class-delete')
export class ClassDelete extends LitElement {
  static override styles = [sharedStyles, classStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property() classId = '';
  @property() name = '';
  /** Students who joined (they keep their repls) and all rows, for the dialog's words. */
  @property({ type: Number }) joined = 0;
  @property({ type: Number }) students = 0;

  @state() private dialogOpen = false;
  @state() private typed = '';
  @state() private error = '';
  @state() private busy = false;

  @query('dialog') private dialog!: HTMLDialogElement;

  protected override updated(changed: PropertyValues): void {
    if (!changed.has('dialogOpen')) return;
    if (this.dialogOpen && !this.dialog.open) this.dialog.showModal();
    if (!this.dialogOpen && this.dialog.open) this.dialog.close();
  }

  #show(): void {
    this.typed = '';
    this.error = '';
    this.dialogOpen = true;
  }

  async #delete(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.typed !== this.name) return;
    this.busy = true;
    this.error = '';
    try {
      const deleted = await this.api.deleteClass(this.classId);
      this.dialogOpen = false;
      this.dispatchEvent(new CustomEvent('class-deleted', { detail: deleted, bubbles: true, composed: true }));
    } catch (err) {
      // A deletion that failed part-way can be asked for again (the server finishes it).
      this.error = `${err instanceof Error ? err.message : String(err)} — you can try again.`;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const unjoined = this.students - this.joined;
    return html`<section class="panel danger-zone" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete this class</h2>
        <p class="muted">Its links and code stop working, the ${unjoined} repl${unjoined === 1 ? '' : 's'} nobody joined ${unjoined === 1 ? 'is' : 'are'} deleted, and its grade runs and roster go. Students who joined keep their repls and submissions.</p>
        <button class="danger delete-class" @click=${() => this.#show()}>Delete this class…</button>
      </section>
      <dialog aria-labelledby="delete-dialog-heading" @cancel=${(e: Event) => (e.preventDefault(), (this.dialogOpen = false))}>
        <h2 id="delete-dialog-heading">Delete ${this.name}?</h2>
        <form class="stack" @submit=${(e: SubmitEvent) => void this.#delete(e)}>
          <p>This cannot be undone. ${unjoined} unjoined repl${unjoined === 1 ? ' and its files are' : 's and their files are'} deleted; ${this.joined} student${this.joined === 1 ? '' : 's'} who joined keep${this.joined === 1 ? 's' : ''} their repl, no longer in a class.</p>
          <label>
            <span>Type <strong>${this.name}</strong> to confirm</span>
            <input name="confirm-name" autocomplete="off" spellcheck="false" .value=${this.typed} @input=${(e: Event) => (this.typed = (e.target as HTMLInputElement).value)} />
          </label>
          <p class="error" role="alert">${this.error}</p>
          <div class="buttons">
            <button type="button" autofocus @click=${() => (this.dialogOpen = false)}>Cancel</button>
            <button class="confirm danger" type="submit" ?disabled=${this.busy || this.typed !== this.name}>Delete this class</button>
          </div>
        </form>
      </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-delete': ClassDelete;
  }
}
