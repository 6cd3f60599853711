import { LitElement, type PropertyValues, html } from 'lit';
import { GridController, type NodeLike, type NodeStatus } from '../controller.ts';
import { gridName } from '../display-name.ts';
import { gridFingerprint } from '../format.ts';
import type { GridNodeMembersDetail, GridNodeStatusDetail } from '../grid-node-widget/messages.ts';
import { frameStyles, styles } from '../grid-node-widget/grid-node-widget.styles.ts';

/** A node the frame can start and stop: what `GridNode.create` resolves to. */
export type WidgetNode = NodeLike & { start(): Promise<void>; stop(): Promise<void> };

export interface WidgetNodeOptions {
  relays: string[];
  dbName: string;
  /** The nickname a new node starts with (a node opened before keeps its own). */
  nickname?: string;
}

/** The grid an invitation is for, as far as it can be read before redeeming. */
export interface InvitationGrid {
  id: string;
  name: string;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The inside of `<grid-node-widget>`: runs in the widget's frame, in the node's own origin, so the node
 * and its key are out of reach of the embedding page (issue 11, item 7). It opens its own node (in its own
 * IndexedDB database, apart from the dashboard's) and, if the node is in no grid and was given an
 * invitation, asks the person to join, naming the grid with its short fingerprint: only their click in
 * here joins. It shows nothing else (the page's element shows the status) and says what it knows through
 * events the frame's entry passes to the page.
 *
 * Rules:
 * - The invitation is used only while the node is in no grid, and only after "Join" is clicked here.
 * - "Not now" drops it until another invitation is given.
 *
 * @fires grid-node-status - the status, grid or error changed; `detail: GridNodeStatusDetail`.
 * @fires grid-node-members - the number of members online or known changed; `detail: GridNodeMembersDetail`.
 * @fires grid-node-asking - it started or stopped asking to join; `detail: { asking }`.
 */
export class GridNodeFrame extends LitElement {
  static override styles = [styles, frameStyles];

  /** How the frame opens its node: a slot the entry (`src/widget-frame.ts`) fills with `GridNode.create`. */
  static openNode: ((options: WidgetNodeOptions) => Promise<WidgetNode>) | undefined;
  /** What grid an invitation is for: a slot the entry fills; without it the question names no grid. */
  static readInvitation: ((invitation: string) => InvitationGrid | undefined) | undefined;

  static override properties = {
    relays: { attribute: false },
    invitation: {},
    dbName: {},
    nickname: {},
    failure: { state: true },
    declined: { state: true },
  };

  relays: string[] = [];
  /** An invitation code or link, offered only if this node is not yet a member of a grid. */
  invitation = '';
  dbName = 'gridnode-widget';
  nickname = '';

  private failure: string | undefined;
  /** The invitation the person answered "not now" to. */
  private declined: string | undefined;
  private readonly grid = new GridController(this, { storageKey: 'gridnode-widget:petnames' });
  private opening: Promise<void> | undefined;
  private running = false;
  private lastStatus = '';
  private lastMembers = '';
  private lastAsking = false;

  private get node(): WidgetNode | undefined {
    return this.grid.node as WidgetNode | undefined;
  }

  override render() {
    if (!this.asking()) return html``;
    const grid = GridNodeFrame.readInvitation?.(this.invitation.trim());
    return html`
      <div part="base" class="ask" role="group" aria-label="Join a grid">
        <span part="indicator" aria-hidden="true"></span>
        <div class="text">
          <span part="name">${grid ? html`Join <bdi>${gridName(grid.name)}</bdi>?` : 'Join this grid?'}</span>
          ${grid ? html`<code part="fingerprint">${gridFingerprint(grid.id)}</code>` : ''}
        </div>
        <button class="join" @click=${this.onJoin}>Join</button>
        <button class="decline" @click=${this.onDecline}>Not now</button>
      </div>
    `;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.node && !this.running) void this.resume();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // A removed frame leaves the grid at once, rather than holding links and a lock.
    if (this.node && this.running) {
      this.running = false;
      this.node.stop().catch((error: unknown) => console.error('grid-node-widget: stop failed', error));
    }
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('relays') && this.relays.length > 0 && !this.opening) this.opening = this.open();
    this.announce();
  }

  /** The node runs, is in no grid, and has an invitation the person has not answered. */
  private asking(): boolean {
    const invitation = this.invitation.trim();
    return (
      this.running &&
      invitation !== '' &&
      invitation !== this.declined &&
      !this.grid.grid &&
      this.grid.busy !== 'join' &&
      !this.failure
    );
  }

  private status(): NodeStatus {
    if (this.failure && !this.node) return 'offline';
    const joining = this.grid.busy === 'join';
    if (!this.node) return this.opening ? 'connecting' : 'idle';
    return this.grid.status === 'idle' && joining ? 'joining' : this.grid.status;
  }

  private async open(): Promise<void> {
    const openNode = GridNodeFrame.openNode;
    if (!openNode) {
      this.failure = 'The widget was loaded without its entry module.';
      return;
    }
    try {
      const nickname = this.nickname.trim();
      this.grid.node = await openNode({
        relays: this.relays,
        dbName: this.dbName,
        ...(nickname ? { nickname } : {}),
      });
    } catch (error) {
      this.failure = messageOf(error);
      return;
    }
    await this.resume();
  }

  /** Starts the node (again); never throws: a failure is shown instead. */
  private async resume(): Promise<void> {
    const node = this.node;
    if (!node || !this.isConnected) return;
    try {
      await node.start();
    } catch (error) {
      this.failure = messageOf(error);
      return;
    }
    this.running = true;
    this.requestUpdate();
  }

  private async onJoin(): Promise<void> {
    const invitation = this.invitation.trim();
    if (!invitation || this.grid.grid || this.grid.busy === 'join') return;
    await this.grid.acceptInvite(invitation);
    this.failure = this.grid.errorOf('join');
  }

  private onDecline(): void {
    this.declined = this.invitation.trim();
  }

  /** Fires the events when what they report changed since they last fired. */
  private announce(): void {
    const info = this.grid.grid;
    const status: GridNodeStatusDetail = {
      status: this.status(),
      id: this.node?.id,
      grid: info && { id: info.id, name: gridName(info.name) },
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
      this.fire('grid-node-status', status);
    }
    const membersKey = JSON.stringify(count);
    if (info && membersKey !== this.lastMembers) {
      this.lastMembers = membersKey;
      this.fire('grid-node-members', count);
    }
    const asking = this.asking();
    if (asking !== this.lastAsking) {
      this.lastAsking = asking;
      this.fire('grid-node-asking', { asking });
    }
  }

  private fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'grid-node-asking': CustomEvent<{ asking: boolean }>;
  }
}
