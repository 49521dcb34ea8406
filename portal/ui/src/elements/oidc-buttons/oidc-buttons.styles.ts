import { css } from 'lit';
import { bareList } from '../../styles/shared.styles.js';

export const oidcButtonsStyles = css`
  :host {
    display: block;
  }
  ul {
    ${bareList}
    display: grid;
    gap: 0.5rem;
  }
  .provider {
    width: 100%;
  }
  .error {
    color: var(--cy-danger, #b42318);
    margin: 0 0 0.75rem;
  }
  .notice {
    margin: 0 0 0.75rem;
  }
`;
