import { consume } from '@lit/context';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { type ApiClient, ApiError } from '../../api/api-client.js';
import { apiContext, feedContext } from '../../api/contexts.js';
import type { ReplFeed } from '../../api/repl-feed.js';
import type { Repl } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { startingViewStyles } from './starting-view.styles.js';

export type ReplReadyEvent = CustomEvent<Repl>;
export type StartBackEvent = CustomEvent<void>;
/** The start was refused for the account's running limit (the repl, never started, and the refusal). */
export type StartRefusedEvent = CustomEvent<{ repl: Repl; error: ApiError }>;

/** While the start call runs, the repl is looked at this often (the feed may be slower). */
const WATCH_MS = 700;

/** "restoring files (3 of 10)" and "restoring files (4 of 10)" are one step, moving. */
export function stepKey(step: string): string {
  return step.replace(/\s*\([^)]*\)\s*$/, '');
}

/**
 * "Starting…": starts the repl (POST /start answers once it runs) and shows the runtime's real
 * steps meanwhile, from the live feed and a short poll. Answers `repl-ready` or, when the user
 * gives up after an error, `start-back`.
 */
@customElement('starting-view')
export class StartingView extends LitElement {
  static override styles = [sharedStyles, startingViewStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @consume({ context: feedContext })
  feed!: ReplFeed;

  @property({ attribute: false }) repl!: Repl;

  /** Steps seen so far, in order; the last one is what is happening now. */
  @state() private steps: string[] = [];

  @query('h2') private heading!: HTMLElement;

  #timer: ReturnType<typeof setInterval> | undefined;

  readonly #start = new Task(this, {
    task: async ([id]) => {
      this.#watch();
      try {
        let repl: Repl;
        try {
          repl = await this.api.start(id!);
        } catch (err) {
          // The running limit (another start came between): the page decides what to offer.
          if (err instanceof ApiError && err.code === 'LIMIT_REACHED') this.dispatchEvent(new CustomEvent('start-refused', { detail: { repl: this.repl, error: err }, bubbles: true, composed: true }) as StartRefusedEvent);
          throw err;
        }
        this.#see(repl);
        this.dispatchEvent(new CustomEvent('repl-ready', { detail: repl, bubbles: true, composed: true }) as ReplReadyEvent);
        return repl;
      } finally {
        clearInterval(this.#timer);
      }
    },
    args: () => [this.repl?.id] as const,
  });

  #unsubscribe: (() => void) | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#unsubscribe = this.feed.on('repl', (event) => {
      if (event.detail.id === this.repl.id) this.#see(event.detail);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    clearInterval(this.#timer);
  }

  override firstUpdated(): void {
    this.heading.focus();
  }

  #watch(): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      this.api.repl(this.repl.id).then(
        (repl) => this.#see(repl),
        () => {},
      );
    }, WATCH_MS);
  }

  #see(repl: Repl): void {
    if (this.#start.status !== TaskStatus.PENDING && repl.status !== 'running') return;
    this.repl = { ...this.repl, status: repl.status, step: repl.step, error: repl.error, sync: repl.sync };
    const step = repl.step;
    if (!step) return;
    const last = this.steps.at(-1);
    if (last === step) return;
    this.steps = last && stepKey(last) === stepKey(step) ? [...this.steps.slice(0, -1), step] : [...this.steps, step];
  }

  #retry(): void {
    this.steps = [];
    void this.#start.run();
  }

  override render() {
    const { repl } = this;
    const failed = this.#start.status === TaskStatus.ERROR;
    const done = this.#start.status === TaskStatus.COMPLETE;
    return html`<section class="starting" aria-labelledby="title">
      <img src="/stacks/${repl.stack}/icon.svg" alt="" width="48" height="48" />
      <h2 id="title" tabindex="-1">${failed ? `${repl.name} did not start` : done ? `Opening ${repl.name}…` : `Starting ${repl.name}…`}</h2>
      <ol class="steps" aria-live="polite" aria-label="Progress">
        <li class="done"><span class="mark" aria-hidden="true">✓</span> repl created</li>
        ${this.steps.map((step, i) => {
          const current = i === this.steps.length - 1 && !done && !failed;
          return html`<li class=${current ? 'current' : failed && i === this.steps.length - 1 ? 'failed' : 'done'}>
            ${current ? html`<span class="spinner" aria-hidden="true"></span>` : html`<span class="mark" aria-hidden="true">${failed && i === this.steps.length - 1 ? '✕' : '✓'}</span>`} ${step}
          </li>`;
        })}
        ${this.steps.length === 0 && !failed && !done ? html`<li class="current"><span class="spinner" aria-hidden="true"></span> starting</li>` : nothing}
        ${done ? html`<li class="current"><span class="spinner" aria-hidden="true"></span> opening VS Code</li>` : nothing}
      </ol>
      ${this.#start.render({
        error: (err) => html`<div class="failure" role="alert">
            <p class="error">${err instanceof Error ? err.message : String(err)}</p>
            <div class="buttons">
              <button class="primary" @click=${() => this.#retry()}>Try again</button>
              <button @click=${() => this.dispatchEvent(new CustomEvent('start-back', { bubbles: true, composed: true }) as StartBackEvent)}>Back to my repls</button>
            </div>
          </div>`,
      })}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'starting-view': StartingView;
  }
  interface HTMLElementEventMap {
    'repl-ready': ReplReadyEvent;
    'start-back': StartBackEvent;
    'start-refused': StartRefusedEvent;
  }
}
