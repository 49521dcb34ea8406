import { css } from 'lit';
import { bareList } from '../../styles/shared.styles.js';

export const replListStyles = css`
  :host {
    display: block;
  }
  .toolbar {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    flex-wrap: wrap;
    margin-bottom: 0.8rem;
  }
  h2 {
    margin: 0;
    font-size: 1.15rem;
    flex: 1 1 auto;
  }
  .count {
    font-weight: normal;
    font-size: 0.9rem;
  }
  .running {
    font-size: 0.85rem;
    white-space: nowrap;
  }
  .search {
    flex: 0 1 16rem;
    min-width: 8rem;
  }
  label.sort {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    font-size: 0.85rem;
    color: var(--cy-muted);
  }
  ul.repls {
    ${bareList}
    display: grid;
    gap: 0.75rem;
  }
  .loading {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  .empty {
    padding: 1.5rem;
    text-align: center;
    border: 1px dashed var(--cy-border);
    border-radius: var(--cy-radius);
  }
  @media (max-width: 480px) {
    .search {
      flex: 1 1 100%;
      order: 2;
    }
  }
`;
