import { css } from 'lit';

export const confirmDialogStyles = css`
  dialog {
    max-width: min(28rem, calc(100vw - 2rem));
  }
  h2 {
    margin-bottom: 0.5rem;
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
