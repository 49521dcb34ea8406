import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { GradeRun, GradeStatus, StudentRow } from '../../api/types.js';
import { classListStyles, classStyles } from '../../classes/class.styles.js';
import { describeTime, gradeLabel } from '../../classes/class-text.js';
import { sharedStyles } from '../../styles/shared.styles.js';

/**
 * What the command field starts with when the class was never graded: the usual test script of
 * the starter's stack (the server's own default, used when the field is left empty, is the
 * starter's test script too; portal/src/grading/default-command.ts has the same table).
 */
export const TEST_COMMANDS: Record<string, string> = { node: 'npm test', react: 'npm test', python: 'python3 -m unittest', go: 'go test ./...', rust: 'cargo test' };

/**
 * Autograde: a command run in every student's repl (queued on the server, a couple at a time,
 * stopped repls started and stopped again). The results fill in live (the rows' grade cells come
 * by the class's event stream); the outputs are read when asked; the CSV is a link.
 */
@customElement('class-grade')
export class ClassGrade extends LitElement {
  static override styles = [sharedStyles, classStyles, classListStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property() classId = '';
  @property() stack: string | undefined;
  @property({ attribute: false }) rows: readonly StudentRow[] = [];

  @state() private command = '';
  @state() private run: GradeRun | undefined;
  @state() private busy = false;
  @state() private error = '';
  @state() private outputs = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#loadLatest();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('stack') && !this.command && !this.run) this.command = TEST_COMMANDS[this.stack ?? ''] ?? '';
  }

  async #loadLatest(): Promise<void> {
    try {
      const { runs } = await this.api.gradeRuns(this.classId);
      this.run = runs[0];
      if (this.run) this.command = this.run.command;
    } catch {
      // No runs yet (or a server without autograde): the form is still there.
    }
  }

  async #start(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    this.busy = true;
    this.error = '';
    try {
      this.run = await this.api.grade(this.classId, this.command.trim() || undefined);
      this.outputs = false;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }

  async #showOutputs(): Promise<void> {
    if (!this.run) return;
    try {
      this.run = await this.api.gradeRun(this.classId, this.run.id);
      this.outputs = true;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** How the run stands, from the rows' live cells (the run's own answer is a snapshot). */
  #counts(run: GradeRun): Record<GradeStatus, number> {
    const counts: Record<GradeStatus, number> = { queued: 0, running: 0, pass: 0, fail: 0, error: 0 };
    const live = new Map(this.rows.filter((r) => r.grade?.runId === run.id).map((r) => [r.id, r.grade!.status]));
    for (const result of run.results) counts[live.get(result.studentId) ?? result.status]++;
    return counts;
  }

  #run(run: GradeRun) {
    const c = this.#counts(run);
    const names = new Map(this.rows.map((r) => [r.id, r.name]));
    return html`<p class="summary" role="status" aria-live="polite">
        <code>${run.command}</code>, started ${describeTime(run.createdAt)}:
        <span class="badge pass">${c.pass} pass</span> <span class="badge fail">${c.fail} fail</span>
        ${c.error ? html`<span class="badge error">${c.error} error</span>` : nothing}
        ${c.queued + c.running ? html`<span class="badge queued">${c.queued + c.running} to go</span>` : nothing}
      </p>
      <div class="row">
        <a class="button csv" href=${ApiClient.gradeCsvUrl(this.classId, run.id)} download>Results as CSV</a>
        <button type="button" class="outputs" @click=${() => void this.#showOutputs()}>${this.outputs ? 'Read the outputs again' : 'Show outputs'}</button>
      </div>
      ${this.outputs
        ? html`<ul class="outputs">
            ${run.results.map(
              (r) => html`<li>
                <details>
                  <summary>${names.get(r.studentId) ?? r.studentId}: ${gradeLabel(r)}</summary>
                  <pre class="output">${r.output ?? '(no output)'}</pre>
                </details>
              </li>`,
            )}
          </ul>`
        : nothing}`;
  }

  override render() {
    return html`<section class="panel" aria-labelledby="grade-heading">
      <h2 id="grade-heading">Autograde</h2>
      <form class="toolbar" @submit=${(e: SubmitEvent) => void this.#start(e)}>
        <label
          >Command run in every student's repl
          <input name="command" size="32" maxlength="4096" .value=${this.command} placeholder="the starter's test script" @input=${(e: Event) => (this.command = (e.target as HTMLInputElement).value)} />
        </label>
        <button class="primary autograde" type="submit" ?disabled=${this.busy}>${this.busy ? 'Queuing…' : 'Autograde'}</button>
      </form>
      <p class="error" role="alert">${this.error}</p>
      ${this.run ? this.#run(this.run) : html`<p class="muted">Not graded yet. Exit code 0 is a pass.</p>`}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-grade': ClassGrade;
  }
}
