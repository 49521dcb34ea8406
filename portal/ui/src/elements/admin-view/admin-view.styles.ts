import { css } from 'lit';
import { dataTable, surface } from '../../styles/shared.styles.js';

/** What every admin panel shares: sections, tables, the toolbar of filters. */
export const adminPanelStyles = css`
  :host {
    display: block;
  }
  section {
    ${surface}
    padding: 0.9rem 1rem;
    margin-bottom: 1rem;
  }
  h2 {
    margin: 0 0 0.6rem;
    font-size: 1.1rem;
  }
  .meter {
    width: 100%;
    height: 0.8rem;
    margin: 0.4rem 0;
    accent-color: var(--cy-accent);
  }
  ${dataTable}
  th,
  td {
    vertical-align: top;
  }
  td.actions {
    text-align: right;
  }
  code {
    font-size: 0.85rem;
    overflow-wrap: anywhere;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 0.8rem;
    align-items: end;
    margin-bottom: 0.8rem;
  }
  .toolbar label {
    display: flex;
    flex-direction: column;
    gap: 0.2rem;
    font-size: 0.85rem;
  }
  .toolbar label.check {
    flex-direction: row;
    align-items: center;
    min-height: 2.25rem;
  }
  .badge {
    display: inline-block;
    padding: 0 0.45rem;
    border-radius: 999px;
    font-size: 0.8rem;
    border: 1px solid var(--cy-border);
  }
  .badge.off {
    color: var(--cy-danger);
    border-color: currentColor;
  }
  .more {
    margin-top: 0.7rem;
  }
  form.allowance,
  form.limits {
    display: flex;
    gap: 0.3rem;
    align-items: center;
  }
  form.allowance input,
  form.limits input {
    width: 4.5rem;
  }
  form.limits label {
    display: flex;
    flex-direction: column;
    font-size: 0.8em;
  }
`;

/** The shell: the heading and the tab strip. */
export const adminViewStyles = css`
  :host {
    display: block;
  }
  h1 {
    margin: 0 0 0.8rem;
  }
  [role='tablist'] {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem;
    border-bottom: 1px solid var(--cy-border);
    margin-bottom: 1rem;
  }
  [role='tab'] {
    border: 1px solid transparent;
    border-bottom: none;
    border-radius: 0.45rem 0.45rem 0 0;
    background: transparent;
    margin-bottom: -1px;
  }
  [role='tab'][aria-selected='true'] {
    background: var(--cy-surface);
    border-color: var(--cy-border);
    font-weight: 600;
  }
  .who {
    margin: -0.4rem 0 0.8rem;
  }
`;
