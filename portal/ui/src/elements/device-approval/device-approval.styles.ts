import { css } from 'lit';
import { surface } from '../../styles/shared.styles.js';

export const deviceApprovalStyles = css`
  :host {
    display: block;
  }
  .panel {
    ${surface}
    max-width: 34rem;
    margin: 1rem auto;
    padding: 1.25rem 1.4rem;
  }
  h1 {
    margin: 0 0 0.8rem;
    font-size: 1.3rem;
  }
  h2 {
    margin: 0 0 0.4rem;
    font-size: 1.1rem;
  }
  .lead {
    font-size: 1.05rem;
  }
  .code-line {
    display: flex;
    align-items: baseline;
    gap: 0.6rem;
  }
  .user-code {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    font-size: 1.6rem;
    letter-spacing: 0.12em;
    font-weight: 700;
  }
  .buttons,
  .row {
    display: flex;
    gap: 0.6rem;
    flex-wrap: wrap;
  }
  .buttons {
    justify-content: flex-end;
    margin-top: 1rem;
  }
  .code-form label {
    display: block;
    margin-bottom: 0.4rem;
  }
  .code-form input {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    letter-spacing: 0.08em;
    text-transform: uppercase;
  }
`;
