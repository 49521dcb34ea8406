import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { Stack } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { stackPickerStyles } from './stack-picker.styles.js';

export type StackSelectEvent = CustomEvent<{ stack: string }>;

/**
 * The stacks a repl can be made from, as cards. Picking one asks the owner (through
 * `stack-select`) to create the repl; unavailable stacks are shown disabled with the reason.
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
    const available = stack.available;
    const creating = this.creating === stack.id;
    const detailId = `detail-${stack.id}`;
    return html`<li>
      <button
        class="stack"
        data-stack=${stack.id}
        ?disabled=${!available || this.creating !== undefined}
        aria-labelledby="name-${stack.id}"
        aria-describedby=${detailId}
        aria-busy=${creating ? 'true' : 'false'}
        @click=${() => this.#select(stack)}
      >
        <img src=${stack.icon ?? `/stacks/${stack.id}/icon.svg`} alt="" width="36" height="36" />
        <span class="name" id="name-${stack.id}">${stack.name}${creating ? html` <span class="spinner" aria-hidden="true"></span>` : ''}</span>
        <span class=${available ? 'description' : 'reason'} id=${detailId}>
          ${available ? stack.description : html`<span class="visually-hidden">Unavailable: </span>${stack.reason ?? 'not available on this host'}`}
        </span>
      </button>
    </li>`;
  }

  override render() {
    return html`
      <p class="error create-error" role="alert">${this.error ?? ''}</p>
      ${this.#stacks.render({
        pending: () => html`<ul class="stacks loading" aria-busy="true" aria-label="Loading stacks">
          ${[0, 1, 2].map(() => html`<li><div class="stack placeholder"></div></li>`)}
        </ul>`,
        complete: (stacks) =>
          stacks.length
            ? html`<ul class="stacks" aria-label="Stacks">${stacks.map((s) => this.#card(s))}</ul>`
            : html`<p class="muted empty">This portal has no stacks. Add one to its templates folder.</p>`,
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
