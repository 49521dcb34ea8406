import { consume } from '@lit/context';
import { html, LitElement } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { signInViewStyles } from '../sign-in-view/sign-in-view.styles.js';

/**
 * The owner link's page (/auth/owner?code=…). The code leaves the address bar and history at
 * once, then goes to the portal in a same-origin POST: a link previewer that only fetches the
 * page does not use it up, and another site cannot make a browser use it.
 */
@customElement('owner-claim')
export class OwnerClaim extends LitElement {
  static override styles = [sharedStyles, signInViewStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    const code = new URLSearchParams(window.location.search).get('code');
    history.replaceState(null, '', '/auth/owner');
    if (!code) {
      this.error = 'This link has no code: open the whole link the terminal printed (…/auth/owner?code=…).';
      return;
    }
    this.api.claimOwner(code).then(
      () => window.location.assign('/'),
      (err: unknown) => (this.error = err instanceof Error ? err.message : String(err)),
    );
  }

  override render() {
    return html`<section class="card" aria-labelledby="title" aria-busy=${this.error ? 'false' : 'true'}>
      <h1 id="title">Owner sign-in</h1>
      ${this.error
        ? html`<p class="error" role="alert">${this.error}</p>
            <p class="switch muted"><a href="/signin">Go to the sign-in page</a></p>`
        : html`<p class="intro muted"><span class="spinner" aria-hidden="true"></span> Signing you in as the owner…</p>`}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'owner-claim': OwnerClaim;
  }
}
