import { LitElement, type PropertyValues, html } from 'lit';
import { type Busy, GridController, type NodeLike } from '../controller.ts';
import type { FileLink } from '../file-link.ts';
import { FilesController } from '../files-controller.ts';
import type { FilesEventDetails } from '../grid-files/files-events.ts';
import type { StorageEventDetails } from '../grid-storage/storage-events.ts';
import { StorageController } from '../storage-controller.ts';
import type { NamedGrid } from '../grid-switch-confirm/grid-switch-confirm.ts';
import type { GridEvent } from '../events.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-app.styles.ts';

/** Actions started from the control panel: their failures show there. */
const SETTINGS: Busy[] = ['nickname', 'services', 'relays', 'ice', 'policy', 'revoke', 'leave'];

/**
 * The dashboard: the first-run choice for a visitor without a grid, then the grid's picture, its
 * members, invitations, activity and this node's settings. It owns the `GridController`: state flows
 * down as properties, and the intents its elements fire are carried out here through the controller.
 * The intents still bubble out (composed), so a page can watch them too.
 *
 * An invitation for another grid than the active one (`pendingInvite`) is only used once the person
 * answers "switch" to the question naming both grids; "stay" drops it. A share link the page was opened
 * with (`fileLink`) is handed to the Files panel, which downloads it once the node is up and linked.
 *
 * @csspart header - the title and status line.
 *
 * @cssproperty --grid-accent - and the other `--grid-*` colours, inherited by every element inside.
 */
