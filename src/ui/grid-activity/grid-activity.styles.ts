import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  ol {
    list-style: none;
    margin: 0;
    padding: 0;
    max-height: var(--grid-activity-height, 16rem);
    overflow-y: auto;
    font-size: 0.92em;
  }
  li {
    display: flex;
    gap: 0.5rem;
    padding: 0.25rem 0;
    border-bottom: 1px solid var(--_border);
  }
  time {
    font-variant-numeric: tabular-nums;
    flex: none;
  }
  .kind {
    flex: none;
    font-weight: 600;
    min-width: 5.5rem;
  }
  .what {
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .count {
    font-weight: 600;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  .since {
    white-space: nowrap;
  }
  .dropped {
    font-size: 0.85em;
    margin: 0.4rem 0 0;
  }
  .join .kind,
  .reconnect .kind {
    color: var(--_online);
  }
  .rejected .kind,
  .revoked .kind {
    color: var(--_danger);
  }
`;
