import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StudentRow } from '../../api/types.js';
import { classStyles } from '../../classes/class.styles.js';
import { copyText, downloadText, linksCsv, studentLabel } from '../../classes/class-text.js';
import { sharedStyles } from '../../styles/shared.styles.js';

/**
 * Join links as the answer that made them carries them: shown this once (the server keeps only a
 * hash), each with a copy button, and all of them as CSV (to the clipboard, or as a file) for
 * a mail merge. The class code, when there is one, for students who have an account already.
 */
@customElement('class-links')
export class ClassLinks extends LitElement {
  static override styles = [sharedStyles, classStyles];

  @property() classId = '';
  @property({ attribute: false }) rows: readonly StudentRow[] = [];
  @property() code: string | null = null;

  /** The row whose link was copied last ('all' for the CSV). */
  @state() private copied: string | undefined;

  async #copy(key: string, text: string, input?: HTMLInputElement): Promise<void> {
    if (await copyText(text)) this.copied = key;
    else input?.select();
  }

  override render() {
    const withLinks = this.rows.filter((r) => r.link);
    if (!withLinks.length) return nothing;
    const csv = linksCsv(withLinks);
    return html`<p>
        Send each student their own link: it signs them up or in and opens their repl. <strong>These links are shown only now</strong>; a lost one can be
        reissued from the class page (the old one then stops working).
      </p>
      ${this.code ? html`<p>Students with an account may also join with the class code <code class="code">${this.code}</code>.</p>` : nothing}
      <div class="row">
        <button type="button" class="copy-all" @click=${() => void this.#copy('all', csv)}>${this.copied === 'all' ? 'Copied all' : 'Copy all as CSV'}</button>
        <button type="button" class="download" @click=${() => downloadText(`class-${this.classId}-links.csv`, csv)}>Download CSV</button>
      </div>
      <div class="scroll">
        <table class="links">
          <thead><tr><th>student</th><th>email</th><th>link</th><th><span class="visually-hidden">copy</span></th></tr></thead>
          <tbody>
            ${withLinks.map(
              (r) => html`<tr data-student=${r.id}>
                <td>${studentLabel(r)}</td>
                <td>${r.email ?? html`<span class="muted">–</span>`}</td>
                <td><input class="link" readonly .value=${r.link!} aria-label=${`Join link of ${r.name}`} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} /></td>
                <td>
                  <button type="button" class="copy" aria-label=${`Copy the join link of ${r.name}`} @click=${(e: Event) => void this.#copy(r.id, r.link!, (e.target as HTMLElement).closest('tr')?.querySelector('input') ?? undefined)}>
                    ${this.copied === r.id ? 'Copied' : 'Copy'}
                  </button>
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'class-links': ClassLinks;
  }
}
