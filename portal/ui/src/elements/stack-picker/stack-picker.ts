import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { Stack } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { stackPickerStyles } from './stack-picker.styles.js';

export type StackSelectEvent = CustomEvent<{ stack: string }>;

/**
 * The stacks a repl can be made from, as cards. Picking one asks the owner (through
 * `stack-select`) to create the repl; stacks this host cannot run follow in one compact line,
 * each with its reason behind "Why?".
 */
@customElement('stack-picker')
export class StackPicker extends LitElement {
  static override styles = [sharedStyles, stackPickerStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  /** The stack whose repl is being created, if any: every card waits meanwhile. */
  @property() creating: string | undefined;

  /** Why the last creation failed, shown next to the cards. */
  @property() error: string | undefined;

  readonly #stacks = new Task(this, {
    task: () => this.api.stacks(),
    args: () => [],
  });

  #select(stack: Stack): void {
    this.dispatchEvent(new CustomEvent('stack-select', { detail: { stack: stack.id }, bubbles: true, composed: true }) as StackSelectEvent);
  }

  #card(stack: Stack) {
    const creating = this.creating === stack.id;
    return html`<li>
      <button
        class="stack"
        data-stack=${stack.id}
        ?disabled=${this.creating !== undefined}
        aria-busy=${creating ? 'true' : 'false'}
        @click=${() => this.#select(stack)}
      >
        <img src=${stack.icon ?? `/stacks/${stack.id}/icon.svg`} alt="" width="32" height="32" />
        <span class="name" id="name-${stack.id}">${stack.name}${creating ? html` <span class="spinner" aria-hidden="true"></span>` : ''}</span>
        <span class="description" id="detail-${stack.id}">${stack.description}</span>
      </button>
    </li>`;
  }

  /**
   * A stack this host cannot run, in one line: its name, and why (with what an admin can do)
   * behind a "Why?" disclosure, so it takes no room from the stacks one can use.
   */
  #unavailable(stack: Stack) {
    return html`<li class="unavailable" data-stack=${stack.id}>
      <img src=${stack.icon ?? `/stacks/${stack.id}/icon.svg`} alt="" width="20" height="20" />
      <span class="name">${stack.name}</span>
      <details>
        <summary aria-label="Why is ${stack.name} unavailable?">Why?</summary>
        <p class="reason">${stack.reason ?? 'not available on this host'}</p>
      </details>
    </li>`;
  }

  #stackList(stacks: Stack[]) {
    if (!stacks.length) return html`<p class="muted empty">This portal has no stacks. Add one to its templates folder.</p>`;
    // Stacks one can use first, in the catalog's order; the others after them, compact.
    const usable = stacks.filter((s) => s.available);
    const unusable = stacks.filter((s) => !s.available);
    return html`<ul class="stacks" aria-label="Stacks">${usable.map((s) => this.#card(s))}</ul>
      ${unusable.length
        ? html`<div class="unavailable-stacks">
            <span class="muted" id="unavailable-label">Not available on this server:</span>
            <ul aria-labelledby="unavailable-label">${unusable.map((s) => this.#unavailable(s))}</ul>
          </div>`
        : nothing}`;
  }

  override render() {
    return html`
      <p class="error create-error" role="alert">${this.error ?? ''}</p>
      ${this.#stacks.render({
        pending: () => html`<ul class="stacks loading" aria-busy="true" aria-label="Loading stacks">
          ${[0, 1, 2].map(() => html`<li><div class="stack placeholder"></div></li>`)}
        </ul>`,
        complete: (stacks) => this.#stackList(stacks),
        error: (err) => html`<div class="load-error" role="alert">
          <p class="error">Could not load the stacks: ${err instanceof Error ? err.message : String(err)}</p>
          <button @click=${() => void this.#stacks.run()}>Try again</button>
        </div>`,
      })}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'stack-picker': StackPicker;
  }
  interface HTMLElementEventMap {
    'stack-select': StackSelectEvent;
  }
}
