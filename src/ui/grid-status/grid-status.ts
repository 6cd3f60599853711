import { LitElement, html } from 'lit';
import type { NodeRole, NodeStatus } from '../controller.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-status.styles.ts';

const LABELS: Record<NodeStatus, string> = {
  idle: 'Not in a grid',
  joining: 'Joining the grid…',
  connecting: 'Connecting to members…',
  online: 'Online',
  offline: 'Offline, retrying',
};

/**
 * This node's connection status, announced politely to screen readers as it changes, with an
 * indeterminate progress bar while joining or (re)connecting.
 *
 * @csspart base - the wrapper.
 * @csspart indicator - the coloured dot.
 * @csspart label - the status text.
 * @csspart progress - the progress bar, present while joining or connecting.
 *
 * @cssproperty --grid-online - dot colour when online.
 * @cssproperty --grid-offline - dot colour when offline or idle.
 * @cssproperty --grid-accent - dot and bar colour while joining or connecting.
 */
export class GridStatus extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    status: {},
    nodeRole: { attribute: 'node-role' },
    links: { type: Number },
    others: { type: Number },
  };

  status: NodeStatus = 'idle';
  /** In a follower tab, the node runs in another tab of this browser. (Not `role`: that is ARIA's.) */
  nodeRole: NodeRole = 'starting';
  /** Members this node is linked to now. */
  links = 0;
  /** Other members this node knows of (linked or not); undefined if unknown. */
  others: number | undefined;

  override render() {
    const working = this.status === 'joining' || (this.status === 'connecting' && this.others !== 0);
    // A founder alone has nobody to connect to: say what to do rather than "Connecting to members…".
    const alone = this.others === 0 && (this.status === 'connecting' || this.status === 'offline');
    const label = alone
      ? 'You are the only member: invite someone'
      : this.nodeRole === 'starting' && this.status === 'idle'
        ? 'Starting…'
        : LABELS[this.status];
    const detail = this.status === 'online' ? ` · ${this.links} ${this.links === 1 ? 'link' : 'links'}` : '';
    return html`
      <div part="base" class=${this.status} role="status" aria-live="polite">
        <span part="indicator" aria-hidden="true"></span>
        <span part="label">${label}${detail}</span>
        ${working ? html`<progress part="progress" aria-label=${label}></progress>` : ''}
        ${
          this.nodeRole === 'follower'
            ? html`<span class="muted">(running in another tab of this browser)</span>`
            : ''
        }
      </div>
    `;
  }
}
