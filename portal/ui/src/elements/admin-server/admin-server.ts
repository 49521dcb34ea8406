import { consume } from '@lit/context';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { type AdminClient, adminContext, messageOf } from '../../api/admin-client.js';
import { ApiClient } from '../../api/api-client.js';
import type { AdminRepl, Server } from '../../api/types.js';
import { formatBytes, formatCpu } from '../../format.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../confirm-dialog/confirm-dialog.js';
import type { DialogCloseEvent } from '../confirm-dialog/confirm-dialog.js';
import { adminPanelStyles } from '../admin-view/admin-view.styles.js';

/** How often the figures are read again. */
export const ADMIN_POLL_MS = 5_000;

/** Who owns a repl, as a person reads it: the address, else the account id. */
function ownerOf(repl: AdminRepl): string {
  return repl.ownerEmail ?? repl.owner;
}

/**
 * The server: what it can hold and holds now (capacity and use), the line of starts waiting for
 * room, every running repl of every account with its owner, memory and CPU (Stop, after asking;
 * Open IDE for an admin account, recorded in the audit log), and the warm sandboxes.
 */
@customElement('admin-server')
export class AdminServer extends LitElement {
  static override styles = [sharedStyles, adminPanelStyles];

  @consume({ context: adminContext })
  client!: AdminClient;

  @state() private server: Server | undefined;
  @state() private error: string | undefined;
  @state() private stopping: AdminRepl | undefined;
  @state() private notice: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
    this.#timer = setInterval(() => void this.#load(), ADMIN_POLL_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
  }

  async #load(force = false): Promise<void> {
    if (!force && document.visibilityState !== 'visible' && this.server) return;
    try {
      this.server = await this.client.server();
      this.error = undefined;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  async #stop(event: DialogCloseEvent): Promise<void> {
    const repl = this.stopping;
    this.stopping = undefined;
    if (!repl || !event.detail.confirmed) return;
    this.notice = `Stopping ${repl.name}…`;
    try {
      await this.client.stopRepl(repl.id);
      this.notice = `Stopped ${repl.name} of ${ownerOf(repl)}; its files are saved.`;
    } catch (err) {
      this.notice = undefined;
      this.error = messageOf(err);
    }
    await this.#load(true);
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
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${s.repls.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<div class="scroll"><table>
            <thead><tr><th>repl</th><th>owner</th><th>stack</th><th>status</th><th class="num">memory</th><th class="num">CPU</th><th class="num">OOM kills</th><th><span class="visually-hidden">actions</span></th></tr></thead>
            <tbody>
              ${s.repls.map(
                (r) => html`<tr data-id=${r.id}>
                  <td>${r.name} <code>${r.id}</code></td><td class="owner">${ownerOf(r)}</td><td>${r.stack}</td><td class="status">${r.status}</td>
                  <td class="num memory">${r.usage ? formatBytes(r.usage.memoryBytes) : '–'}${r.memoryLimitMb ? html` <span class="muted memory-limit" title="its own memory limit, set by its class">of ${formatBytes(r.memoryLimitMb * 1024 * 1024)}</span>` : nothing}</td><td class="num cpu">${formatCpu(r.usage?.cpuPercent)}</td><td class="num">${r.oomKills ?? '–'}</td>
                  <td class="actions">
                    ${this.client.operator ? nothing : html`<a class="button open" href=${ApiClient.openUrl(r.id)} target="_blank" rel="noopener" aria-label=${`Open IDE of ${r.name} (${ownerOf(r)})`}>Open IDE</a>`}
                    <button class="danger stop" aria-label=${`Stop ${r.name} (${ownerOf(r)})`} ?disabled=${r.status === 'stopping'} @click=${() => (this.stopping = r)}>Stop</button>
                  </td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
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
    return html`${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${s ? html`${this.#capacity(s)}${this.#queue(s)}${this.#repls(s)}${this.#warm(s)}` : !this.error ? html`<p class="muted" aria-busy="true">Loading…</p>` : nothing}
      <confirm-dialog .open=${this.stopping !== undefined} heading="Stop this repl?" confirmLabel="Stop" @dialog-close=${(e: DialogCloseEvent) => void this.#stop(e)}>
        <p>${this.stopping?.name} of ${this.stopping ? ownerOf(this.stopping) : ''}: its files are saved, and its owner can start it again. The audit log records it.</p>
      </confirm-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'admin-server': AdminServer;
  }
}
