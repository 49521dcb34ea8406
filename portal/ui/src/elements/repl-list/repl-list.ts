import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext, feedContext } from '../../api/contexts.js';
import type { ReplFeed } from '../../api/repl-feed.js';
import type { Repl, ReplStatus } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../repl-card/repl-card.js';
import { replListStyles } from './repl-list.styles.js';

export type ReplSort = 'newest' | 'name' | 'status';

const STATUS_ORDER: Record<ReplStatus, number> = { running: 0, starting: 1, stopping: 2, error: 3, stopped: 4 };

/** Orders and filters the list as the search box and the sort menu say; pure, for the view. */
export function arrange(repls: Iterable<Repl>, query: string, sort: ReplSort): Repl[] {
  const q = query.trim().toLowerCase();
  const shown = [...repls].filter((r) => !q || r.name.toLowerCase().includes(q) || r.stack.toLowerCase().includes(q) || r.id.includes(q));
  const newest = (a: Repl, b: Repl) => b.createdAt.localeCompare(a.createdAt);
  const byName = (a: Repl, b: Repl) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true });
  if (sort === 'name') return shown.sort((a, b) => byName(a, b) || newest(a, b));
  if (sort === 'status') return shown.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || newest(a, b));
  return shown.sort(newest);
}

/** Where the chosen sort order is kept between visits (this browser's localStorage). */
export const SORT_KEY = 'codeyard.replSort';

/** The sort order kept in this browser, or the default (storage may be off or hold anything). */
export function savedSort(storage: Pick<Storage, 'getItem'> | undefined): ReplSort {
  let saved: string | null = null;
  try {
    saved = storage?.getItem(SORT_KEY) ?? null;
  } catch {
    // storage refused (privacy settings): the default
  }
  return saved === 'name' || saved === 'status' || saved === 'newest' ? saved : 'newest';
}

/** Repls that count against the running limit: running, or on their way there. */
export function runningCount(repls: Iterable<Repl>): number {
  return [...repls].filter((r) => r.status === 'running' || r.status === 'starting').length;
}

/** How often running repls' memory and CPU are read again while the page is visible. */
export const USAGE_POLL_MS = 5_000;

/**
 * "My repls": loaded once, then kept current by the live feed and by what the cards report
 * after their own calls. Search and sort happen here, on what is loaded. Memory and CPU of the
 * running ones are polled (GET /api/usage, one small answer) rather than streamed: they change
 * all the time, and a view per repl every few seconds would ask every agent for nothing.
 */
@customElement('repl-list')
export class ReplList extends LitElement {
  static override styles = [sharedStyles, replListStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @consume({ context: feedContext })
  feed!: ReplFeed;

  @state() private query = '';
  @state() private sort: ReplSort = savedSort(globalThis.localStorage);

  /** How many repls the account may run at once (GET /api/me), for "2 of 3 running". */
  @property({ type: Number }) runningLimit: number | undefined;

  #repls = new Map<string, Repl>();

  readonly #load = new Task(this, {
    task: async () => {
      const list = await this.api.repls();
      this.#repls = new Map(list.map((r) => [r.id, r]));
      return list;
    },
    args: () => [],
  });

  #unsubscribe: Array<() => void> = [];
  #usageTimer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#usageTimer = setInterval(() => void this.#pollUsage(), USAGE_POLL_MS);
    this.#unsubscribe = [
      this.feed.on('repl', (e) => this.#put(e.detail)),
      this.feed.on('deleted', (e) => this.#drop(e.detail.id)),
      // Nothing replays what happened while the stream was down: the list is read again.
      this.feed.on('resync', () => void this.#load.run()),
      this.api.onActionDone(() => this.#clearErrors()),
    ];
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.#unsubscribe) off();
    clearInterval(this.#usageTimer);
  }

  /** Fresh figures for the running repls; nothing asked while none runs or the tab is hidden. */
  async #pollUsage(): Promise<void> {
    if (document.visibilityState !== 'visible' || ![...this.#repls.values()].some((r) => r.status === 'running')) return;
    let usage: Record<string, Repl['usage']>;
    try {
      usage = await this.api.usage();
    } catch {
      return; // the next tick tries again
    }
    for (const [id, repl] of this.#repls) {
      const fresh = usage[id];
      if (fresh) this.#repls.set(id, { ...repl, usage: fresh });
      else if (repl.usage && repl.status !== 'running') this.#repls.set(id, { ...repl, usage: undefined });
    }
    this.requestUpdate();
  }

  #put(repl: Repl): void {
    this.#repls.set(repl.id, repl);
    this.requestUpdate();
  }

  #drop(id: string): void {
    if (this.#repls.delete(id)) this.requestUpdate();
  }

  #setSort(sort: ReplSort): void {
    this.sort = sort;
    try {
      localStorage.setItem(SORT_KEY, sort);
    } catch {
      // not kept: this visit still sorts so
    }
  }

  /**
   * Clears the cards' errors: something has worked since, so they are stale. (The acting card
   * sets its own error after this, if its action failed later on.)
   */
  #clearErrors(): void {
    for (const card of this.renderRoot.querySelectorAll('repl-card')) card.clearError();
  }

  #toolbar(count: number) {
    return html`<div class="toolbar">
      <h2 id="heading">My repls <span class="count muted">${count}</span></h2>
      ${this.runningLimit ? html`<span class="running muted" role="status">${runningCount(this.#repls.values())} of ${this.runningLimit} running</span>` : nothing}
      <input type="search" class="search" placeholder="Search repls" aria-label="Search repls" .value=${this.query} @input=${(e: InputEvent) => (this.query = (e.target as HTMLInputElement).value)} />
      <label class="sort">
        <span>Sort</span>
        <select aria-label="Sort repls" @change=${(e: Event) => this.#setSort((e.target as HTMLSelectElement).value as ReplSort)}>
          <option value="newest" ?selected=${this.sort === 'newest'}>Newest</option>
          <option value="name" ?selected=${this.sort === 'name'}>Name</option>
          <option value="status" ?selected=${this.sort === 'status'}>Status</option>
        </select>
      </label>
    </div>`;
  }

  #list() {
    if (this.#repls.size === 0) return html`<p class="empty muted">No repls yet. Pick a stack above to create your first one.</p>`;
    const shown = arrange(this.#repls.values(), this.query, this.sort);
    if (shown.length === 0) return html`<p class="empty muted">No repl matches “${this.query}”.</p>`;
    return html`<ul class="repls" aria-labelledby="heading">
      ${repeat(
        shown,
        (r) => r.id,
        (r) => html`<li><repl-card data-id=${r.id} .repl=${r}></repl-card></li>`,
      )}
    </ul>`;
  }

  override render() {
    return html`<section
      @repl-updated=${(e: CustomEvent<Repl>) => this.#put(e.detail)}
      @repl-added=${(e: CustomEvent<Repl>) => this.#put(e.detail)}
      @repl-removed=${(e: CustomEvent<{ id: string }>) => this.#drop(e.detail.id)}
    >
      ${this.#toolbar(this.#repls.size)}
      ${this.#load.render({
        pending: () => html`<p class="loading muted" aria-busy="true"><span class="spinner" aria-hidden="true"></span> Loading your repls…</p>`,
        complete: () => this.#list(),
        error: (err) => html`<div role="alert">
          <p class="error">Could not load your repls: ${err instanceof Error ? err.message : String(err)}</p>
          <button @click=${() => void this.#load.run()}>Try again</button>
        </div>`,
      })}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'repl-list': ReplList;
  }
}
