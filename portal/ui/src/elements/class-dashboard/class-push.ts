import { consume } from '@lit/context';
import { html, LitElement, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { ApiClient } from '../../api/api-client.js';
import { apiContext } from '../../api/contexts.js';
import { classStyles } from '../../classes/class.styles.js';
import { sharedStyles } from '../../styles/shared.styles.js';

/** The API's limit on a pushed file (1 MiB decoded). */
const MAX_BYTES = 1024 * 1024;

function base64Of(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/**
 * "Push a file to all": a path in the workspace and its content (typed, or a file of any kind,
 * sent as base64), written into every student's repl, running or stored. A native <dialog>;
 * answers `push-close` with what the server said.
 */
@customElement('class-push')
export class ClassPush extends LitElement {
  static override styles = [sharedStyles, classStyles];

  @consume({ context: apiContext })
  api!: ApiClient;

  @property() classId = '';
  @property({ type: Boolean }) open = false;

  @state() private error = '';
  @state() private busy = false;
  #file: File | undefined;

  @query('dialog') private dialog!: HTMLDialogElement;

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('open')) return;
    if (this.open && !this.dialog.open) {
      this.error = '';
      this.#file = undefined;
      this.dialog.showModal();
    }
    if (!this.open && this.dialog.open) this.dialog.close();
  }

  #close(result?: string): void {
    this.open = false;
    this.dispatchEvent(new CustomEvent('push-close', { detail: { result } }));
  }

  #pick(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.#file = input.files?.[0];
    const path = this.renderRoot.querySelector<HTMLInputElement>('input[name=path]');
    if (this.#file && path && !path.value) path.value = this.#file.name;
  }

  async #send(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const path = String(form.get('path') ?? '').trim();
    let body: { path: string; content: string; encoding?: 'utf8' | 'base64' };
    if (this.#file) {
      if (this.#file.size > MAX_BYTES) return void (this.error = `${this.#file.name} is larger than 1 MiB, the most a pushed file may have`);
      body = { path, content: base64Of(new Uint8Array(await this.#file.arrayBuffer())), encoding: 'base64' };
    } else body = { path, content: String(form.get('content') ?? '') };
    this.busy = true;
    this.error = '';
    try {
      const result = await this.api.pushFile(this.classId, body);
      const failed = result.failed.length ? ` Not written to ${result.failed.length} (${result.failed.map((f) => f.error).join('; ')}): push again later.` : '';
      this.#close(`${path} written to ${result.written} repl${result.written === 1 ? '' : 's'}.${failed}`);
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<dialog aria-labelledby="push-heading" @cancel=${(e: Event) => (e.preventDefault(), this.#close())}>
      <h2 id="push-heading">Push a file to every student</h2>
      <form class="stack" @submit=${(e: SubmitEvent) => void this.#send(e)}>
        <label>Path in the workspace <input name="path" required maxlength="900" placeholder="tests/check.test.js" autocomplete="off" /></label>
        <label>Content <textarea name="content" rows="8"></textarea></label>
        <label>or a file (sent as it is, up to 1 MiB) <input type="file" name="file" @change=${(e: Event) => this.#pick(e)} /></label>
        <p class="muted">A file of that name is replaced in every repl, running or not.</p>
        <p class="error" role="alert">${this.error}</p>
        <div class="buttons">
          <button type="button" @click=${() => this.#close()}>Cancel</button>
          <button class="primary" type="submit" ?disabled=${this.busy}>Push to all</button>
        </div>
      </form>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-push': ClassPush;
  }
}
