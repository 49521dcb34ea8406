import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { runningLimitStyles } from './running-limit.styles.js';

/** What the portal said when a new repl could not start: the limit and the repls that hold it. */
export interface RunningLimitOffer {
  /** The stack of the repl that was to be made. */
  stack: string;
  max: number;
  running: Array<{ id: string; name: string }>;
}

export type StopAndStartEvent = CustomEvent<{ stop: string; stack: string }>;

/**
 * The account runs all the repls it may, so a new one cannot start: one button per running repl
 * to stop it and start the new one in one click (Replit asks the same). Nothing was made yet.
 */
@customElement('running-limit')
export class RunningLimit extends LitElement {
  static override styles = [sharedStyles, runningLimitStyles];

  @property({ attribute: false }) offer!: RunningLimitOffer;

  /** The repl being stopped for the new one, while that happens. */
  @property() stopping: string | undefined;

  #choose(id: string): void {
    this.dispatchEvent(new CustomEvent('stop-and-start', { detail: { stop: id, stack: this.offer.stack }, bubbles: true, composed: true }) as StopAndStartEvent);
  }

  override render() {
    const { max, running } = this.offer;
    return html`<div class="offer" role="alert" aria-labelledby="offer-title">
      <p id="offer-title"><strong>${running.length} of ${max} running.</strong> You may run ${max} repl${max === 1 ? '' : 's'} at once: stop one to start this one.</p>
      <ul>
        ${running.map(
          (r) => html`<li>
            <button class="primary" data-stop=${r.id} ?disabled=${this.stopping !== undefined} aria-busy=${this.stopping === r.id ? 'true' : 'false'} @click=${() => this.#choose(r.id)}>
              ${this.stopping === r.id ? html`<span class="spinner" aria-hidden="true"></span>` : ''}Stop ${r.name} and start this
            </button>
          </li>`,
        )}
        <li><button class="dismiss" ?disabled=${this.stopping !== undefined} @click=${() => this.dispatchEvent(new CustomEvent('offer-dismiss', { bubbles: true, composed: true }))}>Not now</button></li>
      </ul>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'running-limit': RunningLimit;
  }
  interface HTMLElementEventMap {
    'stop-and-start': StopAndStartEvent;
  }
}
