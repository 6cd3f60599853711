import { LitElement, html } from 'lit';
import type { NodeStatus } from '../controller.ts';
import { gridName } from '../display-name.ts';
import { gridFingerprint } from '../format.ts';
import { frameStyles, styles } from './grid-node-widget.styles.ts';
import {
  ASKING,
  type GridNodeMembersDetail,
  type GridNodeStatusDetail,
  INIT,
  type InitMessage,
  MEMBERS,
  STATUS,
  readFrameMessage,
} from './messages.ts';

export type { GridNodeMembersDetail, GridNodeStatusDetail } from './messages.ts';

const LABELS: Record<NodeStatus, string> = {
  idle: 'Not connected',
  joining: 'Joining…',
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
};

/**
 * A grid node in one tag, for any page: `<grid-node-widget relay="wss://…" invitation="…">` (optionally
 * `nickname="…"` for a node's first start, and `db-name="…"` to run more than one). The node does not run
 * in the page: the element holds a frame served from the node's own origin (`widget-frame.html`, next to
 * `widget.js`), which opens the node there and answers through the narrow postMessage API of
 * `messages.ts`, so scripts of the page can neither sign with the node's key nor read its grids
 * (issue 11, item 7; SECURITY-REVIEW.md #11). The element shows the grid's name and fingerprint, how many
 * members are online and the status, and shows the frame only while it asks the person to join.
 *
 * The invitation comes from the `invitation` attribute, else from the page's fragment (`#invite=…`, then
 * removed from the address bar), never from a query string, which servers log.
 *
 * @fires grid-node-status - the status, grid or error changed; `detail: GridNodeStatusDetail`.
 * @fires grid-node-members - the number of members online or known changed; `detail: GridNodeMembersDetail`.
 *
 * @csspart base - the box.
 * @csspart indicator - the status dot.
 * @csspart name - the grid's name.
 * @csspart fingerprint - the grid's short fingerprint.
 * @csspart members - "3 of 5 online".
 * @csspart status - the status text.
 * @csspart error - why joining failed, when it did.
 * @csspart frame - the node's frame, shown while it asks to join.
 *
 * @cssproperty --grid-node-widget-font - font shorthand (default `14px/1.4 system-ui, sans-serif`).
 * @cssproperty --grid-node-widget-color - text colour.
 * @cssproperty --grid-node-widget-background - background.
 * @cssproperty --grid-node-widget-border-color - border colour.
 * @cssproperty --grid-node-widget-border-radius - corner radius.
 * @cssproperty --grid-node-widget-padding - inner space.
 * @cssproperty --grid-node-widget-online - dot when online.
 * @cssproperty --grid-node-widget-offline - dot when offline.
 * @cssproperty --grid-node-widget-accent - dot while joining or connecting.
 * @cssproperty --grid-node-widget-danger - the error text.
 */
export class GridNodeWidget extends LitElement {
  static override styles = [styles, frameStyles];

  /**
   * The frame's address: a slot the entry module (`src/widget.ts`) fills with the URL of
   * `widget-frame.html` beside it, so this class has no side effects.
   */
  static frameUrl: string | undefined;

  static override properties = {
    relay: {},
    invitation: {},
    dbName: { attribute: 'db-name' },
    nickname: {},
    state: { state: true },
    members: { state: true },
    asking: { state: true },
  };

  /** One or more relay URLs, separated by spaces. */
  relay = '';
  /** An invitation code or link, offered only if the node is not yet a member of a grid. */
  invitation = '';
  /** The node's IndexedDB database in its own origin; distinct from the dashboard's. */
  dbName = 'gridnode-widget';
  /** The nickname the node starts with, the first time it opens in this browser. */
  nickname = '';

  private state: GridNodeStatusDetail | undefined;
  private members: GridNodeMembersDetail | undefined;
  private asking = false;
  /** Taken from the page's fragment, when the attribute names none. */
  private fragmentInvitation = '';
  private frame: HTMLIFrameElement | undefined;
  private frameOrigin: string | undefined;
  private loaded = false;
  private readonly onMessage = (event: MessageEvent) => this.receive(event);

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.invitation && location.hash.startsWith('#invite=')) {
      // A bearer secret: out of the address bar and history before anything else.
      this.fragmentInvitation = location.hash;
      history.replaceState(history.state, '', location.pathname + location.search);
    }
    addEventListener('message', this.onMessage);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('message', this.onMessage);
    this.loaded = false;
  }

  override render() {
    const frameUrl = GridNodeWidget.frameUrl;
    const state = this.state;
    const status: NodeStatus = state?.status ?? (this.relay.trim() ? 'connecting' : 'idle');
    const grid = state?.grid;
    const error = frameUrl ? state?.error : 'The widget was loaded without its entry module.';
    const name = grid ? gridName(grid.name) : this.invitationToOffer() ? 'Joining a grid' : 'No grid';
    return html`
      <div part="base" class=${status}>
        <span part="indicator" aria-hidden="true"></span>
        <div class="text">
          <span part="name">${name}</span>
          ${grid ? html`<code part="fingerprint">${gridFingerprint(grid.id)}</code>` : ''}
          ${
            grid && this.members
              ? html`<span part="members">${this.members.online} of ${this.members.total} online</span>`
              : ''
          }
        </div>
        <span part="status" role="status" aria-live="polite">${LABELS[status]}</span>
        ${error ? html`<span part="error" role="alert">${error}</span>` : ''}
      </div>
      ${
        frameUrl && this.relay.trim()
          ? html`<iframe
              part="frame"
              class=${this.asking ? 'asking' : ''}
              title="Grid node"
              src=${frameUrl}
              @load=${this.onLoad}
            ></iframe>`
          : ''
      }
    `;
  }

  override updated(changed: Map<PropertyKey, unknown>): void {
    const frame = this.renderRoot.querySelector('iframe') ?? undefined;
    if (frame !== this.frame) {
      this.frame = frame;
      this.loaded = false;
      this.frameOrigin = GridNodeWidget.frameUrl && new URL(GridNodeWidget.frameUrl, location.href).origin;
    }
    if (this.loaded && (changed.has('invitation') || changed.has('relay'))) this.init();
  }

  private invitationToOffer(): string {
    return this.invitation.trim() || this.fragmentInvitation;
  }

  private onLoad(): void {
    this.loaded = true;
    this.init();
  }

  /** Tells the frame what to run with (it obeys the first and then only a new invitation). */
  private init(): void {
    const target = this.frame?.contentWindow;
    if (!target || !this.frameOrigin) return;
    const message: InitMessage = {
      type: INIT,
      relays: this.relay.split(/\s+/).filter(Boolean).slice(0, 8),
      dbName: this.dbName,
      nickname: this.nickname.trim(),
      invitation: this.invitationToOffer(),
    };
    target.postMessage(message, this.frameOrigin);
  }

  /** Only the frame's window, from its origin, with a message of the API's shapes. */
  private receive(event: MessageEvent): void {
    if (!this.frame || event.source !== this.frame.contentWindow || event.origin !== this.frameOrigin) return;
    const message = readFrameMessage(event.data);
    if (!message) return;
    if (message.type === ASKING) {
      this.asking = message.asking;
    } else if (message.type === STATUS) {
      this.state = message.status;
      this.fire('grid-node-status', message.status);
    } else if (message.type === MEMBERS) {
      this.members = message.members;
      this.fire('grid-node-members', message.members);
    }
  }

  private fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}
