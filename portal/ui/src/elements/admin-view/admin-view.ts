import { provide } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiError } from '../../api/api-client.js';
import { AdminClient, adminContext, messageOf } from '../../api/admin-client.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../admin-audit/admin-audit.js';
import '../admin-server/admin-server.js';
import '../admin-settings/admin-settings.js';
import '../admin-users/admin-users.js';
import { adminViewStyles } from './admin-view.styles.js';

/** Where the page keeps the admin token for this tab only (closed tab, gone token). */
export const ADMIN_TOKEN_KEY = 'codeyard-admin-token';

/**
 * The token from the link the terminal printed (`/admin#token=…`): the fragment never reaches a
 * server or its logs. It moves to sessionStorage and leaves the address bar and the history.
 */
export function takeTokenFromLocation(): string | undefined {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (token) {
    sessionStorage.setItem(ADMIN_TOKEN_KEY, token);
    history.replaceState(null, '', window.location.pathname);
  }
  return sessionStorage.getItem(ADMIN_TOKEN_KEY) ?? undefined;
}

/** The panels, in tab order. */
export const ADMIN_TABS = [
  { id: 'server', label: 'Server' },
  { id: 'users', label: 'Users' },
  { id: 'audit', label: 'Audit log' },
  { id: 'settings', label: 'Settings' },
] as const;
export type AdminTab = (typeof ADMIN_TABS)[number]['id'];

const NOT_ADMIN =
  'This page is for the admins of this server. Sign in with an admin account, or open the admin link the terminal printed when Codeyard started (…/admin#token=…; the token is also in <data folder>/admin-token).';

/**
 * The admin page (/admin): the server (capacity, every running repl with its owner: stop, open),
 * the users (role, disable, always-on allowance), the audit log and the settings in effect. An
 * admin account's browser session calls /api/admin/; the machine's operator, with the admin link,
 * the admin token as a bearer header. Tabs follow the WAI-ARIA pattern (arrows, Home, End).
 */
@customElement('admin-view')
export class AdminView extends LitElement {
  static override styles = [sharedStyles, adminViewStyles];

  @provide({ context: adminContext })
  client = new AdminClient();

  @state() private tab: AdminTab = 'server';
  @state() private allowed: boolean | undefined;
  @state() private error: string | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.client = new AdminClient(takeTokenFromLocation());
    void this.#check();
  }

  /** Whether this browser may use the page at all: one small admin call says. */
  async #check(): Promise<void> {
    try {
      await this.client.users({ limit: 1 });
      this.allowed = true;
    } catch (err) {
      this.allowed = false;
      const refused = err instanceof ApiError && (err.status === 401 || err.status === 403);
      if (refused && this.client.operator) sessionStorage.removeItem(ADMIN_TOKEN_KEY);
      this.error = refused ? `${NOT_ADMIN}${this.client.operator ? ` (${err.message})` : ''}` : messageOf(err);
    }
  }

  #select(tab: AdminTab, focus = false): void {
    this.tab = tab;
    if (focus) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${tab}`)?.focus());
  }

  #keydown(event: KeyboardEvent): void {
    const index = ADMIN_TABS.findIndex((t) => t.id === this.tab);
    const last = ADMIN_TABS.length - 1;
    const next = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    this.#select(ADMIN_TABS[next]!.id, true);
  }

  #panel(tab: AdminTab) {
    switch (tab) {
      case 'server':
        return html`<admin-server></admin-server>`;
      case 'users':
        return html`<admin-users></admin-users>`;
      case 'audit':
        return html`<admin-audit></admin-audit>`;
      case 'settings':
        return html`<admin-settings></admin-settings>`;
    }
  }

  override render() {
    if (this.allowed !== true) {
      return html`<h1>Admin</h1>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : html`<p class="muted" aria-busy="true">Loading…</p>`}`;
    }
    return html`<h1>Admin</h1>
      ${this.client.operator ? html`<p class="muted who">With the admin token of this machine: actions are recorded as the admin token's.</p>` : nothing}
      <div role="tablist" aria-label="Admin sections" @keydown=${(e: KeyboardEvent) => this.#keydown(e)}>
        ${ADMIN_TABS.map(
          (t) => html`<button
            role="tab"
            id=${`tab-${t.id}`}
            aria-selected=${this.tab === t.id ? 'true' : 'false'}
            aria-controls=${`panel-${t.id}`}
            tabindex=${this.tab === t.id ? '0' : '-1'}
            @click=${() => this.#select(t.id)}
          >
            ${t.label}
          </button>`,
        )}
      </div>
      <div role="tabpanel" id=${`panel-${this.tab}`} aria-labelledby=${`tab-${this.tab}`} tabindex="0">${this.#panel(this.tab)}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'admin-view': AdminView;
  }
}
