import { css } from 'lit';

/**
 * Everything the widget shows is styled from here or through its parts and `--grid-node-widget-*`
 * properties: font, colour and background are set explicitly, so what the host page lets its text
 * inherit does not reach in; and shadow DOM keeps these rules from reaching out.
 */
export const styles = css`
  :host {
    display: inline-block;
    color-scheme: light dark;
    contain: content;
  }
  :host([hidden]) {
    display: none;
  }
  [part='base'] {
    display: flex;
    align-items: center;
    gap: 0.6em;
    padding: var(--grid-node-widget-padding, 0.5em 0.8em);
    font: var(--grid-node-widget-font, 14px/1.4 system-ui, sans-serif);
    color: var(--grid-node-widget-color, CanvasText);
    background: var(--grid-node-widget-background, Canvas);
    border: 1px solid var(--grid-node-widget-border-color, light-dark(#d0d7de, #3d444d));
    border-radius: var(--grid-node-widget-border-radius, 8px);
    text-align: start;
    letter-spacing: normal;
    text-transform: none;
  }
  [part='indicator'] {
    flex: none;
    width: 0.7em;
    height: 0.7em;
    border-radius: 50%;
    background: var(--grid-node-widget-offline, light-dark(#8c959f, #656c76));
  }
  .online [part='indicator'] {
    background: var(--grid-node-widget-online, light-dark(#1a7f37, #3fb950));
  }
  .joining [part='indicator'],
  .connecting [part='indicator'] {
    background: var(--grid-node-widget-accent, light-dark(#0969da, #4493f8));
  }
  .text {
    display: flex;
    flex-direction: column;
    min-width: 0;
  }
  [part='name'] {
    font-weight: 600;
    unicode-bidi: isolate;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  [part='members'],
  [part='status'] {
    font-size: 0.85em;
    opacity: 0.8;
  }
  [part='error'] {
    font-size: 0.85em;
    color: var(--grid-node-widget-danger, light-dark(#cf222e, #f85149));
  }
`;

/** The frame: out of the way until it asks the person to join, then a box of the same look below. */
export const frameStyles = css`
  [part='frame'] {
    display: block;
    width: 0;
    height: 0;
    border: 0;
    margin: 0;
  }
  [part='frame'].asking {
    width: 100%;
    min-width: 18em;
    height: 3.6em;
    margin-top: 0.4em;
  }
  [part='fingerprint'] {
    font-size: 0.8em;
    opacity: 0.7;
  }
  .ask button {
    font: inherit;
  }
`;
