import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
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
    vertical-align: top;
    padding: 0.35rem 0.5rem;
    border-bottom: 1px solid var(--_border);
  }
  th {
    font-weight: 600;
    white-space: nowrap;
  }
  tr[aria-current='true'] {
    background: color-mix(in srgb, var(--_accent) 12%, transparent);
  }
  .nickname {
    display: block;
    font-size: 0.85em;
  }
  .petname {
    width: 11rem;
  }
  .online {
    color: var(--_online);
  }
  .revoked {
    color: var(--_danger);
  }
  .num {
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  code {
    font-size: 0.85em;
  }
`;
