import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    font:
      15px/1.5 system-ui,
      sans-serif;
    max-width: 72rem;
    margin: 0 auto;
    padding: 1rem;
    background: var(--_bg);
  }
  header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.5rem 1rem;
    margin-bottom: 1rem;
  }
  h1 {
    font-size: 1.4rem;
    margin: 0;
  }
  .dashboard {
    display: grid;
    gap: 1rem;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 30rem), 1fr));
  }
  section {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 1rem;
    min-width: 0;
  }
  section.wide {
    grid-column: 1 / -1;
  }
  footer {
    margin-top: 1rem;
    font-size: 0.85em;
  }
  code {
    word-break: break-all;
  }
`;
