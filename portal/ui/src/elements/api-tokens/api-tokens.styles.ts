import { css } from 'lit';
import { dataTable, surface } from '../../styles/shared.styles.js';

export const apiTokensStyles = css`
  :host {
    display: block;
  }
  h2 {
    margin: 0 0 0.25rem;
    font-size: 1.15rem;
  }
  .intro {
    margin: 0 0 0.9rem;
    font-size: 0.9rem;
  }
  form.create {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 0.6rem;
    margin-bottom: 0.8rem;
  }
  form.create label {
    display: grid;
    gap: 0.2rem;
    font-size: 0.85rem;
  }
  .new-token {
    ${surface}
    padding: 0.8rem 1rem;
    margin-bottom: 0.8rem;
    border-color: var(--cy-ok);
  }
  .new-token p {
    margin: 0 0 0.5rem;
  }
  .row {
    display: flex;
    gap: 0.5rem;
  }
  .row input {
    flex: 1;
    min-width: 0;
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    font-size: 0.85rem;
  }
  ${dataTable}
  td.actions {
    text-align: right;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
  }
  @media (max-width: 640px) {
    table {
      display: block;
      overflow-x: auto;
    }
  }
`;
