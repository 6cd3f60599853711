import { GridMembers } from './grid-members.ts';

customElements.define('grid-members', GridMembers);

declare global {
  interface HTMLElementTagNameMap {
    'grid-members': GridMembers;
  }
}
