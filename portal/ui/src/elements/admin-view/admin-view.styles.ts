import { css } from 'lit';
import { surface } from '../../styles/shared.styles.js';

export const adminViewStyles = css`
  :host {
    display: block;
  }
  section {
    ${surface}
    padding: 0.9rem 1rem;
    margin-bottom: 1rem;
  }
  h2 {
    margin: 0 0 0.6rem;
    font-size: 1.1rem;
  }
  .meter {
    width: 100%;
    height: 0.8rem;
    margin: 0.4rem 0;
    accent-color: var(--cy-accent);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: left;
    padding: 0.3rem 0.4rem;
    border-bottom: 1px solid var(--cy-border);
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  code {
    font-size: 0.85rem;
  }
`;
