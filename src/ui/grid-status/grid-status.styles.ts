import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
  }
  [part='base'] {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
  [part='indicator'] {
    width: 0.7rem;
    height: 0.7rem;
    border-radius: 50%;
    flex: none;
    background: var(--_offline);
  }
  .online [part='indicator'] {
    background: var(--_online);
  }
  .joining [part='indicator'],
  .connecting [part='indicator'] {
    background: var(--_accent);
    animation: pulse 1.2s ease-in-out infinite;
  }
  @media (prefers-reduced-motion: reduce) {
    [part='indicator'] {
      animation: none !important;
    }
  }
  @keyframes pulse {
    50% {
      opacity: 0.3;
    }
  }
  progress {
    width: 6rem;
    accent-color: var(--_accent);
  }
`;
