import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .choices {
    display: grid;
    gap: 1rem;
    grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr));
  }
  form {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    padding: 1rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  form > button {
    align-self: flex-start;
  }
  textarea {
    resize: vertical;
    min-height: 4rem;
  }
  p {
    margin: 0;
  }
  [role='alert'] {
    margin-top: 1rem;
  }
`;
