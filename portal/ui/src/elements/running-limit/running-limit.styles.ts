import { css } from 'lit';
import { bareList } from '../../styles/shared.styles.js';

export const runningLimitStyles = css`
  :host {
    display: block;
    margin: 0 0 0.75rem;
  }
  .offer {
    padding: 0.65rem 0.85rem;
    border: 1px solid color-mix(in srgb, var(--cy-warn) 55%, transparent);
    border-radius: var(--cy-radius);
    background: color-mix(in srgb, var(--cy-warn) 8%, var(--cy-surface));
  }
  p {
    margin: 0 0 0.5rem;
    font-size: 0.9rem;
  }
  ul {
    ${bareList}
    display: flex;
    flex-wrap: wrap;
    gap: 0.45rem;
  }
  button {
    white-space: normal;
    text-align: left;
  }
`;
