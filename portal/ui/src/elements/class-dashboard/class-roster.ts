import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { StudentRow } from '../../api/types.js';
import { classStyles } from '../../classes/class.styles.js';
import { describeAgo, describeTime, gradeLabel, isLate, studentLabel } from '../../classes/class-text.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { STATUS_LABELS } from '../repl-card/repl-card.js';

/** What a row's buttons ask the dashboard to do. */
export type StudentAction = 'open' | 'reset' | 'reissue' | 'revoke';
export type StudentActionEvent = CustomEvent<{ action: StudentAction; student: StudentRow }>;
export type SelectionEvent = CustomEvent<{ selected: string[] }>;

/**
 * The roster as a table, a row per student: name, repl status, last activity, app, submitted,
 * autograde; a checkbox for the bulk actions and the row's own actions. Pure view: the rows and
 * the selection come in, `student-action` and `selection-change` go out.
 */
@customElement('class-roster')
export class ClassRoster extends LitElement {
  static override styles = [sharedStyles, classStyles];

  @property({ attribute: false }) rows: readonly StudentRow[] = [];
  @property({ attribute: false }) selected: ReadonlySet<string> = new Set();
  @property() dueAt: string | null = null;
  /** The row whose action is in flight. */
  @property() busy: string | undefined;

  #select(ids: string[], on: boolean): void {
    const next = new Set(this.selected);
    for (const id of ids) if (on) next.add(id);
    else next.delete(id);
    this.dispatchEvent(new CustomEvent('selection-change', { detail: { selected: [...next] } }) as SelectionEvent);
  }

  #act(action: StudentAction, student: StudentRow): void {
    this.dispatchEvent(new CustomEvent('student-action', { detail: { action, student } }) as StudentActionEvent);
  }

  #row(r: StudentRow) {
    const who = studentLabel(r);
    const late = isLate(r.submittedAt, this.dueAt);
    return html`<tr data-student=${r.id} data-repl=${r.replId}>
      <td><input type="checkbox" .checked=${this.selected.has(r.id)} aria-label=${`Select ${who}`} @change=${(e: Event) => this.#select([r.id], (e.target as HTMLInputElement).checked)} /></td>
      <td class="name">
        ${who}<br /><span class="muted">${r.account ? (r.account.email ?? r.account.name ?? '') : r.linkActive ? 'not joined yet' : 'link revoked'}</span>
      </td>
      <td class="status"><span class=${`badge ${r.status}`}>${STATUS_LABELS[r.status]}</span></td>
      <td class="activity" title=${r.lastActivityAt ? describeTime(r.lastActivityAt) : ''}>${describeAgo(r.lastActivityAt)}</td>
      <td class="app">${r.appRunning ? html`<span class="badge running">running</span>` : html`<span class="muted">–</span>`}</td>
      <td class="submitted">
        ${r.submittedAt
          ? html`${describeTime(r.submittedAt)} <span class="muted">(${r.submissions})</span>${late ? html` <span class="badge late">late</span>` : nothing}`
          : html`<span class="muted">not yet</span>`}
      </td>
      <td class="grade">${r.grade ? html`<span class=${`badge ${r.grade.status}`}>${gradeLabel(r.grade)}</span>` : html`<span class="muted">–</span>`}</td>
      <td class="actions">
        <button class="open" ?disabled=${this.busy === r.id} @click=${() => this.#act('open', r)} aria-label=${`Open IDE of ${who} (a new tab)`}>Open IDE</button>
        <button class="reset" ?disabled=${this.busy === r.id} @click=${() => this.#act('reset', r)} aria-label=${`Reset the repl of ${who} to the starter`}>Reset</button>
        <button class="reissue" ?disabled=${this.busy === r.id} @click=${() => this.#act('reissue', r)} aria-label=${`New link for ${who} (the old one stops working)`}>New link</button>
        ${r.linkActive ? html`<button class="revoke danger" ?disabled=${this.busy === r.id} @click=${() => this.#act('revoke', r)} aria-label=${`Revoke link of ${who}`}>Revoke link</button>` : nothing}
      </td>
    </tr>`;
  }

  override render() {
    const all = this.rows.length > 0 && this.rows.every((r) => this.selected.has(r.id));
    return html`<div class="scroll">
      <table class="roster">
        <caption class="visually-hidden">Students of the class, their repls and work</caption>
        <thead>
          <tr>
            <th><input type="checkbox" .checked=${all} aria-label="Select every student" @change=${(e: Event) => this.#select(this.rows.map((r) => r.id), (e.target as HTMLInputElement).checked)} /></th>
            <th>student</th>
            <th>repl</th>
            <th>last activity</th>
            <th>app</th>
            <th>submitted</th>
            <th>autograde</th>
            <th><span class="visually-hidden">actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${repeat(
            this.rows,
            (r) => r.id,
            (r) => this.#row(r),
          )}
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-roster': ClassRoster;
  }
}
