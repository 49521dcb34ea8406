import { css } from 'lit';

/** The raised look of a card or panel, the same wherever one stands. */
export const surface = css`
  background: var(--cy-surface);
  border: 1px solid var(--cy-border);
  border-radius: var(--cy-radius);
  box-shadow: var(--cy-shadow);
`;

/** A list without bullets or indent (its items laid out by the element). */
export const bareList = css`
  list-style: none;
  margin: 0;
  padding: 0;
`;

/**
 * A modal <dialog> (confirm, invite, a repl's secrets): the surface, the dimmed page behind,
 * its heading. An element puts it in its styles and sets the dialog's width after it.
 */
export const modalDialog = css`
  dialog {
    border: 1px solid var(--cy-border);
    border-radius: var(--cy-radius);
    background: var(--cy-surface);
    color: var(--cy-text);
    padding: 1.25rem;
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  h2 {
    margin: 0 0 0.4rem;
    font-size: 1.1rem;
  }
`;

/**
 * A data table (the admin page's, the API tokens', a class's): full width, one rule under each
 * row, numbers right-aligned in tabular figures, a row's buttons kept on one line. An element
 * puts it in its styles and adds what differs after it.
 */
export const dataTable = css`
  .scroll {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: left;
    padding: 0.35rem 0.4rem;
    border-bottom: 1px solid var(--cy-border);
    vertical-align: middle;
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  td.actions {
    white-space: nowrap;
  }
  td.actions > * + * {
    margin-left: 0.35rem;
  }
`;

/** Controls and small helpers every element shares (shadow roots do not see the page's CSS). */
export const sharedStyles = css`
  :host {
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  h1,
  h2,
  h3 {
    line-height: 1.2;
  }
  button,
  .button {
    font: inherit;
    font-size: 0.9rem;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.35rem;
    min-height: 2.25rem;
    padding: 0.35rem 0.8rem;
    border-radius: 0.45rem;
    border: 1px solid var(--cy-border);
    background: var(--cy-surface-2);
    color: var(--cy-text);
    cursor: pointer;
    text-decoration: none;
    white-space: nowrap;
  }
  button:hover:not(:disabled),
  .button:hover {
    border-color: var(--cy-accent);
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  :focus-visible {
    outline: 2px solid var(--cy-accent);
    outline-offset: 2px;
  }
  .primary {
    background: var(--cy-primary-bg);
    border-color: var(--cy-primary-bg);
    color: var(--cy-accent-text);
  }
  .danger {
    background: transparent;
    color: var(--cy-danger);
    border-color: color-mix(in srgb, var(--cy-danger) 60%, transparent);
  }
  input,
  select {
    font: inherit;
    font-size: 0.9rem;
    min-height: 2.25rem;
    padding: 0.3rem 0.6rem;
    border-radius: 0.45rem;
    border: 1px solid var(--cy-border);
    background: var(--cy-surface);
    color: var(--cy-text);
  }
  .muted {
    color: var(--cy-muted);
  }
  .error {
    color: var(--cy-danger);
  }
  .error:empty {
    display: none;
  }
  .spinner {
    width: 1em;
    height: 1em;
    flex: none;
    border: 2px solid color-mix(in srgb, var(--cy-accent) 30%, transparent);
    border-top-color: var(--cy-accent);
    border-radius: 50%;
    display: inline-block;
    animation: spin 0.9s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation-duration: 3s;
    }
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
