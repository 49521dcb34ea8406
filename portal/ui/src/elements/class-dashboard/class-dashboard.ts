import { consume } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ApiClient } from '../../api/api-client.js';
import { ClassFeed } from '../../api/class-feed.js';
import { apiContext } from '../../api/contexts.js';
import type { ClassDetail, ClassSummary, StudentRow } from '../../api/types.js';
import { classListStyles, classStyles } from '../../classes/class.styles.js';
import { copyText, describeLimits, describeTime, studentLabel } from '../../classes/class-text.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../confirm-dialog/confirm-dialog.js';
import type { DialogCloseEvent } from '../confirm-dialog/confirm-dialog.js';
import './class-delete.js';
import './class-grade.js';
import './class-push.js';
import './class-roster.js';
import type { SelectionEvent, StudentActionEvent } from './class-roster.js';

type Confirming = { action: 'reset' | 'revoke'; student: StudentRow };

/**
 * `/classes/:id`, the teacher's dashboard: a row per student, kept current by the class's event
 * stream (no reload: repl status, joins, submissions, grade results), bulk start/stop of the
 * selected repls, and per student Open IDE (a new tab), reset, a new link or revoking it; push a
 * file to all, autograde, collect; delete the class (its name typed to confirm). The stream's (re)connection reads the whole class again.
 */
