import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { AttendingClass, Submission } from '../../api/types.js';
import { classListStyles, classStyles } from '../../classes/class.styles.js';
import { describeTime, isLate } from '../../classes/class-text.js';
import { sharedStyles } from '../../styles/shared.styles.js';

/**
 * The student side: "My classes", each with its repl (Open IDE), Submit, and my submissions with
 * their times. A submission is an immutable saved version of the whole workspace, so Submit may
 * be pressed again (a new version; the teacher sees the newest). Shown on the dashboard when I
 * attend a class (it loads the list itself then), and on /classes (`standalone`: the list comes
 * from the page, with a class-code form for joining another).
 */
@customElement('my-classes')
export class MyClasses extends LitElement {
  static override styles = [sharedStyles, classStyles, classListStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  /** The classes, when the page has them already; otherwise they are loaded here. */
  @property({ attribute: false }) classes: AttendingClass[] | undefined;
  /** On /classes: shown even when empty, with the class-code form. */
  @property({ type: Boolean }) standalone = false;

  @state() private submissions = new Map<string, Submission[]>();
  @state() private busy: string | undefined;
  @state() private messages = new Map<string, { text: string; error: boolean }>();
  @state() private joinError = '';
  /**
   * The repl the IDE's Submit asked to submit (`/classes?submit=<replId>`): asked here, never
   * done on load (a link from anywhere must not submit by itself); one click does it.
   */
  @state() private asked: string | undefined = new URLSearchParams(window.location.search).get('submit') ?? undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.classes) void this.#loadClasses();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('classes') && this.classes) for (const c of this.classes) if (!this.submissions.has(c.replId)) void this.#loadSubmissions(c.replId);
  }

  async #loadClasses(): Promise<void> {
    try {
      this.classes = (await this.api.classes()).attending;
    } catch {
      this.classes = []; // A portal without classes, or none for me: nothing to show.
    }
  }

  async #loadSubmissions(replId: string): Promise<void> {
    try {
      const list = await this.api.submissions(replId);
      this.submissions = new Map(this.submissions).set(replId, [...list].sort((a, b) => b.number - a.number));
    } catch {
      this.submissions = new Map(this.submissions).set(replId, []);
    }
  }

  #say(replId: string, text: string, error = false): void {
    this.messages = new Map(this.messages).set(replId, { text, error });
  }

  #forgetAsked(): void {
    this.asked = undefined;
    window.history.replaceState(null, '', window.location.pathname);
  }

  /** What the IDE's Submit asked for: this account's class repl, or a refusal saying whose it is to submit. */
  #askedPanel(classes: AttendingClass[]) {
    if (!this.asked || !this.standalone) return nothing;
    const c = classes.find((k) => k.replId === this.asked);
    if (!c) {
      return html`<div class="panel asked" role="alert">
        <p class="error">
          This account cannot submit that repl: it is not your repl in any class you joined. Only the student whose repl it is can submit it, signed in as themselves (a teacher
          viewing a student's repl submits nothing for them).
        </p>
        <button @click=${() => this.#forgetAsked()}>Dismiss</button>
      </div>`;
    }
    return html`<div class="panel asked" role="region" aria-label="Submit from VS Code">
      <p>Submit your work for <strong>${c.name}</strong> now? Your teacher sees the workspace as it is saved at this moment.</p>
      <div class="row">
        <button class="primary submit-asked" autofocus ?disabled=${this.busy === c.replId} @click=${() => void this.#submit(c).then(() => this.#forgetAsked())}>Submit ${c.name}</button>
        <button @click=${() => this.#forgetAsked()}>Cancel</button>
      </div>
    </div>`;
  }

  async #submit(c: AttendingClass): Promise<void> {
    this.busy = c.replId;
    this.#say(c.replId, 'Saving your workspace…');
    try {
      const sub = await this.api.submit(c.replId);
      this.#say(c.replId, `Submitted: version ${sub.number}, ${sub.files} file${sub.files === 1 ? '' : 's'}, at ${describeTime(sub.createdAt)}.`);
      await this.#loadSubmissions(c.replId);
    } catch (err) {
      this.#say(c.replId, `Could not submit: ${err instanceof Error ? err.message : String(err)}`, true);
    } finally {
      this.busy = undefined;
    }
  }

  async #join(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const code = String(new FormData(event.target as HTMLFormElement).get('code') ?? '').trim();
    if (!code) return;
    this.joinError = '';
    try {
      const joined = await this.api.join({ code });
      window.location.assign(ApiClient.openUrl(joined.replId));
    } catch (err) {
      this.joinError = err instanceof Error ? err.message : String(err);
    }
  }

  #class(c: AttendingClass) {
    const subs = this.submissions.get(c.replId);
    const message = this.messages.get(c.replId);
    return html`<li class="class" data-id=${c.id} data-repl=${c.replId}>
      <div class="head">
        <h3>${c.name}</h3>
        <span class="muted">${c.teacher.name ? `with ${c.teacher.name}` : ''}${c.dueAt ? ` · due ${describeTime(c.dueAt)}` : ''}</span>
        <span class="spacer"></span>
        <a class="button open" href=${ApiClient.openUrl(c.replId)} aria-label=${`Open IDE of ${c.name}`}>Open IDE</a>
        <button class="primary submit" ?disabled=${this.busy === c.replId} @click=${() => void this.#submit(c)} aria-label=${`Submit my work for ${c.name}`}>
          ${this.busy === c.replId ? html`<span class="spinner" aria-hidden="true"></span> Submitting…` : 'Submit'}
        </button>
      </div>
      ${message ? html`<p class=${message.error ? 'error' : 'notice'} role=${message.error ? 'alert' : 'status'}>${message.text}</p>` : nothing}
      ${subs === undefined
        ? html`<p class="muted" aria-busy="true">Loading submissions…</p>`
        : subs.length
          ? html`<ol class="submissions" aria-label=${`My submissions for ${c.name}`} reversed>
              ${subs.map(
                (s) => html`<li data-number=${s.number}>
                  Version ${s.number}: ${describeTime(s.createdAt)} <span class="muted">(${s.files} file${s.files === 1 ? '' : 's'})</span>
                  ${isLate(s.createdAt, c.dueAt) ? html`<span class="badge late">late</span>` : nothing}
                </li>`,
              )}
            </ol>`
          : html`<p class="muted">Not submitted yet.</p>`}
    </li>`;
  }

  override render() {
    const classes = this.classes ?? [];
    if (!classes.length && !this.standalone) return nothing;
    return html`<section class="panel" aria-labelledby="my-classes-heading">
      <h2 id="my-classes-heading">My classes <span class="muted">${classes.length}</span></h2>
      ${this.#askedPanel(classes)}
      ${classes.length ? html`<ul class="classes">${classes.map((c) => this.#class(c))}</ul>` : html`<p class="muted">You have not joined a class. Open the link your teacher sent, or type the class code.</p>`}
      ${this.standalone
        ? html`<form class="toolbar join" @submit=${(e: SubmitEvent) => void this.#join(e)}>
            <label>Class code <input name="code" autocomplete="off" placeholder="K7QM-2XPD" maxlength="20" /></label>
            <button type="submit">Join</button>
            <p class="error" role="alert">${this.joinError}</p>
          </form>`
        : nothing}
    </section>`;
  }

}

declare global {
  interface HTMLElementTagNameMap {
    'my-classes': MyClasses;
  }
}
