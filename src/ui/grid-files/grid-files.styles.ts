import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .drop {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 1rem;
    padding: 0.9rem;
    border: 2px dashed var(--_border);
    border-radius: var(--_radius);
    margin-bottom: 0.75rem;
  }
  .drop.dragging {
    border-color: var(--_accent);
    background: var(--_surface);
  }
  .choose {
    cursor: pointer;
    border: 1px solid var(--_accent);
    background: var(--_accent);
    color: var(--_on-accent);
    border-radius: var(--_radius);
    padding: 0.35rem 0.8rem;
  }
  .choose:focus-within {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .convergent {
    font-size: 0.9em;
    color: var(--_muted);
    margin-left: auto;
  }
  .link-card {
    display: flex;
    justify-content: space-between;
    align-items: center;
    gap: 1rem;
    padding: 0.6rem 0.8rem;
    margin-bottom: 0.75rem;
    border: 1px solid var(--_accent);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .link-card.failed {
    border-color: var(--_danger);
  }
  .notice {
    display: flex;
    justify-content: space-between;
    align-items: center;
    gap: 0.5rem;
    margin: 0 0 0.5rem;
  }
  .dismiss {
    padding: 0 0.5rem;
  }
  .transfers {
    list-style: none;
    padding: 0;
    margin: 0 0 0.5rem;
  }
  .clear-transfers {
    font-size: 0.85em;
    padding: 0.15rem 0.6rem;
    margin-bottom: 0.75rem;
  }
  .transfer {
    display: grid;
    /* The same columns in every row, so the bars line up. */
    grid-template-columns: 1.2rem min(14rem, 30%) 1fr 10rem 6rem;
    align-items: center;
    gap: 0.5rem;
    padding: 0.2rem 0;
  }
  .transfer .name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .transfer .amount {
    text-align: right;
  }
  .transfer progress {
    width: 100%;
    accent-color: var(--_accent);
  }
  .transfer.failed progress {
    accent-color: var(--_danger);
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
    padding: 0.4rem 0.5rem;
    border-bottom: 1px solid var(--_border);
    vertical-align: top;
  }
  .num {
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  .dots {
    display: inline-flex;
    flex-wrap: wrap;
    gap: 3px;
    max-width: 12rem;
    vertical-align: middle;
  }
  .dot {
    display: inline-block;
    width: 0.7rem;
    height: 0.7rem;
    border-radius: 50%;
    background: var(--dot, var(--_offline));
  }
  .dot.offline {
    opacity: 0.55;
  }
  .dot.missing {
    background: transparent;
    border: 1px dashed var(--_offline);
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 0.1rem 0.75rem;
    font-size: 0.85em;
    margin-top: 0.2rem;
  }
  .holder {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
  }
  .holder .dot {
    width: 0.55rem;
    height: 0.55rem;
  }
  .reach {
    font-size: 0.85em;
  }
  .actions {
    white-space: nowrap;
  }
  .actions button {
    margin: 0 0.2rem 0.2rem 0;
  }
  .shared {
    margin-top: 0.3rem;
    white-space: normal;
  }
  .shared .link {
    width: 100%;
    font-size: 0.85em;
  }
  .shared .copied {
    font-size: 0.85em;
  }
`;
