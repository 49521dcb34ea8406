import { css } from 'lit';
import { surface } from '../../styles/shared.styles.js';

/** The sign-in, sign-up and owner pages: one card in the middle of the page. */
export const signInViewStyles = css`
  :host {
    display: block;
  }
  .card {
    ${surface}
    max-width: 26rem;
    margin: 3rem auto 0;
    padding: 1.5rem;
  }
  h1 {
    margin: 0 0 0.4rem;
    font-size: 1.35rem;
  }
  .intro {
    margin: 0 0 1.1rem;
    font-size: 0.92rem;
  }
  form {
    display: grid;
    gap: 0.85rem;
  }
  label {
    display: grid;
    gap: 0.3rem;
    font-size: 0.88rem;
    font-weight: 600;
  }
  input {
    width: 100%;
  }
  input[readonly] {
    background: var(--cy-surface-2);
  }
  button[type='submit'] {
    width: 100%;
    min-height: 2.5rem;
  }
  .error {
    margin: 0;
    font-size: 0.9rem;
  }
  .switch {
    margin: 1.1rem 0 0;
    font-size: 0.88rem;
    text-align: center;
  }
  a {
    color: var(--cy-accent);
  }
  .providers {
    margin-top: 1.1rem;
  }
  /* "or" between the password form and the provider buttons, on a rule. */
  .or {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    margin: 0 0 0.85rem;
    font-size: 0.85rem;
  }
  .or::before,
  .or::after {
    content: '';
    flex: 1;
    border-top: 1px solid var(--cy-border);
  }
  @media (max-width: 480px) {
    .card {
      margin-top: 1rem;
      padding: 1.1rem;
    }
  }
`;
