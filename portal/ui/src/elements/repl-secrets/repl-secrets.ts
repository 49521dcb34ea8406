import { consume } from '@lit/context';
import { secretNameProblem, secretValueProblem } from '@codeyard/common/secrets';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { SecretEntry, SecretList } from '../../api/types.js';
import { formatAge } from '../../format.js';
import { modalDialog, sharedStyles } from '../../styles/shared.styles.js';
import '../confirm-dialog/confirm-dialog.js';
import type { DialogCloseEvent } from '../confirm-dialog/confirm-dialog.js';
import { replSecretsStyles } from './repl-secrets.styles.js';

/** What the contract asks the dialog to say about who gets the secrets, and when. */
export const SECRETS_REACH = 'Run and new terminals get them; a running app gets a change at its next Run or Restart. Forks and class copies do not.';
/** Shown while the running repl's agent has not got the current set (`applied === false`). */
export const SECRETS_NOT_APPLIED = 'The running repl has not got the latest change yet: restart it or try again.';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * "Secrets" of one repl, for its owner: environment variables kept out of the workspace. Lists
 * the names (never a value: the API has none to give), adds or replaces one (the value typed in
 * a password field, shown on request, cleared once saved) and removes one after asking. Names are
 * checked here with the API's own rules before anything is sent; the API's refusals show as it
 * words them. A native modal <dialog>; answers `secrets-close` when closed.
 */
@customElement('repl-secrets')
export class ReplSecrets extends LitElement {
  static override styles = [sharedStyles, modalDialog, replSecretsStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property() replId = '';
  @property() replName = '';
  @property({ type: Boolean }) open = false;

  @state() private list: SecretList | undefined;
  @state() private loadError = '';
  @state() private formError = '';
  /** Whether `formError` is about the name (the field is marked invalid then). */
  @state() private nameInvalid = false;
  /** What the last change did ("API_KEY added."), for screen readers and sighted users alike. */
  @state() private notice = '';
  @state() private busy = false;
  @state() private showValue = false;
  /** The name in the form as typed: the submit button says Replace when it is taken. */
  @state() private draftName = '';
  /** The secret the Remove question is about. */
  @state() private removing: SecretEntry | undefined;

  @query('dialog') private dialog!: HTMLDialogElement;
  @query('form') private form!: HTMLFormElement;
  @query('input[name=name]') private nameInput!: HTMLInputElement;
  @query('input[name=value]') private valueInput!: HTMLInputElement;

  override connectedCallback(): void {
    super.connectedCallback();
    // The list moves a card when its sort order changes (by status: the repl started meanwhile);
    // a move takes an open dialog out of the top layer, left open in place: make it modal again.
    if (this.open && this.dialog?.open && !this.dialog.matches(':modal')) {
      this.dialog.close();
      this.dialog.showModal();
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('open')) return;
    if (this.open && !this.dialog.open) {
      this.#reset();
      this.notice = '';
      this.list = undefined;
      this.dialog.showModal();
      void this.#load();
    }
    if (!this.open && this.dialog.open) this.dialog.close();
  }

  #close(): void {
    this.#reset();
    this.open = false;
    this.dispatchEvent(new CustomEvent('secrets-close'));
  }

