import { consume } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { AUDIT_KINDS } from '@codeyard/common/api/audit-kinds';
import { type AdminClient, adminContext, type AuditFilter, messageOf } from '../../api/admin-client.js';
import type { AuditEvent } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { adminPanelStyles } from '../admin-view/admin-view.styles.js';

/** The kind filter's choices: groups (a prefix ending in a dot), then every kind. */
export const KIND_CHOICES: Array<{ value: string; label: string }> = [
  { value: '', label: 'everything' },
  { value: 'signin', label: 'sign-ins' },
  { value: 'signin.failed', label: 'failed sign-ins' },
  { value: 'token.', label: 'API tokens (all)' },
  { value: 'device.', label: 'device sign-ins (all)' },
  { value: 'admin.', label: 'admin actions (all)' },
  ...AUDIT_KINDS.filter((k) => !['signin', 'signin.failed'].includes(k)).map((k) => ({ value: k, label: k })),
];

/** Who did it, for people: the address, else the account, else the admin token or nobody. */
export function describeActor(event: AuditEvent): string {
  if (event.credential === 'admin-token') return 'the admin token';
  return event.accountEmail ?? event.account ?? 'nobody signed in';
}

/** The details of an event on one line (`to: teacher, from: member`). */
export function describeDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

/**
 * The audit log: newest first, filtered by kind (or a group), account and time, a page at a time
 * ("Older"), and downloaded as CSV or JSON lines with the same filters.
 */
@customElement('admin-audit')
export class AdminAudit extends LitElement {
  static override styles = [sharedStyles, adminPanelStyles];

  @consume({ context: adminContext })
  client!: AdminClient;

  @state() private events: AuditEvent[] = [];
  @state() private next: string | null = null;
  @state() private retentionDays: number | undefined;
  @state() private loading = true;
  @state() private error: string | undefined;
  #filter: AuditFilter = {};

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  async #load(more = false): Promise<void> {
    this.loading = true;
    try {
      const page = await this.client.audit(this.#filter, more ? (this.next ?? undefined) : undefined);
      this.events = more ? [...this.events, ...page.events] : page.events;
      this.next = page.next;
      this.retentionDays = page.retentionDays;
      this.error = undefined;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }

  #apply(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? '').trim() || undefined;
    // Dates from the date inputs are whole days in UTC; `until` is inclusive for people, so the next day.
    const until = text('until');
    this.#filter = { kind: text('kind'), account: text('account'), since: text('since'), until: until && new Date(Date.parse(until) + 24 * 3600_000).toISOString().slice(0, 10) };
    void this.#load();
  }

  async #download(format: 'csv' | 'jsonl'): Promise<void> {
    try {
      await this.client.download(this.#filter, format);
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  #row(e: AuditEvent) {
    return html`<tr data-id=${e.id} data-kind=${e.kind}>
      <td><time datetime=${e.at}>${new Date(e.at).toLocaleString()}</time></td>
      <td class="kind">${e.kind}</td>
      <td class="actor"><span class="who">${describeActor(e)}</span>${e.credential && e.credential !== 'admin-token' ? html`<br /><span class="muted">${e.credential} ${e.credentialId ?? ''}</span>` : nothing}</td>
      <td class="target">${e.targetType ? html`${e.targetType} <code>${e.targetId}</code>${e.targetAccount && e.targetAccount !== e.targetId ? html`<br /><span class="muted">of ${e.targetAccount}</span>` : nothing}` : '–'}</td>
      <td>${e.address ?? '–'}</td>
      <td class="details"><code>${describeDetails(e.details)}</code></td>
    </tr>`;
  }

  override render() {
    return html`<section aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <p class="muted">Sign-ins, API tokens, device sign-ins, admin actions and admins opening others' IDEs, newest first${this.retentionDays ? `; kept ${this.retentionDays} days` : ''}.</p>
      <form class="toolbar" @submit=${(e: SubmitEvent) => this.#apply(e)}>
        <label>What <select name="kind">${KIND_CHOICES.map((c) => html`<option value=${c.value}>${c.label}</option>`)}</select></label>
        <label>Account <input name="account" placeholder="account id" pattern="[A-Za-z0-9_-]+" size="24" /></label>
        <label>From <input name="since" type="date" /></label>
        <label>To <input name="until" type="date" /></label>
        <button type="submit">Show</button>
        <button type="button" class="export-csv" @click=${() => void this.#download('csv')}>Export CSV</button>
        <button type="button" class="export-jsonl" @click=${() => void this.#download('jsonl')}>Export JSON lines</button>
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="scroll">
        <table>
          <thead><tr><th>when</th><th>what</th><th>who</th><th>to what</th><th>from</th><th>details</th></tr></thead>
          <tbody>${this.events.map((e) => this.#row(e))}</tbody>
        </table>
      </div>
      ${this.loading ? html`<p class="muted" aria-busy="true">Loading…</p>` : !this.events.length ? html`<p class="muted">No events match.</p>` : nothing}
      ${this.next && !this.loading ? html`<button class="more" @click=${() => void this.#load(true)}>Older</button>` : nothing}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'admin-audit': AdminAudit;
  }
}
