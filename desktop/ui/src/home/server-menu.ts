import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { sharedStyles } from '../../../../portal/ui/src/styles/shared.styles.js';
import { bridge, type ServersState } from '../shared/bridge.js';

/** Strips Electron's "Error invoking remote method …:" from a main-process error. */
export function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^Error invoking remote method '[^']+': (\w*Error: )?/, '');
}

/**
 * The server bar of the home window: which server (one or more; the default is this machine's),
 * add or remove one, who is signed in and sign out, and the update-check preference.
 */
@customElement('server-menu')
export class ServerMenu extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        flex-wrap: wrap;
        font-size: 0.88rem;
      }
      select,
      input {
        font: inherit;
        min-height: 2.1rem;
        padding: 0.2rem 0.5rem;
        border: 1px solid var(--cy-border);
        border-radius: 0.45rem;
        background: var(--cy-surface);
        color: var(--cy-text);
      }
      form {
        display: flex;
        gap: 0.35rem;
      }
      .who {
        color: var(--cy-muted);
      }
      .warn {
        color: var(--cy-warn);
      }
      details {
        position: relative;
      }
      details > div {
        position: absolute;
        right: 0;
        z-index: 5;
        min-width: 18rem;
        padding: 0.75rem;
        display: grid;
        gap: 0.5rem;
        background: var(--cy-surface);
        border: 1px solid var(--cy-border);
        border-radius: var(--cy-radius);
      }
      summary {
        cursor: pointer;
        list-style: none;
      }
    `,
  ];

  @property({ attribute: false }) servers!: ServersState;
  @state() private adding = false;
  @state() private error: string | undefined;
  @state() private notice: string | undefined;

  async #do(work: () => Promise<unknown>): Promise<void> {
    this.error = undefined;
    try {
      await work();
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  async #add(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('url') as HTMLInputElement;
    await this.#do(async () => {
      await bridge().addServer(input.value);
      this.adding = false;
    });
  }

  async #signOut(url: string): Promise<void> {
    await this.#do(async () => (this.notice = (await bridge().signOut(url)).message));
  }

  override render() {
    const { current, servers, preferences } = this.servers;
    const server = servers.find((s) => s.url === current);
    return html`<label class="visually-hidden" for="server">Server</label>
      <select id="server" aria-label="Server" @change=${(e: Event) => void this.#do(() => bridge().selectServer((e.target as HTMLSelectElement).value))}>
        ${servers.map((s) => html`<option value=${s.url} ?selected=${s.url === current}>${new URL(s.url).host}${s.signedIn ? '' : ' (signed out)'}</option>`)}
      </select>
      ${this.adding
        ? html`<form @submit=${(e: SubmitEvent) => void this.#add(e)}>
            <input name="url" aria-label="Server address" placeholder="https://codeyard.example.com" required autofocus />
            <button type="submit" class="primary">Add</button>
            <button type="button" @click=${() => (this.adding = false)}>Cancel</button>
          </form>`
        : html`<button class="add-server" @click=${() => (this.adding = true)}>Add server</button>`}
      ${server?.signedIn
        ? html`<span class="who">${server.account?.email ?? server.account?.name ?? 'signed in'}</span>
            ${server.tokenKept === 'memory' ? html`<span class="warn" title="No secret store (keyring) protects saved sign-ins on this system: you sign in again at the next start">not saved</span>` : nothing}
            <button class="sign-out" @click=${() => void this.#signOut(server.url)}>Sign out</button>`
        : nothing}
      <details>
        <summary class="button" aria-label="Settings">⚙</summary>
        <div>
          <label><input type="checkbox" .checked=${preferences.checkForUpdates} @change=${(e: Event) => void this.#do(() => bridge().setPreferences({ checkForUpdates: (e.target as HTMLInputElement).checked }))} /> Check for updates</label>
          ${current && servers.length > 1 ? html`<button class="danger" @click=${() => void this.#do(() => bridge().removeServer(current))}>Remove ${new URL(current).host}</button>` : nothing}
        </div>
      </details>
      ${this.error ? html`<span class="error" role="alert">${this.error}</span>` : nothing}
      ${this.notice ? html`<span class="muted notice" role="status">${this.notice}</span>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'server-menu': ServerMenu;
  }
}
