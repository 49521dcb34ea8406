import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { sharedStyles } from '../../../../portal/ui/src/styles/shared.styles.js';
import { bridge, type ConnectionState } from './bridge.js';

/**
 * "Reconnecting…": covers the page while the server cannot be reached, counts down to the next
 * try (the main process retries by itself: 1, 2, 5, 10, then every 30 s) and offers to try now.
 * It goes away on its own when the connection comes back.
 */
@customElement('offline-overlay')
export class OfflineOverlay extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        position: fixed;
        inset: 0;
        z-index: 10;
        display: grid;
        place-items: center;
        background: color-mix(in srgb, var(--cy-bg) 88%, transparent);
        backdrop-filter: blur(2px);
      }
      .box {
        max-width: 28rem;
        padding: 1.25rem 1.5rem;
        text-align: center;
        background: var(--cy-surface);
        border: 1px solid var(--cy-border);
        border-radius: var(--cy-radius);
      }
      h2 {
        margin: 0 0 0.5rem;
        font-size: 1.1rem;
      }
      p {
        margin: 0 0 0.9rem;
        color: var(--cy-muted);
        font-size: 0.9rem;
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property({ attribute: false }) connection: Extract<ConnectionState, { state: 'offline' }> | undefined;
  @state() private now = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#timer = setInterval(() => (this.now = Date.now()), 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
  }

  override render() {
    const c = this.connection;
    if (!c) return nothing;
    const seconds = Math.max(0, Math.ceil((Date.parse(c.retryAt) - this.now) / 1000));
    return html`<div class="box" role="alertdialog" aria-labelledby="offline-title" aria-describedby="offline-why">
      <h2 id="offline-title">Reconnecting to ${new URL(c.server).host}…</h2>
      <p id="offline-why">${c.reason}. ${seconds > 0 ? `Next try in ${seconds} s (try ${c.attempt}).` : 'Trying now…'}</p>
      <button class="primary" @click=${() => void bridge().reconnectNow()}>Try now</button>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'offline-overlay': OfflineOverlay;
  }
}
