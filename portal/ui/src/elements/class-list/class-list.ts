import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { ClassList, ClassSummary, Me } from '../../api/types.js';
import { classStyles } from '../../classes/class.styles.js';
import { describeTime } from '../../classes/class-text.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../class-create/class-create.js';
import '../my-classes/my-classes.js';

/**
 * `/classes`: the classes I teach (teachers and admins), with "New class", and the ones I attend
 * (anyone who joined one). Each taught class leads to its dashboard (`/classes/:id`).
 */
@customElement('class-list')
export class ClassListView extends LitElement {
  static override styles = [sharedStyles, classStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property({ attribute: false }) me: Me | undefined;

  @state() private creating = false;

  readonly #load = new Task(this, {
    task: (): Promise<ClassList> => this.api.classes(),
    args: () => [],
  });

  get #teaches(): boolean {
    return this.me?.role === 'teacher' || this.me?.role === 'admin';
  }

  #row(c: ClassSummary) {
    return html`<tr data-id=${c.id}>
      <td><a href=${`/classes/${c.id}`}>${c.name}</a></td>
      <td>${'repl' in c.starter ? html`copy of a repl <span class="muted">(${c.starter.stack ?? '?'})</span>` : c.starter.stack}</td>
      <td class="num">${c.joined} / ${c.students}</td>
      <td>${c.code ? html`<code>${c.code}</code>` : html`<span class="muted">off</span>`}</td>
      <td>${describeTime(c.dueAt)}</td>
      <td>${describeTime(c.createdAt)}</td>
    </tr>`;
  }

  #teaching(list: ClassList) {
    if (!this.#teaches) return nothing;
    return html`<section class="panel" aria-labelledby="teaching-heading">
      <div class="head">
        <h2 id="teaching-heading">Classes I teach <span class="muted">${list.teaching.length}</span></h2>
        <span class="spacer"></span>
        ${this.creating ? nothing : html`<button class="primary new-class" @click=${() => (this.creating = true)}>New class</button>`}
      </div>
      ${list.teaching.length
        ? html`<div class="scroll">
            <table>
              <thead><tr><th>class</th><th>starter</th><th class="num">joined</th><th>class code</th><th>due</th><th>created</th></tr></thead>
              <tbody>${list.teaching.map((c) => this.#row(c))}</tbody>
            </table>
          </div>`
        : html`<p class="muted">No classes yet. A class gives every student on a roster a repl of their own, made from a starter.</p>`}
    </section>`;
  }

  override render() {
    return html`<h1>Classes</h1>
      ${this.creating
        ? html`<class-create
            @class-create-close=${() => (this.creating = false)}
            @class-created=${() => void this.#load.run()}
          ></class-create>`
        : nothing}
      ${this.#load.render({
        pending: () => html`<p class="muted" aria-busy="true"><span class="spinner" aria-hidden="true"></span> Loading classes…</p>`,
        complete: (list) => html`${this.#teaching(list)}<my-classes .classes=${list.attending} standalone></my-classes>`,
        error: (err) => html`<div role="alert">
          <p class="error">Could not load the classes: ${err instanceof Error ? err.message : String(err)}</p>
          <button @click=${() => void this.#load.run()}>Try again</button>
        </div>`,
      })}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-list': ClassListView;
  }
}
