import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { sharedStyles, surface } from '../../../../portal/ui/src/styles/shared.styles.js';
import { bridge, type SignInProgress } from '../shared/bridge.js';

/**
 * Signing in to the current server: the device flow opens the server's approval page in the
 * system browser (where the user is signed in already) and this panel shows the code to compare
 * there. A server without device sign-in (older than accounts) may run in anonymous mode: the
 * panel then offers to continue as a guest.
 */
@customElement('sign-in-panel')
export class SignInPanel extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      section {
        ${surface};
        max-width: 34rem;
        margin: 2rem auto;
        padding: 1.5rem;
        display: grid;
        gap: 0.8rem;
      }
      h2 {
        margin: 0;
        font-size: 1.2rem;
      }
      p {
        margin: 0;
      }
      .code {
        font: 600 1.6rem ui-monospace, monospace;
        letter-spacing: 0.12em;
        padding: 0.5rem 0.8rem;
        border: 1px dashed var(--cy-border);
        border-radius: 0.45rem;
        justify-self: start;
      }
      .actions {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
    `,
  ];

  @property() server = '';
  @property({ attribute: false }) progress: SignInProgress | undefined;
  @state() private error: string | undefined;

  async #guest(): Promise<void> {
    this.error = undefined;
    try {
      await bridge().signInAsGuest(this.server);
    } catch (err) {
      this.error = err instanceof Error ? err.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '') : String(err);
    }
  }

  override render() {
    const p = this.progress?.server === this.server ? this.progress : undefined;
    const host = this.server ? new URL(this.server).host : '';
    return html`<section aria-labelledby="signin-heading">
      <h2 id="signin-heading">Sign in to ${host}</h2>
      ${p?.state === 'waiting'
        ? html`<p>Your browser opened ${new URL(p.verificationUri).host}/device. Check that it shows this code, then approve:</p>
            <p class="code" aria-label="Sign-in code">${p.userCode}</p>
            <p class="muted">Waiting for approval… The code is valid until ${new Date(p.expiresAt).toLocaleTimeString()}.</p>
            <div class="actions"><button @click=${() => void bridge().cancelSignIn(this.server)}>Cancel</button></div>`
        : html`<p class="muted">Codeyard Desktop signs in through your browser: you approve it there, and the app gets a token of its own, which you can revoke.</p>
            <div class="actions"><button class="primary signin" @click=${() => void bridge().signIn(this.server)}>Sign in with the browser</button></div>`}
      ${p?.state === 'failed'
        ? html`<p class="error" role="alert">${p.message}</p>
            ${p.guestPossible ? html`<div class="actions"><button class="guest" @click=${() => void this.#guest()}>Continue as a guest</button></div>` : nothing}`
        : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sign-in-panel': SignInPanel;
  }
}
