import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  form {
    display: flex;
    flex-wrap: wrap;
    align-items: end;
    gap: 0.75rem;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
  }
  label.inline {
    flex-direction: row;
    align-items: center;
  }
  .result {
    display: flex;
    flex-wrap: wrap;
    gap: 1rem;
    margin-top: 1rem;
    align-items: flex-start;
  }
  .details {
    flex: 1 1 16rem;
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    min-width: 0;
  }
  /* The link is long: one line of it is enough to recognise, the rest is in the href, the QR and the copy. */
  a {
    color: var(--_accent);
    display: block;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  [part='qr'] {
    width: var(--grid-invite-qr-size, min(100%, 12rem));
    height: auto;
    aspect-ratio: 1;
    flex: none;
    border-radius: var(--_radius);
  }
  /* A QR code is read by cameras: dark on light whatever the page's scheme. */
  [part='qr'] rect {
    fill: #fff;
  }
  [part='qr'] path {
    fill: #000;
  }
  p {
    margin: 0;
  }
  .code {
    font-family: ui-monospace, monospace;
    font-size: 0.85em;
    width: 100%;
  }
  .invites {
    list-style: none;
    padding: 0;
    margin: 1rem 0 0;
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
  }
  .invites li {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
  }
  .invites .for {
    font-weight: 600;
  }
  .invites .state {
    flex: 1 1 auto;
  }
`;
