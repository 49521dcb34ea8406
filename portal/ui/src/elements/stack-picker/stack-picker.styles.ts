import { css } from 'lit';
import { bareList } from '../../styles/shared.styles.js';

export const stackPickerStyles = css`
  :host {
    display: block;
  }
  ul.stacks {
    ${bareList}
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr));
    gap: 0.75rem;
  }
  button.stack {
    width: 100%;
    height: 100%;
    min-height: 6.5rem;
    display: grid;
    grid-template-columns: auto 1fr;
    grid-template-rows: auto 1fr;
    column-gap: 0.75rem;
    row-gap: 0.2rem;
    align-items: start;
    justify-content: stretch;
    text-align: left;
    white-space: normal;
    padding: 0.85rem;
    border-radius: var(--cy-radius);
    background: var(--cy-surface);
    box-shadow: var(--cy-shadow);
  }
  button.stack img {
    grid-row: span 2;
  }
  button.stack .name {
    font-weight: 600;
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
  }
  button.stack .description,
  button.stack .reason {
    font-size: 0.85rem;
    color: var(--cy-muted);
  }
  button.stack:disabled {
    cursor: not-allowed;
  }
  button.stack:disabled:not([aria-busy='true']) img {
    filter: grayscale(1);
  }
  button.stack[aria-busy='true'] {
    opacity: 1;
    border-color: var(--cy-accent);
  }
  button.stack .reason {
    color: var(--cy-warn);
  }
  .placeholder {
    min-height: 6.5rem;
    border-radius: var(--cy-radius);
    background: var(--cy-surface-2);
    animation: pulse 1.4s ease-in-out infinite;
  }
  @keyframes pulse {
    50% {
      opacity: 0.5;
    }
  }
  @media (max-width: 480px) {
    button.stack,
    .placeholder {
      min-height: 0;
    }
    .placeholder {
      height: 4.5rem;
    }
  }
  .create-error {
    margin: 0 0 0.75rem;
    padding: 0.6rem 0.8rem;
    border: 1px solid color-mix(in srgb, var(--cy-danger) 50%, transparent);
    border-radius: var(--cy-radius);
    background: color-mix(in srgb, var(--cy-danger) 8%, transparent);
  }
`;
