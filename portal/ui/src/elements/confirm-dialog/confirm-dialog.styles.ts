import { css } from 'lit';

export const confirmDialogStyles = css`
  dialog {
    max-width: min(28rem, calc(100vw - 2rem));
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
    margin: 0 0 0.5rem;
    font-size: 1.1rem;
  }
  .buttons {
    display: flex;
    justify-content: flex-end;
    gap: 0.5rem;
    margin-top: 1rem;
    flex-wrap: wrap;
  }
  .confirm {
    background: var(--cy-danger);
    border-color: var(--cy-danger);
    color: #fff;
  }
`;
