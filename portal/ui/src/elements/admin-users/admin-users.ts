import { consume } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { type AdminClient, adminContext, messageOf } from '../../api/admin-client.js';
import type { AdminUser } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../admin-password/admin-password.js';
import type { PasswordCloseEvent } from '../admin-password/admin-password.js';
import '../confirm-dialog/confirm-dialog.js';
import type { DialogCloseEvent } from '../confirm-dialog/confirm-dialog.js';
import { adminPanelStyles } from '../admin-view/admin-view.styles.js';

const PAGE = 100;
const ROLES = ['admin', 'teacher', 'member'] as const;

/** A time as a person reads it, or a dash. */
export function describeTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '–';
}

/** Who an account is, for people: its address, else its name, else "anonymous". */
export function describeUser(user: Pick<AdminUser, 'email' | 'name' | 'anonymous' | 'id'>): string {
  return user.email ?? user.name ?? (user.anonymous ? 'anonymous' : user.id);
}

/**
 * The users: every account with its address, name, role, when it was made and last signed in,
 * its repls (and how many run), whether it is disabled, its always-on allowance and its limits
 * (repls it may have, and run at once). An admin changes a role (a select), disables (after
 * asking: signed out everywhere, repls stopped) or enables, and sets or resets the allowance and
 * the limits. Refusals (the last admin) are shown as the API says them.
 */
@customElement('admin-users')
export class AdminUsers extends LitElement {
  static override styles = [sharedStyles, adminPanelStyles];

  @consume({ context: adminContext })
  client!: AdminClient;

  @state() private users: AdminUser[] = [];
  @state() private total = 0;
  @state() private loading = true;
  @state() private error: string | undefined;
  @state() private notice: string | undefined;
  @state() private disabling: AdminUser | undefined;
  /** The account whose password the dialog sets. */
  @state() private settingPassword: AdminUser | undefined;
  #q = '';
  #anonymous = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  async #load(append = false): Promise<void> {
    this.loading = true;
    try {
      const page = await this.client.users({ q: this.#q || undefined, anonymous: this.#anonymous ? undefined : false, limit: PAGE, offset: append ? this.users.length : 0 });
      this.users = append ? [...this.users, ...page.users] : page.users;
      this.total = page.total;
      this.error = undefined;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }

  #replace(user: AdminUser): void {
    this.users = this.users.map((u) => (u.id === user.id ? user : u));
  }

  /** Runs a change, shows what happened or why not, and reloads the row either way. */
  async #change(user: AdminUser, work: () => Promise<unknown>, done: string): Promise<void> {
    this.error = undefined;
    try {
      await work();
      this.notice = done;
    } catch (err) {
      this.notice = undefined;
      this.error = messageOf(err);
    }
    try {
      this.#replace(await this.client.request<AdminUser>('GET', `/api/admin/users/${encodeURIComponent(user.id)}`));
    } catch {
      void this.#load();
    }
  }

