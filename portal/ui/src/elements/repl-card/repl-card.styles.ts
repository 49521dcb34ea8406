import { css } from 'lit';
import { bareList, surface } from '../../styles/shared.styles.js';

export const replCardStyles = css`
  :host {
    display: block;
  }
  article {
    ${surface}
    padding: 0.9rem 1rem;
  }
  header {
    display: flex;
    align-items: center;
    gap: 0.7rem;
    flex-wrap: wrap;
  }
  .title {
    display: flex;
    align-items: center;
    gap: 0.35rem;
    flex: 1 1 12rem;
    min-width: 0;
  }
  h3 {
    margin: 0;
    font-size: 1.05rem;
    overflow-wrap: anywhere;
  }
  button.icon {
    min-height: 1.9rem;
    padding: 0.2rem 0.4rem;
    background: transparent;
    border-color: transparent;
  }
  button.icon svg {
    width: 1rem;
    height: 1rem;
  }
  .rename-form {
    display: flex;
    gap: 0.4rem;
    flex-wrap: wrap;
    width: 100%;
  }
  .rename-form input {
    flex: 1 1 10rem;
    min-width: 0;
  }
  .status {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    font-size: 0.85rem;
    padding: 0.15rem 0.6rem;
    border-radius: 999px;
    background: var(--cy-surface-2);
    max-width: 100%;
  }
  .status .dot {
    width: 0.55rem;
    height: 0.55rem;
    border-radius: 50%;
    background: var(--cy-muted);
  }
  .status.running .dot {
    background: var(--cy-ok);
  }
  .status.error .dot {
    background: var(--cy-danger);
  }
  .status.running .label {
    color: var(--cy-ok);
  }
  .status.error .label {
    color: var(--cy-danger);
  }
  .status .step {
    color: var(--cy-muted);
    overflow-wrap: anywhere;
  }
  .meta {
    margin: 0.3rem 0 0.5rem;
    font-size: 0.8rem;
  }
  dl {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
    gap: 0.4rem 1rem;
    margin: 0 0 0.75rem;
    font-size: 0.875rem;
  }
  dl > div.ports {
    grid-column: 1 / -1;
  }
  dt {
    color: var(--cy-muted);
    font-size: 0.75rem;
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  dd.sync.degraded {
    color: var(--cy-warn);
  }
  .ok {
    color: var(--cy-ok);
  }
  code {
    font-size: 0.8rem;
    background: var(--cy-surface-2);
    padding: 0.05rem 0.3rem;
    border-radius: 0.25rem;
  }
  dd ul {
    ${bareList}
  }
  li.port {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
  li.port a.url {
    color: var(--cy-accent);
    overflow-wrap: anywhere;
    min-width: 0;
  }
  button.small {
    min-height: 1.8rem;
    padding: 0.1rem 0.55rem;
    font-size: 0.8rem;
  }
  label.switch {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    font-size: 0.8rem;
    cursor: pointer;
  }
  label.switch input {
    min-height: auto;
    width: 1rem;
    height: 1rem;
    accent-color: var(--cy-accent);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.45rem;
  }
  .repl-error,
  .action-error {
    margin: 0.5rem 0 0;
    font-size: 0.875rem;
  }
  @media (max-width: 480px) {
    .actions > * {
      flex: 1 1 calc(50% - 0.45rem);
    }
  }
  .queue {
    margin: 0.5rem 0 0;
    padding: 0.4rem 0.6rem;
    border-radius: 0.4rem;
    background: var(--cy-surface-2);
    font-size: 0.9rem;
  }
`;