export class GridApp extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    node: { attribute: false },
    invitation: {},
    pendingInvite: { attribute: false },
    fileLink: { attribute: false },
    selected: { state: true },
  };

  /** The node to show; until it is set the dashboard says it is starting. */
  node: NodeLike | undefined;
  /** An invitation to offer on the first-run screen (from a link the page was opened with). */
  invitation = '';
  /** An invitation link opened while this node is in another grid, waiting for the person's answer. */
  pendingInvite: { invitation: string; incoming: NamedGrid } | undefined;
  /** A share link (`#file=…`) the page was opened with, to download. */
  fileLink: FileLink | undefined;

  private selected: string | undefined;
  private readonly grid = new GridController(this);
  private readonly storage = new StorageController(this, this.grid);
  private readonly files = new FilesController(this, this.grid);

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('node')) this.grid.node = this.node;
    if (changed.has('fileLink') && this.fileLink) this.files.openLink(this.fileLink);
  }

  override render() {
    const c = this.grid;
    const info = c.grid;
    const status = c.busy === 'join' ? 'joining' : c.status;
    const members = c.members;
    return html`
      <header part="header">
        <h1>
          <grid-switcher
            .grid=${info}
            .grids=${c.memberships}
            ?busy=${c.busy === 'switch' || c.busy === 'join'}
            @grid-use=${this.onUse}
          ></grid-switcher>
        </h1>
        <grid-status
          .status=${status}
          .nodeRole=${c.role}
          .links=${members.filter((m) => m.connected && !m.self).length}
          .others=${members.filter((m) => !m.self).length}
        ></grid-status>
      </header>
      ${
        this.pendingInvite && info
          ? html`<grid-switch-confirm
              .current=${info}
              .incoming=${this.pendingInvite.incoming}
              @grid-switch-answer=${this.onSwitchAnswer}
            ></grid-switch-confirm>`
          : ''
      }
      ${c.errorOf('switch') ? html`<p class="error" role="alert">${c.errorOf('switch')}</p>` : ''}
      ${
        !this.node
          ? ''
          : !info
            ? html`<grid-first-run
                .busy=${c.busy}
                .error=${c.errorOf('create', 'join')}
                .invitation=${this.invitation}
                @grid-create=${this.onCreate}
                @grid-join=${this.onJoin}
              ></grid-first-run>`
            : html`<div class="dashboard">
                <section class="wide" aria-labelledby="graph-title">
                  <h2 id="graph-title">Grid</h2>
                  <grid-graph
                    .members=${members}
                    .selected=${this.selected}
                    @grid-select=${this.onSelect}
                  ></grid-graph>
                </section>
                <section class="wide" aria-labelledby="files-title">
                  <h2 id="files-title">Files</h2>
                  <grid-files
                    ?available=${this.files.files !== undefined}
                    ?follower=${c.role === 'follower'}
                    .files=${this.files.rows}
                    .transfers=${this.files.transfers}
                    .notices=${this.files.notices}
                    .link=${this.files.link}
                    .nameOf=${this.labeler()}
                    .clubs=${this.files.clubs}
                    @grid-files-upload=${this.onUpload}
                    @grid-files-download=${this.onDownload}
                    @grid-files-remove=${this.onRemoveFile}
                    @grid-files-link-cancel=${() => this.files.cancelLink()}
                    @grid-files-notice-dismiss=${this.onDismiss}
                    @grid-files-clear=${() => this.files.clearFinished()}
                  ></grid-files>
                </section>
                <section class="wide" aria-labelledby="members-title">
                  <h2 id="members-title">Members</h2>
                  <grid-members
                    .members=${members}
                    .selected=${this.selected}
                    @grid-petname=${this.onPetname}
                  ></grid-members>
                </section>
                <section aria-labelledby="invite-title">
                  <h2 id="invite-title">Invite</h2>
                  <grid-invite
                    .invitation=${c.inviteNow}
                    .invites=${c.invites}
                    .nameOf=${this.invitee()}
                    .canInvite=${info.role === 'admin' || info.canInvite}
                    .canGrantInvite=${info.role === 'admin' || info.canInvite}
                    .busy=${c.busy === 'invite' || c.busy === 'cancel-invite'}
                    .error=${c.errorOf('invite', 'cancel-invite')}
                    @grid-invite-create=${this.onInvite}
                    @grid-invite-cancel=${this.onCancelInvite}
                  ></grid-invite>
                </section>
                <section aria-labelledby="activity-title">
                  <h2 id="activity-title">Activity</h2>
                  <grid-activity
                    .entries=${c.activity}
                    .nameOf=${c.namer()}
                    .droppedRefusals=${c.droppedRefusals}
                  ></grid-activity>
                </section>
                <section class="wide" aria-labelledby="storage-title">
                  <h2 id="storage-title">Storage</h2>
                  ${
                    this.storage.storage
                      ? html`<grid-storage
                          .usage=${this.storage.usage}
                          .persisted=${this.storage.persisted}
                          .offerLimit=${this.storage.offerLimit}
                          .clients=${this.storage.clients}
                          .error=${this.storage.error}
                          ?busy=${c.busy === 'storage'}
                          @grid-storage-offer=${this.onOffer}
                          @grid-storage-quota=${this.onQuota}
                          @grid-storage-delete=${this.onDeleteClient}
                          @grid-policy=${this.onPolicy}
                        ></grid-storage>`
                      : html`<p class="muted">This node has no storage service.</p>`
                  }
                </section>
                <section class="wide" aria-labelledby="settings-title">
                  <h2 id="settings-title">This node</h2>
                  <grid-control-panel
                    .nickname=${c.nickname}
                    .services=${c.services}
                    .relays=${c.relays}
                    .iceServers=${c.iceServers}
                    ?relayOnly=${c.iceTransportPolicy === 'relay'}
                    .members=${members}
                    .admin=${info.role === 'admin'}
                    .busy=${c.busy}
                    .error=${c.errorOf(...SETTINGS)}
                    @grid-nickname=${this.onNickname}
                    @grid-service=${this.onService}
                    @grid-relays=${this.onRelays}
                    @grid-ice-servers=${this.onIceServers}
                    @grid-policy=${this.onPolicy}
                    @grid-revoke=${this.onRevoke}
                    @grid-leave=${this.onLeave}
                  ></grid-control-panel>
                </section>
              </div>`
      }
      <footer class="muted">This node: <code>${c.selfId ?? '…'}</code></footer>
    `;
  }

  /**
   * The Files panel's names (cleaned, without the id: it decides nothing about members). A new function
   * each render: names change (a nickname arrives, a petname is set) while the lists stay the same arrays,
   * and only a changed property makes a panel render its names again.
   */
  private labeler(): (id: string) => string {
    const who = this.grid.namer();
    return (id) => {
      const named = who(id);
      return named.name ?? named.short;
    };
  }

  /** The invite list's names: as the members panel shows them (cleaned, with the short id). */
  private invitee(): (id: string) => string {
    const who = this.grid.namer();
    return (id) => who(id).label;
  }

  private onCreate(e: GridEvent<'grid-create'>): void {
    void this.grid.createGrid(e.detail.name);
  }

  private onJoin(e: GridEvent<'grid-join'>): void {
    void this.grid.acceptInvite(e.detail.invitation);
  }

  private onUse(e: GridEvent<'grid-use'>): void {
    void this.grid.useGrid(e.detail.id);
  }

  private onSwitchAnswer(e: GridEvent<'grid-switch-answer'>): void {
    const pending = this.pendingInvite;
    this.pendingInvite = undefined;
    if (pending && e.detail.accepted) void this.grid.acceptInvite(pending.invitation);
  }

  private onInvite(e: GridEvent<'grid-invite-create'>): void {
    void this.grid.createInvite(e.detail);
  }

  private onCancelInvite(e: GridEvent<'grid-invite-cancel'>): void {
    void this.grid.cancelInvite(e.detail.code);
  }

  private onNickname(e: GridEvent<'grid-nickname'>): void {
    void this.grid.setNickname(e.detail.nickname);
  }

  private onService(e: GridEvent<'grid-service'>): void {
    void this.grid.setService(e.detail.service, e.detail.offered);
  }

  private onRelays(e: GridEvent<'grid-relays'>): void {
    void this.grid.setRelays(e.detail.relays);
  }

  private onIceServers(e: GridEvent<'grid-ice-servers'>): void {
    void this.grid.setIceServers(e.detail.iceServers, e.detail.transportPolicy);
  }

  private onPolicy(e: GridEvent<'grid-policy'>): void {
    void this.grid.setPolicy(e.detail.id, e.detail.policy);
  }

  private onRevoke(e: GridEvent<'grid-revoke'>): void {
    void this.grid.revoke(e.detail.id);
  }

  private onLeave(): void {
    void this.grid.leave();
  }

  private onOffer(e: CustomEvent<StorageEventDetails['grid-storage-offer']>): void {
    void this.storage.setOffer(e.detail.bytes);
  }

  private onQuota(e: CustomEvent<StorageEventDetails['grid-storage-quota']>): void {
    void this.storage.setQuota(e.detail.id, e.detail.bytes);
  }

  private onDeleteClient(e: CustomEvent<StorageEventDetails['grid-storage-delete']>): void {
    void this.storage.deleteClient(e.detail.id);
  }

  private onUpload(e: CustomEvent<FilesEventDetails['grid-files-upload']>): void {
    void this.files.upload(e.detail.files, e.detail.convergent, e.detail.club);
  }

  private onDownload(e: CustomEvent<FilesEventDetails['grid-files-download']>): void {
    void this.files.download(e.detail.cap, e.detail.name);
  }

  private onRemoveFile(e: CustomEvent<FilesEventDetails['grid-files-remove']>): void {
    void this.files.remove(e.detail.cap);
  }

  private onDismiss(e: CustomEvent<FilesEventDetails['grid-files-notice-dismiss']>): void {
    this.files.dismissNotice(e.detail.seq);
  }

  private onPetname(e: GridEvent<'grid-petname'>): void {
    this.grid.setPetname(e.detail.id, e.detail.petname);
  }

  private onSelect(e: GridEvent<'grid-select'>): void {
    this.selected = this.selected === e.detail.id ? undefined : e.detail.id;
  }
}
