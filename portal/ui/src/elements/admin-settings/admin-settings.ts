import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { type AdminClient, adminContext, messageOf } from '../../api/admin-client.js';
import type { ServerSetting } from '../../api/types.js';
import { sharedStyles } from '../../styles/shared.styles.js';
import { adminPanelStyles } from '../admin-view/admin-view.styles.js';

/** A setting's value as text: strings as they are, everything else as compact JSON. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The settings in effect, read only: each row of the config table with its variables, their
 * documented defaults and meaning, and the value this server runs with (secrets redacted by the
 * server). Values that differ from an empty environment's are marked "set".
 */
@customElement('admin-settings')
export class AdminSettings extends LitElement {
  static override styles = [sharedStyles, adminPanelStyles];

  @consume({ context: adminContext })
  client!: AdminClient;

  readonly #settings = new Task(this, { task: () => this.client.settings(), args: () => [] });

  #row(s: ServerSetting) {
    return html`<tr data-key=${s.key}>
      <td>${s.variables.map((v, i) => html`${i ? html`<br />` : nothing}<code>${v.name}</code>`)}</td>
      <td class="value"><code>${describeValue(s.value)}</code> ${s.isDefault ? nothing : html`<span class="badge">set</span>`}</td>
      <td class="muted">${s.variables.map((v, i) => html`${i ? html`<br />` : nothing}${v.default.replaceAll('`', '')}`)}</td>
      <td class="muted">${s.variables.map((v, i) => html`${i ? html`<br />` : nothing}${v.help.replaceAll('`', '')}`)}</td>
    </tr>`;
  }

  override render() {
    return html`<section aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <p class="muted">What this server runs with, from its environment at start (read only: change them where Codeyard is started, then restart it). Secrets show as [redacted].</p>
      ${this.#settings.render({
        pending: () => html`<p class="muted" aria-busy="true">Loading…</p>`,
        complete: ({ settings }) =>
          html`<div class="scroll"><table>
            <thead><tr><th>variable</th><th>in effect</th><th>default</th><th>meaning</th></tr></thead>
            <tbody>${settings.map((s) => this.#row(s))}</tbody>
          </table></div>`,
        error: (err) => html`<p class="error" role="alert">${messageOf(err)}</p>`,
      })}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'admin-settings': AdminSettings;
  }
}
