import { css } from 'lit';

/**
 * Shared by every dashboard element: colours that follow the system's light or dark scheme (each can be
 * overridden from outside through the public `--grid-*` custom property named beside it), form controls
 * with a visible keyboard focus, and a class that hides text from the eye but not from screen readers.
 */
export const sharedStyles = css`
  :host {
    color-scheme: light dark;
    --_fg: var(--grid-color, CanvasText);
    --_bg: var(--grid-background, Canvas);
    --_muted: var(--grid-muted, light-dark(#57606a, #9198a1));
    --_border: var(--grid-border, light-dark(#d0d7de, #3d444d));
    --_surface: var(--grid-surface, light-dark(#f6f8fa, #151b23));
    --_accent: var(--grid-accent, light-dark(#0969da, #4493f8));
    --_on-accent: var(--grid-on-accent, #fff);
    --_online: var(--grid-online, light-dark(#1a7f37, #3fb950));
    --_offline: var(--grid-offline, light-dark(#8c959f, #656c76));
    --_danger: var(--grid-danger, light-dark(#cf222e, #f85149));
    --_radius: var(--grid-radius, 6px);
    color: var(--_fg);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h2 {
    font-size: 1.05rem;
    margin: 0 0 0.75rem;
  }
  button,
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
  }
  input,
  select,
  textarea {
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.35rem 0.5rem;
    max-width: 100%;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--_border);
    background: var(--_surface);
    border-radius: var(--_radius);
    padding: 0.35rem 0.8rem;
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_on-accent);
  }
  button.danger {
    color: var(--_danger);
  }
  button:disabled {
    cursor: default;
    opacity: 0.6;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .muted {
    color: var(--_muted);
  }
  .error {
    color: var(--_danger);
  }
  .name {
    /* A nickname is text chosen by someone else: keep its direction marks from reordering what follows. */
    unicode-bidi: isolate;
    overflow-wrap: anywhere;
  }
  .short-id {
    /* The part of a name nobody else chose: always beside it, never cut. */
    font-family: ui-monospace, monospace;
    font-size: 0.85em;
    color: var(--_muted);
    unicode-bidi: isolate;
    white-space: nowrap;
  }
  .lookalike {
    color: var(--_danger);
    cursor: help;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