  #role(user: AdminUser, event: Event): void {
    const role = (event.target as HTMLSelectElement).value as AdminUser['role'];
    void this.#change(user, () => this.client.changeUser(user.id, { role }), `${describeUser(user)} is now ${role === 'admin' ? 'an admin' : `a ${role}`}.`);
  }

  async #disable(event: DialogCloseEvent): Promise<void> {
    const user = this.disabling;
    this.disabling = undefined;
    if (!user || !event.detail.confirmed) return;
    await this.#change(user, () => this.client.changeUser(user.id, { disabled: true }), `${describeUser(user)} is disabled and signed out everywhere.`);
  }

  #passwordSet(event: PasswordCloseEvent): void {
    const user = this.settingPassword;
    this.settingPassword = undefined;
    if (user && event.detail.set) {
      this.error = undefined;
      this.notice = `${describeUser(user)} has a new password and is signed out everywhere.`;
    }
  }

  #allowance(user: AdminUser, event: SubmitEvent): void {
    event.preventDefault();
    const value = Number(new FormData(event.target as HTMLFormElement).get('allowance'));
    void this.#change(user, () => this.client.setAllowance(user.id, value), `${describeUser(user)} may keep ${value} repl${value === 1 ? '' : 's'} always on.`);
  }

  /**
   * Sends only the limits the admin changed: a field left at the value in effect stays as it is
   * (so the default is not turned into an override of the same number by a click on Set).
   */
  #limits(user: AdminUser, event: SubmitEvent): void {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const change: { repls?: number; running?: number } = {};
    for (const key of ['repls', 'running'] as const) {
      const value = Number(form.get(key));
      if (value !== user.limits[key].value) change[key] = value;
    }
    if (!Object.keys(change).length) {
      this.error = undefined;
      this.notice = `${describeUser(user)}'s limits are unchanged.`;
      return;
    }
    const { repls, running } = { ...this.#effective(user), ...change };
    void this.#change(user, () => this.client.setLimits(user.id, change), `${describeUser(user)} may have ${repls} repl${repls === 1 ? '' : 's'} and run ${running} at once.`);
  }

  #effective(user: AdminUser): { repls: number; running: number } {
    return { repls: user.limits.repls.value, running: user.limits.running.value };
  }

  #limitsForm(u: AdminUser, who: string) {
    const own = u.limits.repls.override !== null || u.limits.running.override !== null;
    return html`<form class="limits" @submit=${(e: SubmitEvent) => this.#limits(u, e)}>
      <label>repls <input name="repls" type="number" min="1" max="1000000" required .value=${live(String(u.limits.repls.value))} aria-label=${`Repl limit of ${who}`} size="4" /></label>
      <label>running <input name="running" type="number" min="1" max="10000" required .value=${live(String(u.limits.running.value))} aria-label=${`Running limit of ${who}`} size="4" /></label>
      <button type="submit" aria-label=${`Set limits of ${who}`}>Set</button>
      ${own
        ? html`<button type="button" aria-label=${`Default limits of ${who}`} @click=${() => void this.#change(u, () => this.client.setLimits(u.id, { repls: null, running: null }), `${who} has the default limits again.`)}>Default</button>`
        : html`<span class="muted">default</span>`}
    </form>`;
  }

  #row(u: AdminUser) {
    const who = describeUser(u);
    return html`<tr data-id=${u.id} class=${u.disabled ? 'disabled' : ''}>
      <td>${u.email ?? html`<span class="muted">${u.anonymous ? 'anonymous' : '–'}</span>`}<br /><span class="muted">${u.name ?? ''}</span> <code class="muted">${u.id}</code></td>
      <td>
        ${u.anonymous
          ? html`member`
          : html`<select class="role" aria-label=${`Role of ${who}`} .value=${live(u.role)} @change=${(e: Event) => this.#role(u, e)}>
              ${ROLES.map((r) => html`<option value=${r} ?selected=${u.role === r}>${r}</option>`)}
            </select>`}
      </td>
      <td>${describeTime(u.createdAt)}</td>
      <td>${describeTime(u.lastSignInAt)}</td>
      <td class="num">${u.repls}${u.running ? html` <span class="muted">(${u.running} running)</span>` : nothing}</td>
      <td>
        <form class="allowance" @submit=${(e: SubmitEvent) => this.#allowance(u, e)}>
          <input name="allowance" type="number" min="0" max="10000" required .value=${live(String(u.alwaysOn.allowance))} aria-label=${`Always-on allowance of ${who}`} size="4" />
          <button type="submit">Set</button>
          ${u.alwaysOn.override === null
            ? html`<span class="muted">default</span>`
            : html`<button type="button" @click=${() => void this.#change(u, () => this.client.setAllowance(u.id, null), `${who} has the default always-on allowance again.`)}>Default</button>`}
        </form>
      </td>
      <td>${this.#limitsForm(u, who)}</td>
      <td class="actions">
        ${u.email && !u.anonymous ? html`<button class="password" @click=${() => (this.settingPassword = u)} aria-label=${`Set password of ${who}`}>Set password</button>` : nothing}
        ${u.disabled
          ? html`<span class="badge off">disabled</span> <button class="enable" @click=${() => void this.#change(u, () => this.client.changeUser(u.id, { disabled: false }), `${who} is enabled.`)} aria-label=${`Enable ${who}`}>Enable</button>`
          : html`<button class="danger disable" @click=${() => (this.disabling = u)} aria-label=${`Disable ${who}`}>Disable</button>`}
      </td>
    </tr>`;
  }

  override render() {
    return html`<section aria-labelledby="users-heading">
      <h2 id="users-heading">Users <span class="muted">${this.total}</span></h2>
      <form class="toolbar" role="search" @submit=${(e: SubmitEvent) => (e.preventDefault(), void this.#load())}>
        <label>Find <input type="search" name="q" placeholder="address or name" @input=${(e: Event) => (this.#q = (e.target as HTMLInputElement).value)} /></label>
        <label class="check"><input type="checkbox" @change=${(e: Event) => ((this.#anonymous = (e.target as HTMLInputElement).checked), void this.#load())} /> anonymous accounts too</label>
        <button type="submit">Search</button>
      </form>
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="scroll">
        <table>
          <thead><tr><th>account</th><th>role</th><th>created</th><th>last sign-in</th><th class="num">repls</th><th>always on</th><th>limits</th><th><span class="visually-hidden">status and actions</span></th></tr></thead>
          <tbody>${this.users.map((u) => this.#row(u))}</tbody>
        </table>
      </div>
      ${this.loading ? html`<p class="muted" aria-busy="true">Loading…</p>` : !this.users.length ? html`<p class="muted">No accounts match.</p>` : nothing}
      ${this.users.length < this.total ? html`<button class="more" @click=${() => void this.#load(true)}>Show more (${this.total - this.users.length} left)</button>` : nothing}
      <admin-password .user=${this.settingPassword} @password-close=${(e: PasswordCloseEvent) => this.#passwordSet(e)}></admin-password>
      <confirm-dialog .open=${this.disabling !== undefined} heading="Disable this account?" confirmLabel="Disable" @dialog-close=${(e: DialogCloseEvent) => void this.#disable(e)}>
        <p>${this.disabling ? describeUser(this.disabling) : ''} is signed out everywhere at once: its browser sessions end, its API tokens stop working and its running repls are stopped (files saved). Enabling it again lets it sign in.</p>
      </confirm-dialog>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'admin-users': AdminUsers;
  }
}