@customElement('class-dashboard')
export class ClassDashboard extends LitElement {
  static override styles = [sharedStyles, classStyles, classListStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property() classId = '';

  @state() private detail: ClassDetail | undefined;
  @state() private rows: StudentRow[] = [];
  @state() private selected = new Set<string>();
  @state() private error = '';
  @state() private notice = '';
  @state() private busy: string | undefined;
  @state() private live = false;
  /** The class was deleted while this page was open (another tab, an admin). */
  @state() private gone = false;
  @state() private pushing = false;
  @state() private confirming: Confirming | undefined;
  /** A link just reissued: shown once, with its copy button. */
  @state() private newLink: { student: StudentRow; link: string; copied: boolean } | undefined;

  #feed: ClassFeed | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#feed = new ClassFeed(this.classId);
    this.#feed.on('student', (e) => this.#put(e.detail));
    this.#feed.on('class', (e) => this.#summary(e.detail));
    this.#feed.on('resync', () => {
      this.live = true;
      void this.#load();
    });
    this.#feed.on('closed', () => (this.live = false));
    this.#feed.on('deleted', () => {
      this.live = false;
      this.gone = true;
    });
    void this.#load().then(() => this.detail && this.#feed?.start());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#feed?.close();
  }

  async #load(): Promise<void> {
    try {
      this.detail = await this.api.classDetail(this.classId);
      this.rows = this.detail.students;
      this.error = '';
      document.title = `${this.detail.name} · Codeyard`;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  #put(row: StudentRow): void {
    const at = this.rows.findIndex((r) => r.id === row.id);
    this.rows = at < 0 ? [...this.rows, row] : this.rows.map((r, i) => (i === at ? row : r));
  }

  /** The class's own fields; a roster that grew or shrank (a student added, one who joined by code) is read again. */
  #summary(summary: ClassSummary): void {
    if (!this.detail) return;
    this.detail = { ...this.detail, ...summary, students: this.detail.students };
    if (summary.students !== this.rows.length) void this.#load();
  }

  async #do(key: string, work: () => Promise<string>): Promise<void> {
    this.busy = key;
    this.error = '';
    try {
      this.notice = await work();
    } catch (err) {
      this.notice = '';
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = undefined;
    }
  }

  #power(action: 'start' | 'stop'): void {
    const students = [...this.selected];
    void this.#do(action, async () => {
      const { queued } = await this.api.classPower(this.classId, action, students.length ? students : undefined);
      return `${queued} repl${queued === 1 ? '' : 's'} asked to ${action}${action === 'start' ? ' (a start waits in line while the server is full)' : ''}.`;
    });
  }

  #action(event: StudentActionEvent): void {
    const { action, student } = event.detail;
    if (action === 'reset' || action === 'revoke') return void (this.confirming = { action, student });
    if (action === 'open') {
      // Opened now, while the click still counts as one (a tab opened after the call would be blocked).
      const tab = window.open('about:blank', '_blank');
      void this.#do(student.id, async () => {
        try {
          const { url } = await this.api.openStudent(this.classId, student.id);
          if (tab) {
            tab.opener = null;
            tab.location.href = url;
          } else window.location.assign(url);
          return `Opened the IDE of ${studentLabel(student)} in a new tab (recorded in the audit log; they see a notice).`;
        } catch (err) {
          tab?.close();
          throw err;
        }
      });
      return;
    }
    void this.#do(student.id, async () => {
      const { link } = await this.api.reissueLink(this.classId, student.id);
      this.newLink = { student, link, copied: false };
      return `A new join link for ${studentLabel(student)}: the old one no longer works.`;
    });
  }

  #confirmed(event: DialogCloseEvent): void {
    const confirming = this.confirming;
    this.confirming = undefined;
    if (!confirming || !event.detail.confirmed) return;
    const { action, student } = confirming;
    void this.#do(student.id, async () => {
      if (action === 'reset') {
        await this.api.resetStudent(this.classId, student.id);
        return `The repl of ${studentLabel(student)} is back to the starter.`;
      }
      await this.api.revokeLink(this.classId, student.id);
      void this.#load();
      return `The join link of ${studentLabel(student)} is revoked.`;
    });
  }

  #header(d: ClassDetail) {
    return html`<div class="head">
      <div>
        <p class="muted crumbs"><a href="/classes">Classes</a> /</p>
        <h1>${d.name}</h1>
        <p class="muted">
          ${this.rows.filter((r) => r.account || r.joinedAt).length} of ${this.rows.length} joined${d.code ? html` · class code <code>${d.code}</code>` : nothing}${d.dueAt ? ` · due ${describeTime(d.dueAt)}` : ''}${describeLimits(d.limits).map((words) => html` · <span class="limit">${words}</span>`)}
          · <span class="feed" data-live=${String(this.live)}>${this.live ? 'live' : 'connecting…'}</span>
        </p>
      </div>
    </div>`;
  }

  #toolbar() {
    const n = this.selected.size;
    const which = n ? `${n} selected` : 'all';
    return html`<div class="toolbar" role="toolbar" aria-label="Class actions">
      <button class="start" ?disabled=${this.busy === 'start'} @click=${() => this.#power('start')}>Start ${which}</button>
      <button class="stop" ?disabled=${this.busy === 'stop'} @click=${() => this.#power('stop')}>Stop ${which}</button>
      <button class="push" @click=${() => (this.pushing = true)}>Push a file to all</button>
      <a class="button collect" href=${ApiClient.collectUrl(this.classId, 'workspaces')} download>Collect workspaces (.zip)</a>
      <a class="button collect-submissions" href=${ApiClient.collectUrl(this.classId, 'submissions')} download>Collect submissions (.zip)</a>
    </div>`;
  }

  #newLink(n: NonNullable<ClassDashboard['newLink']>) {
    return html`<div class="panel new-link" role="status">
      <p>New join link of <strong>${studentLabel(n.student)}</strong> (shown only now):</p>
      <div class="row">
        <input class="link" readonly .value=${n.link} aria-label=${`New join link of ${n.student.name}`} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
        <button @click=${async () => (this.newLink = { ...n, copied: await copyText(n.link) })}>${n.copied ? 'Copied' : 'Copy'}</button>
        <button @click=${() => (this.newLink = undefined)}>Done</button>
      </div>
    </div>`;
  }

  override render() {
    const d = this.detail;
    if (this.gone) {
      return html`<section class="panel" role="alert">
        <h2>${d?.name ?? 'This class'} was deleted</h2>
        <p>Its join links and code no longer work. Students who joined keep their repls and what they submitted.</p>
        <p><a href="/classes">Back to your classes</a></p>
      </section>`;
    }
    if (!d) return this.error ? html`<p class="error" role="alert">${this.error}</p>` : html`<p class="muted" aria-busy="true"><span class="spinner" aria-hidden="true"></span> Loading the class…</p>`;
    const stack = 'stack' in d.starter ? d.starter.stack : undefined;
    return html`${this.#header(d)}
      <section class="panel" aria-labelledby="students-heading">
        <h2 id="students-heading">Students <span class="muted">${this.rows.length}</span></h2>
        ${this.#toolbar()}
        ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
        <p class="error" role="alert">${this.error}</p>
        ${this.newLink ? this.#newLink(this.newLink) : nothing}
        <class-roster
          .rows=${this.rows}
          .selected=${this.selected}
          .dueAt=${d.dueAt}
          .busy=${this.busy}
          @selection-change=${(e: SelectionEvent) => (this.selected = new Set(e.detail.selected))}
          @student-action=${(e: StudentActionEvent) => this.#action(e)}
        ></class-roster>
      </section>
      <class-grade .classId=${this.classId} .stack=${stack} .rows=${this.rows}></class-grade>
      <class-delete
        .classId=${this.classId}
        .name=${d.name}
        .students=${this.rows.length}
        .joined=${this.rows.filter((r) => r.account || r.joinedAt).length}
        @class-deleted=${() => window.location.assign('/classes')}
      ></class-delete>
      <class-push .classId=${this.classId} .open=${this.pushing} @push-close=${(e: CustomEvent<{ result?: string }>) => ((this.pushing = false), e.detail.result && (this.notice = e.detail.result))}></class-push>
      <confirm-dialog
        .open=${this.confirming !== undefined}
        heading=${this.confirming?.action === 'reset' ? 'Reset this repl to the starter?' : 'Revoke this join link?'}
        confirmLabel=${this.confirming?.action === 'reset' ? 'Reset' : 'Revoke'}
        @dialog-close=${(e: DialogCloseEvent) => this.#confirmed(e)}
      >
        <p>
          ${this.confirming?.action === 'reset'
            ? `The repl of ${this.confirming ? studentLabel(this.confirming.student) : ''} is stopped and its workspace replaced by the starter. Their submissions stay.`
            : `The link of ${this.confirming ? studentLabel(this.confirming.student) : ''} stops working. A student who joined keeps their repl; "New link" makes another link.`}
        </p>
      </confirm-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-dashboard': ClassDashboard;
  }
}
