import { consume } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { ClassDetail, ClassLimits, ClassStarter, CreateClass, Repl, Stack } from '../../api/types.js';
import { classStyles } from '../../classes/class.styles.js';
import { rosterCsv } from '../../classes/class-text.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../class-links/class-links.js';

export type ClassCreatedEvent = CustomEvent<ClassDetail>;

/** The biggest roster file read into the form (the API's own limit is 256 KiB of CSV). */
const MAX_FILE_BYTES = 256 * 1024;
const MiB = 1024 * 1024;
/** The least memory a class may give each student (the API's own minimum). */
const MIN_MEMORY_MB = 256;

/**
 * "New class": a name, the starter (a stack, or a copy of one of my repls), the roster (pasted,
 * or a CSV file read into the same box so it can be checked before sending), an optional due
 * time and optional per-student limits (memory up to the server's own limit, always on from the
 * teacher's allowance; left empty, the server's defaults). The API makes everything or nothing; its 400s name the line and field, shown as they
 * are. Once made, the join links are shown (once: the server keeps only their hashes).
 */
@customElement('class-create')
export class ClassCreate extends LitElement {
  static override styles = [sharedStyles, classStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @state() private stacks: Stack[] = [];
  @state() private repls: Repl[] = [];
  @state() private busy = false;
  @state() private error = '';
  @state() private roster = '';
  @state() private created: ClassDetail | undefined;
  /** The server's own memory limit of one repl (GET /api/runtime), the most a class may give; undefined: not reported. */
  @state() private memoryMaxMb: number | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#loadStarters();
    void this.#loadMemoryMax();
  }

  async #loadMemoryMax(): Promise<void> {
    try {
      const bytes = (await this.api.runtime()).limits.memory.value;
      this.memoryMaxMb = bytes ? Math.floor(bytes / MiB) : undefined;
    } catch {
      // Only the hint and the field's max come from it: the server refuses a memory above its limit anyway.
    }
  }

  async #loadStarters(): Promise<void> {
    try {
      const [stacks, repls] = await Promise.all([this.api.stacks(), this.api.repls()]);
      this.stacks = stacks.filter((s) => s.available !== false);
      this.repls = repls;
    } catch (err) {
      this.error = `Could not load the stacks and your repls: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  async #file(event: Event): Promise<void> {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      this.error = `${file.name} is ${Math.ceil(file.size / 1024)} KiB; a roster may have at most 256 KiB (500 students)`;
      return;
    }
    this.error = '';
    this.roster = await file.text();
  }

  async #submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const starterValue = String(form.get('starter') ?? '');
    const [kind, id] = starterValue.split(':', 2);
    const starter: ClassStarter = kind === 'repl' ? { repl: id! } : { stack: id! };
    const due = String(form.get('due') ?? '');
    if (!this.roster.trim()) {
      this.error = 'the roster is empty: paste names (one a line) or choose a CSV file';
      return;
    }
    const memory = String(form.get('memory') ?? '').trim();
    if (memory && !/^\d+$/.test(memory)) {
      this.error = `memory per student: ${memory} is not a whole number of MB`;
      return;
    }
    const body: CreateClass = { name: String(form.get('name') ?? '').trim(), starter, roster: { csv: rosterCsv(this.roster) } };
    if (due) body.dueAt = new Date(due).toISOString();
    // Only what the teacher set: a field left empty is the server's default, so no `limits` at all then.
    const limits: ClassLimits = {};
    if (memory) limits.memoryMb = Number(memory);
    if (form.get('alwaysOn')) limits.alwaysOn = true;
    if (Object.keys(limits).length) body.limits = limits;
    this.busy = true;
    this.error = '';
    try {
      this.created = await this.api.createClass(body);
      this.dispatchEvent(new CustomEvent('class-created', { detail: this.created, bubbles: true, composed: true }) as ClassCreatedEvent);
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }

  #cancel(): void {
    this.dispatchEvent(new CustomEvent('class-create-close', { bubbles: true, composed: true }));
  }

  #limitsFields() {
    const max = this.memoryMaxMb;
    return html`<fieldset>
      <legend>Per-student limits (optional)</legend>
      <label
        >Memory per student in MB (${max ? `${MIN_MEMORY_MB} to ${max}, this server's limit; empty: ${max}` : `at least ${MIN_MEMORY_MB}, at most this server's limit; empty: the server's limit`})
        <input name="memory" type="number" min=${MIN_MEMORY_MB} max=${max ?? nothing} step="1" inputmode="numeric" autocomplete="off" />
      </label>
      <label class="check"><input name="alwaysOn" type="checkbox" aria-describedby="always-on-hint" /> Always on</label>
      <p id="always-on-hint" class="hint muted">Every student's repl keeps running, each taking one place of your always-on allowance; the class is refused if they do not all fit.</p>
    </fieldset>`;
  }

  #form() {
    return html`<form class="stack" @submit=${(e: SubmitEvent) => void this.#submit(e)}>
      <label>Class name <input name="name" required maxlength="100" autocomplete="off" /></label>
      <label
        >Starter (what every student's repl begins as)
        <select name="starter" required>
          <optgroup label="Stacks">${this.stacks.map((s) => html`<option value=${`stack:${s.id}`}>${s.name}</option>`)}</optgroup>
          ${this.repls.length ? html`<optgroup label="A copy of one of my repls">${this.repls.map((r) => html`<option value=${`repl:${r.id}`}>${r.name} (${r.stack})</option>`)}</optgroup>` : nothing}
        </select>
      </label>
      <fieldset>
        <legend>Roster</legend>
        <label
          >Paste it: one student a line (name, optionally email and student id, comma separated), or a CSV with a header row
          <textarea name="roster" rows="6" placeholder=${'Ada Lovelace, ada@example.org\nAlan Turing\n…'} .value=${this.roster} @input=${(e: Event) => (this.roster = (e.target as HTMLTextAreaElement).value)}></textarea>
        </label>
        <label>or upload a CSV file (columns: name, email, student id) <input name="file" type="file" accept=".csv,text/csv,text/plain" @change=${(e: Event) => void this.#file(e)} /></label>
      </fieldset>
      <label>Due (optional) <input name="due" type="datetime-local" /></label>
      ${this.#limitsFields()}
      <p class="error" role="alert">${this.error}</p>
      <div class="buttons">
        <button type="button" @click=${() => this.#cancel()}>Cancel</button>
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? html`<span class="spinner" aria-hidden="true"></span> Making the repls…` : 'Create class'}</button>
      </div>
    </form>`;
  }

  override render() {
    return html`<section class="panel" aria-labelledby="new-class-heading">
      <h2 id="new-class-heading">${this.created ? `${this.created.name}: join links` : 'New class'}</h2>
      ${this.created
        ? html`<class-links .classId=${this.created.id} .rows=${this.created.students} .code=${this.created.code}></class-links>
            <div class="buttons"><a class="button primary" href=${`/classes/${this.created.id}`}>Open the class</a></div>`
        : this.#form()}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-create': ClassCreate;
  }
}
