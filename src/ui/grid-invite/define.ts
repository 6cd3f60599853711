import { GridInvite } from './grid-invite.ts';

customElements.define('grid-invite', GridInvite);

declare global {
  interface HTMLElementTagNameMap {
    'grid-invite': GridInvite;
  }
}
