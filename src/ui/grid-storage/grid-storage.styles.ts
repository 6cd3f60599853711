import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .space {
    margin-bottom: 1rem;
  }
  .bar {
    height: 0.6rem;
    border-radius: var(--_radius);
    background: var(--_surface);
    border: 1px solid var(--_border);
    overflow: hidden;
    margin: 0.35rem 0;
  }
  .bar > div {
    height: 100%;
    background: var(--grid-storage-used, var(--_accent));
  }
  .offer {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    flex-wrap: wrap;
  }
  .offer input,
  .quota {
    width: 7rem;
  }
  .scroll {
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.92em;
  }
  th,
  td {
    text-align: left;
    padding: 0.35rem 0.5rem;
    border-bottom: 1px solid var(--_border);
    vertical-align: middle;
  }
  .num {
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  .denied {
    color: var(--_danger);
  }
  button.danger {
    color: var(--_danger);
  }
  .muted {
    color: var(--_muted);
  }
  code {
    font-size: 0.85em;
  }
`;
