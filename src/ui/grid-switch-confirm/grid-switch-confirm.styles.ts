import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  [part='base'] {
    border: 2px solid var(--_accent);
    border-radius: var(--_radius);
    background: var(--_surface);
    padding: 1rem;
    margin-bottom: 1rem;
  }
  p {
    margin: 0 0 0.75rem;
  }
  strong {
    unicode-bidi: isolate;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
`;
