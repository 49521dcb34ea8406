import { css } from 'lit';
import { bareList, surface } from '../../styles/shared.styles.js';

export const startingViewStyles = css`
  :host {
    display: block;
  }
  .starting {
    max-width: 32rem;
    margin: 2rem auto;
    padding: 1.5rem;
    ${surface}
  }
  h2 {
    margin: 0.75rem 0 1rem;
    font-size: 1.25rem;
    overflow-wrap: anywhere;
  }
  h2:focus {
    outline: none;
  }
  ol.steps {
    ${bareList}
    display: grid;
    gap: 0.45rem;
  }
  ol.steps li {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  li.done {
    color: var(--cy-muted);
  }
  li.done .mark {
    color: var(--cy-ok);
  }
  li.failed,
  li.failed .mark {
    color: var(--cy-danger);
  }
  .mark {
    width: 1em;
    text-align: center;
  }
  .failure {
    margin-top: 1rem;
  }
  .buttons {
    display: flex;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
`;
