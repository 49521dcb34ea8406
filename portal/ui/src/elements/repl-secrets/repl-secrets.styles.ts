import { css } from 'lit';
import { bareList } from '../../styles/shared.styles.js';

export const replSecretsStyles = css`
  dialog {
    width: min(34rem, calc(100vw - 2rem));
    max-height: calc(100vh - 2rem);
  }
  h2 {
    overflow-wrap: anywhere;
  }
  h3 {
    margin: 0 0 0.5rem;
    font-size: 0.95rem;
  }
  p {
    margin: 0 0 0.8rem;
    font-size: 0.9rem;
  }
  .warn {
    padding: 0.4rem 0.6rem;
    border-radius: 0.4rem;
    border: 1px solid var(--cy-warn);
    background: color-mix(in srgb, var(--cy-warn) 12%, transparent);
  }
  .hint {
    margin: 0.4rem 0 0.6rem;
    font-size: 0.82rem;
    overflow-wrap: anywhere;
  }
  .notice {
    color: var(--cy-ok);
  }
  .notice:empty {
    display: none;
  }
  ul.secrets {
    ${bareList}
    margin-bottom: 1rem;
    border-top: 1px solid var(--cy-border);
  }
  ul.secrets li {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.3rem 0.6rem;
    padding: 0.4rem 0;
    border-bottom: 1px solid var(--cy-border);
    font-size: 0.9rem;
  }
  code.name {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    font-weight: 600;
    overflow-wrap: anywhere;
    min-width: 0;
  }
  .updated {
    font-size: 0.8rem;
    flex: 1 1 auto;
  }
  .row-actions {
    display: flex;
    gap: 0.35rem;
    margin-left: auto;
  }
  button.small {
    min-height: 1.8rem;
    padding: 0.1rem 0.55rem;
    font-size: 0.8rem;
  }
  form {
    border-top: 1px solid var(--cy-border);
    padding-top: 0.8rem;
  }
  .fields {
    display: grid;
    grid-template-columns: auto 1fr;
    align-items: center;
    gap: 0.5rem 0.75rem;
    margin-bottom: 0.6rem;
  }
  .fields > label {
    font-size: 0.88rem;
    font-weight: 600;
  }
  .fields input[name='name'] {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  }
  .fields input {
    min-width: 0;
  }
  .fields input[aria-invalid='true'] {
    border-color: var(--cy-danger);
  }
  .value {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-width: 0;
  }
  .value input {
    flex: 1;
  }
  label.show {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    font-size: 0.85rem;
    cursor: pointer;
  }
  label.show input {
    min-height: auto;
    width: 1rem;
    height: 1rem;
    accent-color: var(--cy-accent);
  }
  .buttons {
    display: flex;
    justify-content: flex-end;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
  @media (max-width: 480px) {
    .fields {
      grid-template-columns: 1fr;
    }
  }
`;
