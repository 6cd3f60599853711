import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 0.3em 0.6em;
  }
  .name {
    unicode-bidi: isolate;
  }
  [part='fingerprint'] {
    font-size: 0.6em;
    font-weight: normal;
    color: var(--_muted);
    letter-spacing: 0.05em;
  }
  select {
    font-size: 0.55em;
    font-weight: normal;
    max-width: 20rem;
  }
`;
