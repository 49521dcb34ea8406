import { css } from 'lit';

export const invitePanelStyles = css`
  dialog {
    width: min(30rem, calc(100vw - 2rem));
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
