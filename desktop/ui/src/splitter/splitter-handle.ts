import { css, html, LitElement } from 'lit';
import { customElement } from 'lit/decorators.js';
import { bridge } from '../shared/bridge.js';

/**
 * The handle between VS Code and the preview (its own thin view): a drag moves the boundary, the
 * main process clamps it (window-layout.ts) and lays the views out again. Arrow keys move it by
 * 24 px for keyboard users.
 */
@customElement('splitter-handle')
export class SplitterHandle extends LitElement {
  static override styles = css`
    :host {
      display: block;
      height: 100vh;
      cursor: col-resize;
      background: var(--cy-border);
    }
    :host(:hover),
    :host(:focus-visible) {
      background: var(--cy-accent);
      outline: none;
    }
  `;

  #lastX: number | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.tabIndex = 0;
    this.setAttribute('role', 'separator');
    this.setAttribute('aria-orientation', 'vertical');
    this.setAttribute('aria-label', 'Resize the preview');
    this.addEventListener('pointerdown', (e) => {
      this.setPointerCapture(e.pointerId);
      this.#lastX = e.screenX;
    });
    this.addEventListener('pointermove', (e) => {
      if (this.#lastX === undefined) return;
      const dx = e.screenX - this.#lastX;
      this.#lastX = e.screenX;
      if (dx) void bridge().dragSplitter(dx);
    });
    const end = () => (this.#lastX = undefined);
    this.addEventListener('pointerup', end);
    this.addEventListener('pointercancel', end);
    this.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowLeft') void bridge().dragSplitter(-24);
      if (e.key === 'ArrowRight') void bridge().dragSplitter(24);
    });
  }

  override render() {
    return html``;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'splitter-handle': SplitterHandle;
  }
}