  /** Empties the form: a typed value stays in the page no longer than it must. */
  #reset(): void {
    this.form?.reset();
    this.draftName = '';
    this.formError = '';
    this.nameInvalid = false;
    this.showValue = false;
  }

  async #load(): Promise<void> {
    try {
      this.list = await this.api.secrets(this.replId);
      this.loadError = '';
    } catch (err) {
      this.loadError = messageOf(err);
    }
  }

  #has(name: string): boolean {
    return !!this.list?.secrets.some((s) => s.name === name);
  }

  async #save(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const name = this.nameInput.value.trim();
    const value = this.valueInput.value;
    this.notice = '';
    // The API's own rules, so a bad name is explained before anything leaves the browser.
    const nameProblem = secretNameProblem(name);
    const problem = nameProblem ?? secretValueProblem(value);
    if (problem) {
      this.formError = problem;
      this.nameInvalid = !!nameProblem;
      (nameProblem ? this.nameInput : this.valueInput).focus();
      return;
    }
    const replacing = this.#has(name);
    this.busy = true;
    this.formError = '';
    this.nameInvalid = false;
    try {
      await this.api.setSecret(this.replId, name, value);
      this.#reset();
      this.notice = `${name} ${replacing ? 'replaced' : 'added'}.`;
      await this.#load();
      this.nameInput.focus();
    } catch (err) {
      this.formError = messageOf(err);
    } finally {
      this.busy = false;
    }
  }

  async #remove(event: DialogCloseEvent): Promise<void> {
    const secret = this.removing;
    this.removing = undefined;
    if (!secret) return;
    if (!event.detail.confirmed) return this.#focus(`button.remove[data-name="${secret.name}"]`);
    this.busy = true;
    this.notice = '';
    this.formError = '';
    try {
      await this.api.removeSecret(this.replId, secret.name);
      this.notice = `${secret.name} removed.`;
    } catch (err) {
      this.formError = messageOf(err);
    } finally {
      this.busy = false;
    }
    await this.#load();
    this.#focus('input[name=name]');
  }

  /** A row's Replace: its name in the form, the cursor in the value. */
  #replace(name: string): void {
    this.nameInput.value = name;
    this.draftName = name;
    this.formError = '';
    this.nameInvalid = false;
    this.valueInput.focus();
  }

  #focus(selector: string): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(selector)?.focus());
  }

  #list() {
    if (this.loadError) return html`<p class="error load-error" role="alert">${this.loadError}</p>`;
    if (!this.list) return html`<p class="muted" aria-busy="true">Loading…</p>`;
    const { secrets } = this.list;
    if (secrets.length === 0) return html`<p class="muted empty">No secrets yet.</p>`;
    return html`<ul class="secrets" aria-label="Secrets of ${this.replName}">
      ${secrets.map(
        (s) => html`<li data-name=${s.name}>
          <code class="name">${s.name}</code>
          <span class="muted updated">updated <time datetime=${s.updatedAt} title=${new Date(s.updatedAt).toLocaleString()}>${formatAge(s.updatedAt)}</time></span>
          <span class="row-actions">
            <button type="button" class="small replace" aria-label="Replace the value of ${s.name}" ?disabled=${this.busy} @click=${() => this.#replace(s.name)}>Replace</button>
            <button type="button" class="small danger remove" data-name=${s.name} aria-label="Remove ${s.name}" ?disabled=${this.busy} @click=${() => (this.removing = s)}>Remove</button>
          </span>
        </li>`,
      )}
    </ul>`;
  }

  #form() {
    const replacing = this.#has(this.draftName.trim());
    return html`<form @submit=${(e: SubmitEvent) => void this.#save(e)}>
      <h3 id="form-heading">Add or replace a secret</h3>
      <div class="fields">
        <label for="secret-name">Name</label>
        <input id="secret-name" name="name" autofocus required maxlength="64" placeholder="API_KEY" autocomplete="off" autocapitalize="characters" spellcheck="false"
          aria-invalid=${this.nameInvalid ? 'true' : 'false'} aria-describedby="secret-error"
          @input=${(e: InputEvent) => ((this.draftName = (e.target as HTMLInputElement).value), (this.nameInvalid = false))} />
        <label for="secret-value">Value</label>
        <div class="value">
          <input id="secret-value" name="value" type=${this.showValue ? 'text' : 'password'} autocomplete="off" spellcheck="false" aria-describedby="secret-error value-hint" />
          <label class="show"><input type="checkbox" .checked=${this.showValue} @change=${(e: Event) => (this.showValue = (e.target as HTMLInputElement).checked)} />Show</label>
        </div>
      </div>
      <p class="hint muted" id="value-hint">One line. A value of several lines (a key file) goes in with the CLI: <code>codeyard secret set ${this.replId} NAME &lt; file</code></p>
      <p class="error" id="secret-error" role="alert">${this.formError}</p>
      <div class="buttons">
        <button type="button" class="close" @click=${() => this.#close()}>Close</button>
        <button type="submit" class="primary save" ?disabled=${this.busy}>
          ${this.busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}${replacing ? `Replace ${this.draftName.trim()}` : 'Add secret'}
        </button>
      </div>
    </form>`;
  }

  override render() {
    return html`<dialog aria-labelledby="secrets-heading" aria-describedby="secrets-about" @cancel=${(e: Event) => (e.preventDefault(), this.#close())}>
      <h2 id="secrets-heading">Secrets of ${this.replName}</h2>
      <p id="secrets-about" class="muted about">Environment variables kept out of the repl's files. ${SECRETS_REACH}</p>
      ${this.list?.applied === false ? html`<p class="warn not-applied" role="status">${SECRETS_NOT_APPLIED}</p>` : nothing}
      ${this.#list()}
      <p class="notice" role="status">${this.notice}</p>
      ${this.#form()}
      <confirm-dialog .open=${this.removing !== undefined} heading="Remove ${this.removing?.name ?? ''}?" confirmLabel="Remove secret" @dialog-close=${(e: DialogCloseEvent) => void this.#remove(e)}>
        <p>Run, installs and new terminals of ${this.replName} no longer get it. Its value cannot be read back: keep a copy elsewhere if you need it.</p>
      </confirm-dialog>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'repl-secrets': ReplSecrets;
  }
  interface HTMLElementEventMap {
    'secrets-close': CustomEvent;
  }
}
