import { css } from 'lit';
import { dataTable, surface } from '../styles/shared.styles.js';

/** What the class pages share: panels, tables, toolbars, status badges, dialogs. */
export const classStyles = css`
  :host {
    display: block;
  }
  section.panel {
    ${surface}
    padding: 0.9rem 1rem;
    margin-bottom: 1rem;
  }
  h1 {
    margin: 0 0 0.4rem;
  }
  h2 {
    margin: 0 0 0.6rem;
    font-size: 1.1rem;
  }
  .head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 1rem;
    margin-bottom: 0.8rem;
  }
  .head .spacer {
    flex: 1;
  }
  ${dataTable}
  th {
    font-weight: 600;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: end;
    margin-bottom: 0.8rem;
  }
  .toolbar label {
    display: flex;
    flex-direction: column;
    gap: 0.2rem;
    font-size: 0.85rem;
  }
  .badge {
    display: inline-block;
    padding: 0 0.5rem;
    border-radius: 999px;
    font-size: 0.8rem;
    border: 1px solid currentColor;
    white-space: nowrap;
  }
  .badge.running,
  .badge.pass {
    color: var(--cy-ok);
  }
  .badge.starting,
  .badge.stopping,
  .badge.queued,
  .badge.late {
    color: var(--cy-warn);
  }
  .badge.error,
  .badge.fail {
    color: var(--cy-danger);
  }
  .badge.stopped,
  .badge.none {
    color: var(--cy-muted);
  }
  .notice {
    color: var(--cy-ok);
  }
  form.stack {
    display: grid;
    gap: 0.7rem;
    max-width: 44rem;
  }
  form.stack label {
    display: grid;
    gap: 0.25rem;
    font-size: 0.9rem;
  }
  form.stack label.check {
    display: flex;
    align-items: center;
    gap: 0.4rem;
  }
  p.hint {
    margin: 0;
    font-size: 0.85rem;
  }
  textarea {
    font: 0.85rem/1.4 ui-monospace, monospace;
    min-height: 7rem;
    padding: 0.4rem 0.6rem;
    border-radius: 0.45rem;
    border: 1px solid var(--cy-border);
    background: var(--cy-surface);
    color: var(--cy-text);
  }
  fieldset {
    border: 1px solid var(--cy-border);
    border-radius: 0.45rem;
    padding: 0.5rem 0.8rem 0.7rem;
    display: grid;
    gap: 0.4rem;
  }
  legend {
    font-size: 0.9rem;
    padding: 0 0.3rem;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    justify-content: flex-end;
  }
  dialog {
    ${surface}
    color: var(--cy-text);
    max-width: min(40rem, calc(100vw - 2rem));
    width: 100%;
    padding: 1rem 1.2rem;
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  section.danger-zone {
    border-color: color-mix(in srgb, var(--cy-danger) 50%, transparent);
  }
  input.link {
    width: 100%;
    font-size: 0.8rem;
  }
  code {
    font-size: 0.85rem;
    overflow-wrap: anywhere;
  }
  pre.output {
    max-height: 16rem;
    overflow: auto;
    background: var(--cy-surface-2);
    padding: 0.5rem;
    border-radius: 0.45rem;
    font-size: 0.8rem;
    white-space: pre-wrap;
  }
  a {
    color: var(--cy-accent);
  }
`;

/** The student's list of classes and the dashboard's extras. */
export const classListStyles = css`
  ul.classes,
  ol.submissions,
  ul.outputs {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  li.class + li.class {
    border-top: 1px solid var(--cy-border);
    margin-top: 0.6rem;
    padding-top: 0.6rem;
  }
  h3 {
    margin: 0;
    font-size: 1rem;
  }
  ol.submissions li {
    padding: 0.15rem 0;
    font-size: 0.9rem;
  }
  .crumbs {
    margin: 0;
  }
  .new-link {
    margin-bottom: 0.8rem;
  }
`;
