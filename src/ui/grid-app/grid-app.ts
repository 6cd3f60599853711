import { LitElement, css, html } from 'lit';
import type { GridNode, Peer } from '../../node.ts';

/**
 * The dashboard shell: this node, its role in this browser profile, and the members it knows.
 * Untrusted text (nicknames) is only ever interpolated as text, which lit escapes.
 */
export class GridApp extends LitElement {
  static override properties = { node: { attribute: false } };
  node: GridNode | undefined;
  private readonly refresh = () => this.requestUpdate();

  static override styles = css`
    :host {
      display: block;
      font:
        15px/1.5 system-ui,
        sans-serif;
      max-width: 60rem;
      margin: 2rem auto;
      padding: 0 1rem;
      color-scheme: light dark;
    }
    code {
      word-break: break-all;
    }
    table {
      border-collapse: collapse;
      width: 100%;
    }
    th,
    td {
      text-align: left;
      padding: 0.3rem 0.5rem;
      border-bottom: 1px solid color-mix(in srgb, currentColor 15%, transparent);
    }
    .online {
      color: #16a34a;
    }
  `;

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('node')) {
      (changed.get('node') as GridNode | undefined)?.removeEventListener('change', this.refresh);
      this.node?.addEventListener('change', this.refresh);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.node?.removeEventListener('change', this.refresh);
  }

  override render() {
    const node = this.node;
    if (!node) return html`<p>Starting…</p>`;
    const peers = node.getPeers();
    return html`
      <h1>Grid node</h1>
      <p>
        This node: <code data-testid="node-id">${node.id}</code> —
        <span data-testid="role">${node.role}</span>
      </p>
      <table aria-label="Members">
        <thead>
          <tr>
            <th>Nickname</th>
            <th>Id</th>
            <th>Services</th>
            <th>Seqnum</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          ${peers.map(
            (p: Peer) =>
              html`<tr>
                <td>${p.nickname}${p.self ? ' (this node)' : ''}</td>
                <td><code>${p.id.slice(0, 16)}…</code></td>
                <td>${Object.keys(p.services).join(', ')}</td>
                <td>${p.seqnum}</td>
                <td class=${p.connected ? 'online' : ''}>
                  ${p.self ? 'self' : p.connected ? 'connected' : 'known'}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    `;
  }
}
