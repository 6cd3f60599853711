import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  fieldset {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    margin: 0 0 1rem;
    padding: 0.75rem 1rem 1rem;
  }
  legend {
    font-weight: 600;
    padding: 0 0.3rem;
  }
  form {
    display: flex;
    flex-direction: column;
    gap: 0.4rem;
    align-items: flex-start;
  }
  form.row {
    flex-direction: row;
    flex-wrap: wrap;
    align-items: center;
  }
  textarea {
    width: 100%;
    min-height: 4rem;
    font-family: ui-monospace, monospace;
    font-size: 0.85em;
  }
  .services label {
    display: flex;
    gap: 0.4rem;
    align-items: baseline;
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    padding: 0.3rem 0.4rem;
    border-bottom: 1px solid var(--_border);
  }
  p {
    margin: 0.25rem 0;
  }
`;
