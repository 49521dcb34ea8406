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
    gap: 0.6rem;
    /* Each card as tall as its own text: a long description does not stretch its row's others. */
    align-items: start;
  }
  button.stack {
    width: 100%;
    display: grid;
    grid-template-columns: auto 1fr;
    grid-template-rows: auto auto;
    column-gap: 0.7rem;
    row-gap: 0.1rem;
    align-items: start;
    justify-content: stretch;
    text-align: left;
    white-space: normal;
    padding: 0.65rem 0.8rem;
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
  button.stack .description {
    font-size: 0.82rem;
    line-height: 1.35;
    color: var(--cy-muted);
  }
  button.stack[aria-busy='true'] {
    opacity: 1;
    border-color: var(--cy-accent);
  }
  .unavailable-stacks {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 0.3rem 0.9rem;
    margin-top: 0.6rem;
    font-size: 0.85rem;
  }
  .unavailable-stacks ul {
    ${bareList}
    display: contents;
  }
  li.unavailable {
    display: inline-flex;
    align-items: baseline;
    flex-wrap: wrap;
    gap: 0.35rem;
    color: var(--cy-muted);
  }
  li.unavailable img {
    align-self: center;
    filter: grayscale(1);
    opacity: 0.7;
  }
  li.unavailable summary {
    display: inline;
    cursor: pointer;
    color: var(--cy-link);
    text-decoration: underline;
    list-style: none;
  }
  li.unavailable summary::-webkit-details-marker {
    display: none;
  }
  li.unavailable details[open] {
    flex-basis: 100%;
  }
  li.unavailable .reason {
    margin: 0.3rem 0 0.2rem;
    padding: 0.45rem 0.65rem;
    max-width: 40rem;
    border-radius: 0.4rem;
    background: var(--cy-surface-2);
    color: var(--cy-text);
  }
  .placeholder {
    min-height: 4.2rem;
    border-radius: var(--cy-radius);
    background: var(--cy-surface-2);
    animation: pulse 1.4s ease-in-out infinite;
  }
  @keyframes pulse {
    50% {
      opacity: 0.5;
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
