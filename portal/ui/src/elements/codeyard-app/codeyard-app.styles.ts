import { css } from 'lit';

export const codeyardAppStyles = css`
  :host {
    display: block;
    min-height: 100vh;
  }
  header.top {
    display: flex;
    align-items: center;
    justify-content: space-between;
    padding: 0.75rem 1.25rem;
    border-bottom: 1px solid var(--cy-border);
    background: var(--cy-surface);
  }
  .brand {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    color: inherit;
    text-decoration: none;
    font-weight: 700;
    font-size: 1.1rem;
  }
  .admin-link,
  .classes-link {
    color: inherit;
    font-size: 0.9rem;
  }
  .api-link {
    font-size: 0.85rem;
  }
  nav.end,
  .account {
    display: flex;
    align-items: center;
    gap: 0.75rem;
    flex-wrap: wrap;
    justify-content: flex-end;
  }
  .who {
    font-size: 0.9rem;
    font-weight: 600;
  }
  .role {
    font-weight: 400;
    font-size: 0.8rem;
  }
  main {
    max-width: 64rem;
    margin: 0 auto;
    padding: 1.25rem;
    display: grid;
    gap: 2rem;
  }
  h2 {
    margin: 0 0 0.25rem;
    font-size: 1.15rem;
  }
  .intro {
    margin: 0 0 0.9rem;
    font-size: 0.9rem;
  }
  .connect oidc-buttons {
    max-width: 22rem;
  }
  @media (max-width: 480px) {
    main {
      padding: 0.9rem;
      gap: 1.5rem;
    }
  }
`;
