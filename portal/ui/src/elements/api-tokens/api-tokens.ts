import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { ApiToken, CreatedToken, Scope } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../confirm-dialog/confirm-dialog.js';
import type { DialogCloseEvent } from '../confirm-dialog/confirm-dialog.js';
import { apiTokensStyles } from './api-tokens.styles.js';

/** The expiries offered, in days (the API takes 1 to 366). */
export const EXPIRY_DAYS = [7, 30, 90, 365] as const;
const ACCESS: Record<string, Scope[]> = { write: ['read', 'write'], read: ['read'] };

/** "read, write" → what a person reads: "read and write". */
export function describeScopes(scopes: readonly Scope[]): string {
  if (scopes.includes('write')) return scopes.includes('admin') ? 'read, write and admin' : 'read and write';
  return scopes.includes('admin') ? 'read and admin' : 'read only';
}

/** A date as a person reads it ("never" for none). */
export function describeDate(iso: string | null): string {
  return iso ? new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' }) : 'never';
}

/** An expiry: its date, and "expired" once it has passed. */
export function describeExpiry(iso: string, now = Date.now()): string {
  return Date.parse(iso) <= now ? `expired ${describeDate(iso)}` : describeDate(iso);
}

/**
 * "API tokens": the account's personal tokens for scripts, the CLI and the desktop app. Lists
 * them (never their values), creates one (name, access, expiry) and shows its value once with a
 * copy button, and revokes one after asking.
 */
@customElement('api-tokens')
export class ApiTokensPanel extends LitElement {
  static override styles = [sharedStyles, apiTokensStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @state() private creating = false;
  @state() private createError: string | undefined;
  /** The token just made: its value shows until the user closes the box. */
  @state() private created: CreatedToken | undefined;
  @state() private copied = false;
  /** The token the revoke dialog asks about. */
  @state() private revoking: ApiToken | undefined;
  @state() private revokeError: string | undefined;

  readonly #list = new Task(this, { task: () => this.api.tokens(), args: () => [] });

  async #create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    this.creating = true;
    this.createError = undefined;
    try {
      this.created = await this.api.createToken({
        name: String(data.get('name') ?? '').trim(),
        scopes: ACCESS[String(data.get('access'))] ?? ACCESS.write,
        expiresInDays: Number(data.get('expiry')),
      });
      this.copied = false;
      form.reset();
      void this.#list.run();
    } catch (err) {
      this.createError = err instanceof Error ? err.message : String(err);
    } finally {
      this.creating = false;
    }
  }

  async #copy(value: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(value);
      this.copied = true;
    } catch {
      // No clipboard (an insecure origin, a denied permission): select it for the user to copy.
      this.renderRoot.querySelector<HTMLInputElement>('.new-token input')?.select();
    }
  }

  async #revoke(event: DialogCloseEvent): Promise<void> {
    const token = this.revoking;
    this.revoking = undefined;
    if (!token || !event.detail.confirmed) return;
    this.revokeError = undefined;
    try {
      await this.api.revokeToken(token.id);
      if (this.created?.id === token.id) this.created = undefined;
    } catch (err) {
      this.revokeError = err instanceof Error ? err.message : String(err);
    }
    void this.#list.run();
  }

  #newToken(created: CreatedToken) {
    return html`<div class="new-token" role="status">
      <p><strong>${created.name}</strong>: copy this token now. It is not shown again.</p>
      <div class="row">
        <input readonly aria-label="The new token" .value=${created.token} @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()} />
        <button class="primary copy" @click=${() => void this.#copy(created.token)}>${this.copied ? 'Copied' : 'Copy'}</button>
        <button @click=${() => (this.created = undefined)}>Done</button>
      </div>
      <p class="muted">Send it as <code>Authorization: Bearer &lt;token&gt;</code>, or set <code>CODEYARD_TOKEN</code> for the CLI.</p>
    </div>`;
  }

  #table(tokens: ApiToken[]) {
    if (tokens.length === 0) return html`<p class="muted empty">No tokens yet.</p>`;
    return html`<table>
      <thead><tr><th>name</th><th>access</th><th>created</th><th>expires</th><th>last used</th><th><span class="visually-hidden">actions</span></th></tr></thead>
      <tbody>
        ${tokens.map(
          (t) => html`<tr data-id=${t.id}>
            <td class="name">${t.name}</td>
            <td>${describeScopes(t.scopes)}</td>
            <td>${describeDate(t.createdAt)}</td>
            <td class="expires">${describeExpiry(t.expiresAt)}</td>
            <td>${describeDate(t.lastUsedAt)}</td>
            <td class="actions"><button class="danger" aria-label=${`Revoke ${t.name}`} @click=${() => (this.revoking = t)}>Revoke</button></td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  override render() {
    return html`<section aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p class="muted intro">For scripts, the <code>codeyard</code> CLI and the desktop app: each acts as you, with the access you give it, until it expires or you revoke it.</p>
      <form class="create" @submit=${(e: SubmitEvent) => void this.#create(e)}>
        <label>Name <input name="name" required maxlength="100" placeholder="deploy script" /></label>
        <label>Access <select name="access"><option value="write">read and write</option><option value="read">read only</option></select></label>
        <label>Expires in <select name="expiry">${EXPIRY_DAYS.map((d) => html`<option value=${d} ?selected=${d === 90}>${d} days</option>`)}</select></label>
        <button class="primary" type="submit" ?disabled=${this.creating}>Create token</button>
      </form>
      ${this.createError ? html`<p class="error" role="alert">${this.createError}</p>` : nothing}
      ${this.created ? this.#newToken(this.created) : nothing}
      ${this.revokeError ? html`<p class="error" role="alert">${this.revokeError}</p>` : nothing}
      ${this.#list.render({
        pending: () => html`<p class="muted" aria-busy="true">Loading…</p>`,
        complete: (tokens) => this.#table(tokens),
        error: (err) => html`<p class="error" role="alert">${err instanceof Error ? err.message : String(err)}</p>`,
      })}
      <confirm-dialog .open=${this.revoking !== undefined} heading="Revoke this token?" confirmLabel="Revoke" @dialog-close=${(e: DialogCloseEvent) => void this.#revoke(e)}>
        <p>${this.revoking?.name}: whatever uses it is refused from now on. This cannot be undone.</p>
      </confirm-dialog>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'api-tokens': ApiTokensPanel;
  }
}
