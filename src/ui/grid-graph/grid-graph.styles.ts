import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  svg {
    display: block;
    width: 100%;
    height: var(--grid-graph-height, 20rem);
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .link {
    stroke: var(--_online);
    stroke-width: 2;
    stroke-opacity: 0.7;
  }
  .member circle {
    fill: var(--_bg);
    stroke: var(--_offline);
    stroke-width: 2;
    stroke-dasharray: 4 3;
  }
  .member.online circle {
    stroke: var(--_online);
    stroke-dasharray: none;
    fill: color-mix(in srgb, var(--_online) 20%, var(--_bg));
  }
  .member.self circle {
    stroke: var(--_accent);
    stroke-width: 4;
    fill: color-mix(in srgb, var(--_accent) 25%, var(--_bg));
  }
  .member.revoked circle {
    stroke: var(--_danger);
  }
  .member.selected circle {
    stroke-width: 5;
  }
  .member text {
    fill: var(--_fg);
    font-size: 12px;
    text-anchor: middle;
    dominant-baseline: hanging;
    unicode-bidi: isolate;
    paint-order: stroke;
    stroke: var(--_surface);
    stroke-width: 3px;
  }
  .member text .lookalike {
    fill: var(--_danger);
  }
  .member text.short-id {
    font-family: ui-monospace, monospace;
    font-size: 10px;
    fill: var(--_muted);
  }
  .member.offline text {
    fill: var(--_muted);
  }
  .member {
    cursor: pointer;
  }
  .member:focus {
    outline: none;
  }
  .member:focus-visible circle {
    stroke: var(--_accent);
    stroke-width: 5;
  }
  .legend {
    display: flex;
    gap: 1rem;
    flex-wrap: wrap;
    margin: 0.4rem 0 0;
    padding: 0;
    list-style: none;
    font-size: 0.85em;
  }
  .legend svg {
    display: inline-block;
    vertical-align: middle;
    width: 1em;
    height: 1em;
    border: 0;
    background: none;
  }
`;
