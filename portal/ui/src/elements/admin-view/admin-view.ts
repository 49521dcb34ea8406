import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { Server } from '../../api/types.js';
import { formatBytes, formatCpu } from '../../format.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { adminViewStyles } from './admin-view.styles.js';

/** Where the page keeps the admin token for this tab only (closed tab, gone token). */
export const ADMIN_TOKEN_KEY = 'codeyard-admin-token';
/** How often the figures are read again. */
export const ADMIN_POLL_MS = 5_000;

/**
 * The token from the link the terminal printed (`/admin#token=…`): the fragment never reaches a
 * server or its logs. It moves to sessionStorage and leaves the address bar and the history.
 */
export function takeTokenFromLocation(): string | undefined {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (token) {
    sessionStorage.setItem(ADMIN_TOKEN_KEY, token);
    history.replaceState(null, '', window.location.pathname);
  }
  return sessionStorage.getItem(ADMIN_TOKEN_KEY) ?? undefined;
}

/**
 * The admin view (/admin): what this server can hold and holds now: capacity and use, the line
 * of starts waiting for room, every running repl of every account with its memory and CPU, and
 * the warm sandboxes. Calls /api/admin/server with the admin token as a bearer header.
 */
@customElement('admin-view')
export class AdminView extends LitElement {
  static override styles = [sharedStyles, adminViewStyles];

  @state() private server: Server | undefined;
  @state() private error: string | undefined;
  #token: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#token = takeTokenFromLocation();
    if (!this.#token) {
      this.error = 'This page needs the admin link the terminal printed when Codeyard started (…/admin#token=…); the token is also in <data folder>/admin-token.';
      return;
    }
    void this.#load();
    this.#timer = setInterval(() => void this.#load(), ADMIN_POLL_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
  }

  async #load(): Promise<void> {
    if (document.visibilityState !== 'visible' && this.server) return;
    try {
      const res = await fetch('/api/admin/server', { headers: { authorization: `Bearer ${this.#token}` }, credentials: 'omit', cache: 'no-store' });
      const body = await res.json();
      if (!res.ok) {
        this.error = `${body?.error?.message ?? `the portal answered ${res.status}`}`;
        if (res.status === 401 || res.status === 403) {
          sessionStorage.removeItem(ADMIN_TOKEN_KEY);
          clearInterval(this.#timer);
        }
        return;
      }
      this.server = body as Server;
      this.error = undefined;
    } catch {
      this.error = 'the portal cannot be reached; retrying';
    }
  }

  #capacity(s: Server) {
    const share = Math.min(100, (s.use.chargedBytes / s.capacity.memoryBytes) * 100);
    return html`<section aria-labelledby="cap">
      <h2 id="cap">Capacity</h2>
      <p>
        Memory for repls: <strong class="charged">${formatBytes(s.use.chargedBytes)}</strong> counted of <strong class="capacity">${formatBytes(s.capacity.memoryBytes)}</strong>
        (${s.capacity.source === 'configured' ? 'configured' : `measured at start, ${formatBytes(s.capacity.reserveBytes)} kept back`})${s.use.availableBytes !== undefined ? html`; the machine has ${formatBytes(s.use.availableBytes)} available` : nothing}.
      </p>
      <progress class="meter" max="100" .value=${share} aria-label="Memory counted against the capacity">${Math.round(share)} %</progress>
      <p class="muted">
        A start counts ${formatBytes(s.capacity.estimateBytes)} until it settles. ${s.use.startFits ? 'One more start fits now.' : 'The next start waits in line.'} CPU: ${formatCpu(s.use.cpuPercent)} of ${s.capacity.cpus * 100} % (${s.capacity.cpus} cores;
        reported, not limited here). Warm sandboxes: ${formatBytes(s.use.warmBytes)}.
      </p>
    </section>`;
  }

  #queue(s: Server) {
    return html`<section aria-labelledby="queue">
      <h2 id="queue">Waiting for room <span class="muted">${s.queue.length}</span></h2>
      ${s.queue.length === 0
        ? html`<p class="muted">Nobody waits.</p>`
        : html`<table>
            <thead><tr><th class="num">#</th><th>repl</th><th>account</th><th>since</th></tr></thead>
            <tbody>${s.queue.map((q) => html`<tr><td class="num">${q.position}</td><td><code>${q.replId}</code></td><td><code>${q.owner}</code></td><td>${new Date(q.since).toLocaleTimeString()}</td></tr>`)}</tbody>
          </table>`}
    </section>`;
  }

  #repls(s: Server) {
    return html`<section aria-labelledby="repls">
      <h2 id="repls">Running repls <span class="muted">${s.repls.length}</span></h2>
      ${s.repls.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<table>
            <thead><tr><th>repl</th><th>account</th><th>stack</th><th>status</th><th class="num">memory</th><th class="num">CPU</th><th class="num">OOM kills</th></tr></thead>
            <tbody>
              ${s.repls.map(
                (r) => html`<tr data-id=${r.id}>
                  <td>${r.name} <code>${r.id}</code></td><td><code>${r.owner}</code></td><td>${r.stack}</td><td>${r.status}</td>
                  <td class="num memory">${r.usage ? formatBytes(r.usage.memoryBytes) : '–'}</td><td class="num cpu">${formatCpu(r.usage?.cpuPercent)}</td><td class="num">${r.oomKills ?? '–'}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    </section>`;
  }

  #warm(s: Server) {
    return html`<section aria-labelledby="warm">
      <h2 id="warm">Warm sandboxes <span class="muted">${s.warm.length}</span></h2>
      <p class="muted">Started ahead so a new repl starts at once; the first to go when room is needed.</p>
      ${s.warm.length === 0
        ? nothing
        : html`<table>
            <thead><tr><th>sandbox</th><th>stack</th><th class="num">memory</th><th class="num">CPU</th></tr></thead>
            <tbody>${s.warm.map((w) => html`<tr><td><code>${w.sandboxId}</code></td><td>${w.stack}</td><td class="num">${w.usage ? formatBytes(w.usage.memoryBytes) : '–'}</td><td class="num">${formatCpu(w.usage?.cpuPercent)}</td></tr>`)}</tbody>
          </table>`}
    </section>`;
  }

  override render() {
    const s = this.server;
    return html`<h1>Server</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${s ? html`${this.#capacity(s)}${this.#queue(s)}${this.#repls(s)}${this.#warm(s)}` : !this.error ? html`<p class="muted" aria-busy="true">Loading…</p>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'admin-view': AdminView;
  }
}
