import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import type { DeviceApproved, DeviceRequest } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { deviceApprovalStyles } from './device-approval.styles.js';

/** The code in this page's address (`/device?code=WDJB-MJHT`), as the device's link carries it. */
export function codeFromLocation(): string {
  return new URLSearchParams(window.location.search).get('code')?.trim() ?? '';
}

/**
 * The approval page of device sign-in (/device): the code the CLI or the desktop app shows, which
 * program asks and from where, then Approve or Deny. This browser's own session answers it (the
 * API takes no token for this); the device's next poll gets its token, or the refusal.
 */
@customElement('device-approval')
export class DeviceApproval extends LitElement {
  static override styles = [sharedStyles, deviceApprovalStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  /** The code being looked at ('' asks the user to type one). */
  @state() private code = codeFromLocation();
  @state() private answering = false;
  @state() private answerError: string | undefined;
  @state() private answered: DeviceApproved | undefined;

  readonly #request = new Task(this, {
    task: async ([code]): Promise<DeviceRequest | undefined> => (code ? this.api.deviceRequest(code) : undefined),
    args: () => [this.code] as const,
  });

  #submitCode(event: SubmitEvent): void {
    event.preventDefault();
    const typed = new FormData(event.target as HTMLFormElement).get('code');
    this.code = typeof typed === 'string' ? typed.trim() : '';
    this.answerError = undefined;
    // The address follows, so a reload shows the same sign-in.
    history.replaceState(null, '', this.code ? `/device?code=${encodeURIComponent(this.code)}` : '/device');
  }

  async #answer(request: DeviceRequest, approve: boolean): Promise<void> {
    this.answering = true;
    this.answerError = undefined;
    try {
      this.answered = await this.api.answerDevice(request.userCode, approve);
    } catch (err) {
      this.answerError = err instanceof Error ? err.message : String(err);
    } finally {
      this.answering = false;
    }
  }

  #codeForm(message?: string) {
    return html`<form class="code-form" @submit=${(e: SubmitEvent) => this.#submitCode(e)}>
      ${message ? html`<p class="error" role="alert">${message}</p>` : nothing}
      <label for="code">Enter the code your device shows</label>
      <div class="row">
        <input id="code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="WDJB-MJHT" maxlength="16" required .value=${this.code} />
        <button class="primary" type="submit">Continue</button>
      </div>
    </form>`;
  }

  #done(answered: DeviceApproved) {
    return html`<div class="done" role="status">
      <h2>${answered.status === 'approved' ? html`Approved: ${answered.client} is signed in` : html`Denied: ${answered.client} was not signed in`}</h2>
      <p>You can close this tab.</p>
    </div>`;
  }

  #ask(request: DeviceRequest) {
    return html`<p class="lead"><strong class="client">${request.client}</strong> wants to sign in to your Codeyard account.</p>
      <p class="code-line">Code <output class="user-code" aria-label="Sign-in code">${request.userCode}</output></p>
      <p class="muted">Check that it is the code on your device. It will get an API token named <strong class="token-name">${request.name}</strong> (read and write, 90 days), which you can revoke under API tokens.</p>
      <p class="muted from">Asked from ${request.address} at ${new Date(request.createdAt).toLocaleTimeString()}; only approve a sign-in you started yourself, just now.</p>
      ${this.answerError ? html`<p class="error" role="alert">${this.answerError}</p>` : nothing}
      <div class="buttons">
        <button class="deny" ?disabled=${this.answering} @click=${() => void this.#answer(request, false)}>Deny</button>
        <button class="primary approve" ?disabled=${this.answering} @click=${() => void this.#answer(request, true)}>Approve</button>
      </div>`;
  }

  override render() {
    return html`<section class="panel" aria-labelledby="device-title">
      <h1 id="device-title">Sign in a device</h1>
      ${this.answered
        ? this.#done(this.answered)
        : this.#request.render({
            initial: () => this.#codeForm(),
            pending: () => html`<p class="muted" aria-busy="true">Looking up ${this.code}…</p>`,
            complete: (request) => (request ? this.#ask(request) : this.#codeForm()),
            error: (err) => this.#codeForm(err instanceof Error ? err.message : String(err)),
          })}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'device-approval': DeviceApproval;
  }
}
