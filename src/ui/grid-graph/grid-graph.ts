import { LitElement, type PropertyValues, html, svg } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Member } from '../controller.ts';
import { cleanName } from '../display-name.ts';
import { emit } from '../events.ts';
import { LOOKALIKE_TITLE } from '../name-label.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-graph.styles.ts';
import { type Edge, GraphLayout, type Point } from './layout.ts';

const RADIUS = 14;
const MIN_WIDTH = 480;
const MIN_HEIGHT = 240;
const LABEL_CHARS = 20;

const clip = (text: string) => (text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text);

/**
 * A live picture of the grid: members as labelled circles, this node's links as lines, this node ringed
 * in the accent colour, members this node is linked to (online) solid and the others dashed and dimmed.
 * Laid out by d3-force; positions carry over between updates, so the picture moves only where the grid
 * changed. Every member is a focusable button for keyboard and screen-reader users.
 *
 * @fires grid-select - a member was clicked or chosen with Enter or Space; `detail: { id }`.
 *
 * @csspart svg - the drawing.
 * @csspart legend - the key under it.
 *
 * @cssproperty --grid-graph-height - height of the drawing (default 20rem).
 * @cssproperty --grid-online - links and online members.
 * @cssproperty --grid-offline - members not linked now.
 * @cssproperty --grid-accent - this node.
 */
export class GridGraph extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    members: { attribute: false },
    selected: {},
  };

  /** Members to draw; the one with `self` is this node. */
  members: Member[] = [];
  /** Id of the member shown as selected. */
  selected: string | undefined;

  private readonly layout = new GraphLayout();
  private positions: ReadonlyMap<string, Point> = new Map();

  /** Where each member is drawn, for tests and for tools that want to follow the picture. */
  positionOf(id: string): Point | undefined {
    const p = this.positions.get(id);
    return p && { x: p.x, y: p.y };
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('members')) return;
    const self = this.members.find((m) => m.self);
    const edges: Edge[] = self
      ? this.members.filter((m) => m.connected && !m.self).map((m): Edge => [self.id, m.id])
      : [];
    this.positions = this.layout.update(
      this.members.map((m) => m.id),
      edges,
      self?.id,
    );
  }

  override render() {
    const self = this.members.find((m) => m.self);
    const online = this.members.filter((m) => m.online).length;
    const linked = this.members.filter((m) => m.connected && !m.self);
    const at = (id: string) => this.positions.get(id) ?? { x: 0, y: 0 };
    const summary = `${this.members.length} ${this.members.length === 1 ? 'member' : 'members'}, ${online} online`;
    return html`
      <svg
        part="svg"
        viewBox=${this.viewBox()}
        role="group"
        aria-label="Grid picture: ${summary}"
        preserveAspectRatio="xMidYMid meet"
      >
        <g class="links">
          ${
            self
              ? repeat(
                  linked,
                  (m) => m.id,
                  (m) =>
                    svg`<line class="link" data-id=${m.id} x1=${at(self.id).x} y1=${at(self.id).y} x2=${at(m.id).x} y2=${at(m.id).y}></line>`,
                )
              : ''
          }
        </g>
        <g class="members">
          ${repeat(
            this.members,
            (m) => m.id,
            (m) => this.renderMember(m, at(m.id)),
          )}
        </g>
      </svg>
      <ul class="legend muted" part="legend">
        <li>${this.dot('self online')} this node</li>
        <li>${this.dot('online')} linked (online)</li>
        <li>${this.dot('offline')} not linked now</li>
      </ul>
    `;
  }

  private renderMember(m: Member, p: Point) {
    const state = m.self ? 'this node' : m.online ? 'online' : 'offline';
    const classes = `member ${m.online ? 'online' : 'offline'}${m.self ? ' self' : ''}${m.revoked ? ' revoked' : ''}${m.id === this.selected ? ' selected' : ''}`;
    return svg`<g
      class=${classes}
      data-id=${m.id}
      transform="translate(${p.x} ${p.y})"
      tabindex="0"
      role="button"
      aria-pressed=${m.id === this.selected ? 'true' : 'false'}
      aria-label="${m.label}, ${state}${m.revoked ? ', revoked' : ''}${m.lookalike ? ', name looks like another member’s' : ''}"
      @click=${() => this.select(m.id)}
      @keydown=${(e: KeyboardEvent) => this.onKey(e, m.id)}
    >
      <circle r=${RADIUS}></circle>
      <text y=${RADIUS + 4}>${m.lookalike ? svg`<tspan class="lookalike">⚠ </tspan>` : ''}${clip(cleanName(m.name) ?? m.short)}${m.self ? ' (you)' : ''}</text>
      ${m.name !== m.short ? svg`<text class="short-id" y=${RADIUS + 18}>${m.short}</text>` : ''}
      <title>${m.label}${m.lookalike ? ` — ${LOOKALIKE_TITLE}` : ''}</title>
    </g>`;
  }

  private dot(kind: string) {
    return html`<svg viewBox="-8 -8 16 16" aria-hidden="true">
      <g class="member ${kind}"><circle r="6"></circle></g>
    </svg>`;
  }

  /** The drawing's bounds, with room for the labels under the circles. */
  private viewBox(): string {
    const points = [...this.positions.values()];
    if (points.length === 0) return `${-MIN_WIDTH / 2} ${-MIN_HEIGHT / 2} ${MIN_WIDTH} ${MIN_HEIGHT}`;
    const pad = RADIUS + 70;
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    let minX = Math.min(...xs) - pad;
    let minY = Math.min(...ys) - RADIUS - 10;
    let width = Math.max(...xs) + pad - minX;
    let height = Math.max(...ys) + RADIUS + 36 - minY;
    // A small grid is not blown up to fill the box: labels keep about the size of the text around them.
    if (width < MIN_WIDTH) [minX, width] = [minX - (MIN_WIDTH - width) / 2, MIN_WIDTH];
    if (height < MIN_HEIGHT) [minY, height] = [minY - (MIN_HEIGHT - height) / 2, MIN_HEIGHT];
    return [minX, minY, width, height].map((n) => Math.round(n)).join(' ');
  }

  private onKey(event: KeyboardEvent, id: string): void {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    this.select(id);
  }

  private select(id: string): void {
    emit(this, 'grid-select', { id });
  }
}
