import { css, html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { sharedStyles } from '../../../../portal/ui/src/styles/shared.styles.js';
import type { ToolbarAction } from '../../../src/shared/ipc-channels.js';
import { bridge, type ConnectionState, type ToolbarState } from '../shared/bridge.js';
import '../shared/offline-overlay.js';

/**
 * The repl window's toolbar: Run/Stop (in step with Run pressed anywhere: the state comes from
 * the portal's event stream through the main process), the app's state, and the preview's
 * actions. The Repl menu offers the same. While the server is unreachable the main process
 * stretches this view over the window and it shows the offline overlay.
 */
@customElement('repl-toolbar')
export class ReplToolbar extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        height: 40px;
        padding: 0 0.6rem;
        background: var(--cy-surface);
        border-bottom: 1px solid var(--cy-border);
        font-size: 0.85rem;
        overflow: hidden;
      }
      button {
        min-height: 1.8rem;
        padding: 0.15rem 0.7rem;
        font-size: 0.82rem;
      }
      .name {
        font-weight: 650;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
        max-width: 16rem;
      }
      .dot {
        width: 0.55rem;
        height: 0.55rem;
        border-radius: 50%;
        background: var(--cy-muted);
        flex: none;
      }
      .dot.on {
        background: var(--cy-ok);
      }
      button.run {
        background: var(--cy-ok);
        border-color: var(--cy-ok);
        color: #fff;
      }
      button.stop {
        background: var(--cy-danger);
        border-color: var(--cy-danger);
        color: #fff;
      }
      .app {
        color: var(--cy-muted);
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .spacer {
        flex: 1;
      }
      .error {
        color: var(--cy-danger);
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
        max-width: 20rem;
      }
    `,
  ];

  @state() private state: ToolbarState | undefined;
  @state() private connection: ConnectionState = { state: 'online' };
  @state() private copied = false;
  #off: Array<() => void> = [];

  override connectedCallback(): void {
    super.connectedCallback();
    this.#off = [bridge().on('push:toolbar', (s) => (this.state = s as ToolbarState)), bridge().on('push:connection', (c) => (this.connection = c as ConnectionState))];
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.#off) off();
  }

  #act(action: ToolbarAction): void {
    void bridge().toolbarAction(action);
    if (action === 'copy-preview-url') {
      this.copied = true;
      setTimeout(() => (this.copied = false), 1500);
    }
  }

  override render() {
    if (this.connection.state === 'offline') return html`<offline-overlay .connection=${this.connection}></offline-overlay>`;
    if (this.connection.state === 'signed-out') return html`<span class="error" role="alert">Signed out: ${this.connection.message}. Sign in again from the Codeyard window.</span>`;
    const s = this.state;
    if (!s) return html`<span class="app">Opening…</span>`;
    const p = s.preview;
    return html`<span class="dot ${s.app.running ? 'on' : ''}" aria-hidden="true"></span>
      <span class="name" title=${s.name}>${s.name}</span>
      <button class="${s.run.action === 'run' ? 'run' : 'stop'}" ?disabled=${!s.run.enabled} @click=${() => this.#act(s.run.action)} aria-label="${s.run.action === 'run' ? 'Run' : 'Stop'} the app of ${s.name}">${s.busy ? '…' : s.run.label}</button>
      <span class="app" role="status" aria-live="polite" title=${s.app.label}>${s.status === 'running' ? s.app.label : s.statusLabel}</span>
      ${s.error ? html`<span class="error" role="alert" title=${s.error}>${s.error}</span>` : nothing}
      <span class="spacer"></span>
      <button class="preview" ?disabled=${!p.enabled && !p.open} @click=${() => this.#act(p.open ? 'close-preview' : 'open-preview')}>${p.open ? 'Close Preview' : 'Open Preview'}</button>
      <button class="detach" ?disabled=${!p.open} @click=${() => this.#act('detach-preview')}>${p.detached ? 'Attach' : 'Detach'}</button>
      <button class="browser" ?disabled=${!p.url} @click=${() => this.#act('open-in-browser')}>Open in Browser</button>
      <button class="copy" ?disabled=${!p.url} @click=${() => this.#act('copy-preview-url')} aria-label="Copy preview URL">${this.copied ? 'Copied' : 'Copy URL'}</button>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'repl-toolbar': ReplToolbar;
  }
}
