import { consume } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { ApiClient, ApiError } from '../../api/api-client.js';
import { apiContext, hostContext } from '../../api/contexts.js';
import type { Repl, ReplStatus, SyncStatus, Visibility } from '../../api/types.js';
import { formatBytes, formatCpu } from '../../format.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import '../confirm-dialog/confirm-dialog.js';
import '../repl-secrets/repl-secrets.js';
import { replCardStyles } from './repl-card.styles.js';

export type ReplUpdatedEvent = CustomEvent<Repl>;
export type ReplAddedEvent = CustomEvent<Repl>;
export type ReplRemovedEvent = CustomEvent<{ id: string }>;

export const STATUS_LABELS: Record<ReplStatus, string> = {
  running: 'Running',
  starting: 'Starting',
  stopping: 'Stopping',
  stopped: 'Stopped',
  error: 'Error',
};

/** How the workspace's files stand, in words a user acts on. */
export function syncLabel(sync: SyncStatus): string {
  switch (sync.state) {
    case 'synced':
      return 'All changes saved';
    case 'pending':
      return `${sync.pending} unsaved change${sync.pending === 1 ? '' : 's'}`;
    case 'syncing':
      return 'Saving…';
    case 'degraded':
      return `Saving fails, retrying${sync.reason ? `: ${sync.reason}` : ''}`;
    case 'restoring':
      return sync.restore?.total ? `Restoring files (${sync.restore.done ?? 0} of ${sync.restore.total})` : 'Restoring files';
    case 'starting':
      return 'Preparing files';
    case 'stored':
      return 'Files stored';
  }
}

type Action = 'app' | 'restart' | 'power' | 'rename' | 'fork' | 'delete' | 'always-on' | `port-${number}`;

/**
 * One repl of the account: what it is doing, and everything one can do with it. API calls are
 * made here; the list above hears of the outcome through `repl-updated`, `repl-added` (a fork)
 * and `repl-removed`.
 */
@customElement('repl-card')
export class ReplCard extends LitElement {
  static override styles = [sharedStyles, replCardStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @consume({ context: hostContext })
  host: 'browser' | 'desktop' | undefined;

  @property({ attribute: false }) repl!: Repl;

  /** The action in flight: its button shows it and the others wait. */
  @state() private busy: Action | undefined;
  @state() private error: string | undefined;
  @state() private renaming = false;
  @state() private confirming = false;
  /** The Secrets dialog is open (made only then: most cards never open it). */
  @state() private secretsOpen = false;
  @state() private copied: number | undefined;

  @query('input[name=name]') private nameInput?: HTMLInputElement;

  /** Drops the error of an earlier action (another action has since succeeded). */
  clearError(): void {
    this.error = undefined;
  }

  #emit(type: 'repl-updated' | 'repl-added', repl: Repl): void {
    this.dispatchEvent(new CustomEvent(type, { detail: repl, bubbles: true, composed: true }));
  }

