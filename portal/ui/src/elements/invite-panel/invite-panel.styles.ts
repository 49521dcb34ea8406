import { css } from 'lit';

export const invitePanelStyles = css`
  dialog {
    width: min(30rem, calc(100vw - 2rem));
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
  p {
    margin: 0 0 0.8rem;
    font-size: 0.9rem;
  }
  form {
    display: grid;
    gap: 0.75rem;
  }
  label {
    display: grid;
    gap: 0.3rem;
    font-size: 0.88rem;
    font-weight: 600;
  }
  .link {
    display: flex;
    gap: 0.4rem;
  }
  .link input {
    flex: 1;
    min-width: 0;
  }
  .buttons {
    display: flex;
    justify-content: flex-end;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
`;
