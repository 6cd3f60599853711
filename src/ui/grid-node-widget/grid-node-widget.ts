import { LitElement, type PropertyValues, html } from 'lit';
import { GridController, type NodeLike, type NodeStatus } from '../controller.ts';
import { styles } from './grid-node-widget.styles.ts';

/** A node the widget can start and stop: what `GridNode.create` resolves to. */
export type WidgetNode = NodeLike & { start(): Promise<void>; stop(): Promise<void> };

export interface WidgetNodeOptions {
  relays: string[];
  dbName: string;
  /** The nickname a new node starts with (a node opened before keeps its own). */
  nickname?: string;
}

export interface GridNodeStatusDetail {
  status: NodeStatus;
  /** This node's id, once its identity is open. */
  id: string | undefined;
  grid: { id: string; name: string } | undefined;
  /** Why opening the node or joining failed. */
  error: string | undefined;
}

export interface GridNodeMembersDetail {
  /** Members online as this node sees them: itself and those linked to it. */
  online: number;
  /** Members known. */
  total: number;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const LABELS: Record<NodeStatus, string> = {
  idle: 'Not connected',
  joining: 'Joining…',
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
};

/**
 * A grid node in one tag, for any page: `<grid-node-widget relay="wss://…" invitation="…">` (optionally
 * `nickname="…"` for a node's first start, and `db-name="…"` to run more than one). It opens its
 * own node (in its own IndexedDB database, apart from the dashboard's), joins with the invitation unless
 * it is already a member, and shows the grid's name, how many members are online and its status.
 *
 * @fires grid-node-status - the status, grid or error changed; `detail: GridNodeStatusDetail`.
 * @fires grid-node-members - the number of members online or known changed; `detail: GridNodeMembersDetail`.
 *
 * @csspart base - the box.
 * @csspart indicator - the status dot.
 * @csspart name - the grid's name.
 * @csspart members - "3 of 5 online".
 * @csspart status - the status text.
 * @csspart error - why joining failed, when it did.
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
  static override styles = styles;

  /**
   * How a widget opens its node. A slot the entry module (`src/widget.ts`) fills with `GridNode.create`,
   * so this class has no side effects and tests can fill it with a fake.
   */
  static openNode: ((options: WidgetNodeOptions) => Promise<WidgetNode>) | undefined;

  static override properties = {
    relay: {},
    invitation: {},
    dbName: { attribute: 'db-name' },
    nickname: {},
    failure: { state: true },
  };

  /** One or more relay URLs, separated by spaces. */
  relay = '';
  /** An invitation code or link, used only if this node is not yet a member of a grid. */
  invitation = '';
  /** The widget's IndexedDB database; distinct from the dashboard's so the two never share a node. */
  dbName = 'gridnode-widget';
  /** The nickname this node starts with, the first time it opens in this browser. */
  nickname = '';

  private failure: string | undefined;
  private readonly grid = new GridController(this, { storageKey: 'gridnode-widget:petnames' });
  private opening: Promise<void> | undefined;
  private running = false;
  private lastStatus = '';
  private lastMembers = '';

  /** The widget's node, once opened: for scripts on the page that want more than the tag shows. */
  get node(): WidgetNode | undefined {
    return this.grid.node as WidgetNode | undefined;
  }

  override render() {
    const status = this.status();
    const info = this.grid.grid;
    const members = this.grid.members;
    const online = members.filter((m) => m.online).length;
    const name = info?.name ?? (this.invitation ? 'Joining a grid' : 'No grid');
    return html`
      <div part="base" class=${status}>
        <span part="indicator" aria-hidden="true"></span>
        <div class="text">
          <span part="name">${name}</span>
          ${info ? html`<span part="members">${online} of ${members.length} online</span>` : ''}
        </div>
        <span part="status" role="status" aria-live="polite">${LABELS[status]}</span>
        ${this.failure ? html`<span part="error" role="alert">${this.failure}</span>` : ''}
      </div>
    `;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.node && !this.running) void this.resume();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // A removed widget leaves the grid at once, rather than holding links and a lock for a detached tag.
    if (this.node && this.running) {
      this.running = false;
      this.node.stop().catch((error: unknown) => console.error('grid-node-widget: stop failed', error));
    }
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('relay') && this.relay.trim() && !this.opening) this.opening = this.open();
    if (changed.has('invitation') && this.node && this.running) void this.join();
    this.announce();
  }

  private status(): NodeStatus {
    if (this.failure && !this.node) return 'offline';
    // With an invitation and no grid yet, opening and starting the node are the first steps of joining.
    const joining = this.invitation.trim() !== '' && !this.failure;
    if (!this.node) return this.opening ? (joining ? 'joining' : 'connecting') : 'idle';
    const status = this.grid.status;
    return status === 'idle' && joining && !this.grid.grid ? 'joining' : status;
  }

  private async open(): Promise<void> {
    const openNode = GridNodeWidget.openNode;
    if (!openNode) {
      this.failure = 'The widget was loaded without its entry module.';
      return;
    }
    try {
      const relays = this.relay.split(/\s+/).filter(Boolean);
      const nickname = this.nickname.trim();
      this.grid.node = await openNode({ relays, dbName: this.dbName, ...(nickname ? { nickname } : {}) });
    } catch (error) {
      this.failure = messageOf(error);
      return;
    }
    await this.resume();
  }

  /** Starts the node (again) and joins if it should; never throws: a failure is shown instead. */
  private async resume(): Promise<void> {
    const node = this.node;
    if (!node || !this.isConnected) return;
    this.running = true;
    try {
      await node.start();
    } catch (error) {
      this.failure = messageOf(error);
      return;
    }
    await this.join();
  }

  private async join(): Promise<void> {
    const invitation = this.invitation.trim();
    if (!invitation || this.grid.grid || this.grid.busy === 'join') return;
    await this.grid.acceptInvite(invitation);
    this.failure = this.grid.errorOf('join');
  }

  /** Fires the two events when what they report changed since they last fired. */
  private announce(): void {
    const info = this.grid.grid;
    const status: GridNodeStatusDetail = {
      status: this.status(),
      id: this.node?.id,
      grid: info && { id: info.id, name: info.name },
      error: this.failure,
    };
    const members = this.grid.members;
    const count: GridNodeMembersDetail = {
      online: members.filter((m) => m.online).length,
      total: members.length,
    };
    const statusKey = JSON.stringify(status);
    if (statusKey !== this.lastStatus) {
      this.lastStatus = statusKey;
      this.dispatchEvent(
        new CustomEvent('grid-node-status', { detail: status, bubbles: true, composed: true }),
      );
    }
    const membersKey = JSON.stringify(count);
    if (info && membersKey !== this.lastMembers) {
      this.lastMembers = membersKey;
      this.dispatchEvent(
        new CustomEvent('grid-node-members', { detail: count, bubbles: true, composed: true }),
      );
    }
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'grid-node-status': CustomEvent<GridNodeStatusDetail>;
    'grid-node-members': CustomEvent<GridNodeMembersDetail>;
  }
}