  async #run(action: Action, work: () => Promise<void>): Promise<void> {
    this.busy = action;
    this.error = undefined;
    try {
      await work();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = undefined;
    }
  }

  #toggleApp(): Promise<void> {
    const { id } = this.repl;
    return this.#run('app', async () => {
      const app = this.repl.app.running ? await this.api.stopApp(id) : await this.api.startApp(id);
      this.#emit('repl-updated', { ...this.repl, app });
    });
  }

  /** Restart: the app with the code as it is now, in one step (what Run does in the IDE while it runs). */
  #restartApp(): Promise<void> {
    const { id } = this.repl;
    return this.#run('restart', async () => {
      this.#emit('repl-updated', { ...this.repl, app: await this.api.restartApp(id) });
    });
  }

  #togglePower(): Promise<void> {
    const { id } = this.repl;
    // A repl waiting in line is "stopped" too: Stop takes it out of the line.
    const stopping = this.repl.status === 'running' || !!this.repl.queue;
    return this.#run('power', async () => {
      try {
        this.#emit('repl-updated', stopping ? await this.api.stop(id) : await this.api.start(id));
      } catch (err) {
        // A full server is an answer, not a failure: the card shows the repl's place in line.
        if (!(err instanceof ApiError && err.code === 'SERVER_FULL')) throw err;
        this.#emit('repl-updated', await this.api.repl(id));
      }
    });
  }

  #setVisibility(port: number, visibility: Visibility): Promise<void> {
    return this.#run(`port-${port}`, async () => {
      const saved = await this.api.setVisibility(this.repl.id, port, visibility);
      const ports = this.repl.ports.map((p) => (p.port === saved.port ? { ...p, visibility: saved.visibility } : p));
      this.#emit('repl-updated', { ...this.repl, ports });
    });
  }

  /** Refused (409) when the account's always-on allowance is used up: the message says by which repls. */
  #setAlwaysOn(on: boolean, input: HTMLInputElement): Promise<void> {
    return this.#run('always-on', async () => {
      try {
        this.#emit('repl-updated', await this.api.setAlwaysOn(this.repl.id, on));
      } finally {
        input.checked = this.repl.alwaysOn;
      }
    });
  }

  #fork(): Promise<void> {
    return this.#run('fork', async () => this.#emit('repl-added', await this.api.fork(this.repl.id)));
  }

  async #rename(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const name = this.nameInput?.value.trim() ?? '';
    if (!name || name === this.repl.name) {
      this.renaming = false;
      return;
    }
    await this.#run('rename', async () => {
      this.#emit('repl-updated', await this.api.rename(this.repl.id, name));
      this.renaming = false;
    });
    if (!this.renaming) this.#focus('button.rename');
  }

  async #onConfirm(event: CustomEvent<{ confirmed: boolean }>): Promise<void> {
    this.confirming = false;
    if (!event.detail.confirmed) return this.#focus('button.delete');
    const { id } = this.repl;
    await this.#run('delete', async () => {
      await this.api.remove(id);
      this.dispatchEvent(new CustomEvent('repl-removed', { detail: { id }, bubbles: true, composed: true }));
    });
  }

  async #copy(port: number, url: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(url);
      this.copied = port;
      setTimeout(() => (this.copied = undefined), 1500);
    } catch {
      this.error = `Copy failed; the URL is ${url}`;
    }
  }

  #focus(selector: string): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(selector)?.focus());
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('renaming') && this.renaming) this.nameInput?.select();
  }

  #title() {
    const { repl } = this;
    if (this.renaming) {
      return html`<form class="rename-form" @submit=${(e: SubmitEvent) => void this.#rename(e)} @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && ((this.renaming = false), this.#focus('button.rename'))}>
        <input name="name" aria-label="New name for ${repl.name}" .value=${repl.name} required maxlength="64" ?disabled=${this.busy === 'rename'} />
        <button type="submit" class="primary" ?disabled=${this.busy === 'rename'}>Save</button>
        <button type="button" @click=${() => ((this.renaming = false), this.#focus('button.rename'))}>Cancel</button>
      </form>`;
    }
    return html`<h3 id="name">${repl.name}</h3>
      <button class="rename icon" aria-label="Rename ${repl.name}" title="Rename" ?disabled=${!!this.busy} @click=${() => (this.renaming = true)}>
        <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M11.5 2.5l2 2L6 12H4v-2z" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" /></svg>
      </button>`;
  }

  #ports() {
    const { repl } = this;
    const ports = repl.ports.length ? repl.ports : [{ port: repl.port, visibility: 'private' as const, url: repl.previewUrl }];
    return ports.map((p) => {
      const isPublic = p.visibility === 'public';
      // The owner opens a private preview through /open, which hands the browser a ticket.
      const href = isPublic ? p.url : `${ApiClient.openUrl(repl.id)}?port=${p.port}`;
      return html`<li class="port">
        <a class="url" href=${href} target="_blank" rel="noopener" aria-label="${p.url.replace(/^https?:\/\//, '')}: preview of ${repl.name} on port ${p.port}">${p.url.replace(/^https?:\/\//, '')}</a>
        <button class="copy small" aria-label="Copy preview URL of ${repl.name}, port ${p.port}" @click=${() => void this.#copy(p.port, p.url)}>${this.copied === p.port ? 'Copied' : 'Copy'}</button>
        <label class="switch">
          <input type="checkbox" role="switch" .checked=${isPublic} ?disabled=${this.busy === `port-${p.port}`} @change=${(e: Event) => void this.#setVisibility(p.port, (e.target as HTMLInputElement).checked ? 'public' : 'private')} aria-label="Public preview of ${repl.name} on port ${p.port}" />
          <span aria-hidden="true">${isPublic ? 'Public' : 'Private'}</span>
        </label>
      </li>`;
    });
  }

  override render() {
    const { repl, busy } = this;
    if (!repl) return nothing;
    const transitioning = repl.status === 'starting' || repl.status === 'stopping';
    const running = repl.status === 'running';
    const { queue, usage } = repl;
    const label = queue ? 'Waiting for room' : STATUS_LABELS[repl.status];
    return html`<article aria-labelledby="name">
      <header>
        <img class="icon" src="/stacks/${repl.stack}/icon.svg" alt="" width="32" height="32" />
        <div class="title">${this.#title()}</div>
        <span class="status ${repl.status}" role="status" aria-label="Status of ${repl.name}: ${label}${repl.step ? `, ${repl.step}` : ''}">
          ${transitioning ? html`<span class="spinner" aria-hidden="true"></span>` : html`<span class="dot" aria-hidden="true"></span>`}
          <span class="label">${label}</span>${repl.step ? html`<span class="step"> · ${repl.step}</span>` : nothing}
        </span>
      </header>
      <p class="meta muted">
        <span>${repl.stack}</span> · <span title=${repl.createdAt}>created ${new Date(repl.createdAt).toLocaleString()}</span>${repl.forkOf ? html` · <span>fork</span>` : nothing}
      </p>
      ${repl.status === 'error' && repl.error ? html`<p class="error repl-error">${repl.error}</p>` : nothing}
      ${queue
        ? html`<p class="queue" role="status">This server is full: this repl is <strong>#${queue.position}</strong> in line (of ${queue.of}) and starts by itself when room appears.</p>`
        : nothing}
      <dl>
        <div><dt>Files</dt><dd class="sync ${repl.sync.state}">${syncLabel(repl.sync)}</dd></div>
        <div><dt>App</dt><dd class="app">${repl.app.running ? html`<span class="ok">running</span>${repl.app.command ? html` <code>${repl.app.command}</code>` : nothing}` : repl.app.exitCode != null ? `exited (code ${repl.app.exitCode})` : 'not running'}</dd></div>
        ${running && usage
          ? html`<div class="usage"><dt>Uses</dt><dd><span class="memory" title="memory of all its processes">${formatBytes(usage.memoryBytes)}${repl.memoryLimitMb ? html` of <span class="memory-limit" title="its own memory limit, set by its class">${formatBytes(repl.memoryLimitMb * 1024 * 1024)}</span>` : nothing}</span> · <span class="cpu" title="CPU; 100 % is one core">CPU ${formatCpu(usage.cpuPercent)}</span></dd></div>`
          : nothing}
        <div class="ports"><dt>Preview</dt><dd><ul>${this.#ports()}</ul></dd></div>
        <div class="always-on"><dt>Always on</dt><dd>
          <label class="switch" title="Keeps the app running with nobody watching (restarted if it crashes); otherwise the repl stops after a while unused">
            <input type="checkbox" role="switch" .checked=${repl.alwaysOn} ?disabled=${busy === 'always-on'} @change=${(e: Event) => void this.#setAlwaysOn((e.target as HTMLInputElement).checked, e.target as HTMLInputElement)} aria-label="Keep ${repl.name} always on" />
            <span aria-hidden="true">${repl.alwaysOn ? 'On' : 'Off'}</span>
          </label>
        </dd></div>
      </dl>
      <div class="actions" role="group" aria-label="Actions for ${repl.name}">
        <a class="button primary open" href=${ApiClient.openUrl(repl.id)} target="_blank" rel="noopener" aria-label="Open IDE for ${repl.name}">Open IDE</a>
        ${this.host === 'desktop' ? nothing : html`<a class="button desktop" href=${ApiClient.desktopUrl(repl.id)} aria-label="Open in Codeyard Desktop: ${repl.name}" title="Opens this repl in the Codeyard Desktop app, if it is installed">Open in Codeyard Desktop</a>`}
        <button class="app-toggle" ?disabled=${!!busy || repl.status === 'stopping'} @click=${() => void this.#toggleApp()} aria-label="${repl.app.running ? 'Stop app of' : 'Run'} ${repl.name}">
          ${busy === 'app' ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}${repl.app.running ? 'Stop app' : 'Run'}
        </button>
        ${repl.app.running
          ? html`<button class="app-restart" ?disabled=${!!busy || repl.status === 'stopping'} @click=${() => void this.#restartApp()} aria-label="Restart app of ${repl.name}">
              ${busy === 'restart' ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}Restart
            </button>`
          : nothing}
        <button class="power" ?disabled=${!!busy || transitioning} @click=${() => void this.#togglePower()} aria-label="${running ? 'Stop repl' : queue ? 'Leave the line for' : 'Start repl'} ${repl.name}">
          ${busy === 'power' ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}${running ? 'Stop repl' : queue ? 'Leave line' : 'Start repl'}
        </button>
        <button class="fork" ?disabled=${!!busy} @click=${() => void this.#fork()} aria-label="Fork ${repl.name}">
          ${busy === 'fork' ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}Fork
        </button>
        <button class="secrets" @click=${() => (this.secretsOpen = true)} aria-label="Secrets of ${repl.name}" title="Environment variables kept out of the files">Secrets</button>
        <a class="button download" href=${ApiClient.archiveUrl(repl.id, 'tar.gz')} download aria-label="Download ${repl.name} as tar.gz">.tar.gz</a>
        <a class="button download" href=${ApiClient.archiveUrl(repl.id, 'zip')} download aria-label="Download ${repl.name} as zip">.zip</a>
        <button class="delete danger" ?disabled=${!!busy} @click=${() => (this.confirming = true)} aria-label="Delete ${repl.name}">
          ${busy === 'delete' ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}Delete
        </button>
      </div>
      <p class="error action-error" role="alert">${this.error ?? ''}</p>
      ${this.secretsOpen
        ? html`<repl-secrets .replId=${repl.id} .replName=${repl.name} open @secrets-close=${() => ((this.secretsOpen = false), this.#focus('button.secrets'))}></repl-secrets>`
        : nothing}
      <confirm-dialog .open=${this.confirming} heading="Delete ${repl.name}?" confirmLabel="Delete repl" @dialog-close=${(e: CustomEvent<{ confirmed: boolean }>) => void this.#onConfirm(e)}>
        <p>Its files and its running app go for good. Download it first to keep a copy.</p>
      </confirm-dialog>
    </article>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'repl-card': ReplCard;
  }
  interface HTMLElementEventMap {
    'repl-updated': ReplUpdatedEvent;
    'repl-added': ReplAddedEvent;
    'repl-removed': ReplRemovedEvent;
  }
}
