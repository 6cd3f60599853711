/**
 * The small picture of where a file's shares are: one dot per share number, coloured by the server that
 * holds it (a hue derived from its id, so a server keeps its colour across files and pages), grey when
 * that server is out of reach; then a legend naming each server.
 */
import { ref } from 'lit/directives/ref.js';
import { cssProperty } from '../css-property.ts';
import { html } from 'lit';
import type { FileReach } from '../../services/files-types.ts';

export interface ShareHolder {
  id: string;
  online: boolean;
}

/** A stable hue for a server id (FNV-1a over its characters). */
export function serverHue(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 360;
}

/**
 * Share number → its holder, for shares 0…n−1 (at most 256), from reachability when the service gave it,
 * else from the upload's own record (every holder then counted out of reach: nobody said otherwise).
 */
export function holders(
  n: number,
  shares: Readonly<Record<string, readonly number[]>>,
  reach: FileReach | undefined,
): (ShareHolder | undefined)[] {
  const count = Math.max(0, Math.min(256, Math.floor(n)));
  const out: (ShareHolder | undefined)[] = new Array(count).fill(undefined);
  const servers = reach
    ? reach.servers
    : Object.entries(shares).map(([id, list]) => ({ id, shares: list, online: false }));
  for (const server of servers)
    for (const share of server.shares)
      if (Number.isInteger(share) && share >= 0 && share < count && !out[share]?.online)
        out[share] = { id: server.id, online: server.online };
  return out;
}

export function renderShareMap(
  n: number,
  shares: Readonly<Record<string, readonly number[]>>,
  reach: FileReach | undefined,
  nameOf: (id: string) => string,
) {
  const map = holders(n, shares, reach);
  const servers = new Map<string, boolean>();
  for (const h of map) if (h) servers.set(h.id, (servers.get(h.id) ?? false) || h.online);
  return html`<span class="dots" role="img" aria-label=${summary(map)}>
      ${map.map((h, share) => {
        const state = !h ? 'missing' : h.online ? 'online' : 'offline';
        const title = `share ${share}: ${h ? `${nameOf(h.id)}${h.online ? '' : ' (out of reach)'}` : 'nowhere'}`;
        return html`<span
          class="dot ${state}"
          data-share=${share}
          data-server=${h?.id ?? ''}
          data-state=${state}
          title=${title}
          ${ref(cssProperty('--dot', h?.online ? `hsl(${serverHue(h.id)} 65% 45%)` : undefined))}
        ></span>`;
      })}
    </span>
    <span class="legend">
      ${[...servers].map(
        ([id, online]) =>
          html`<span class="holder ${online ? 'online' : 'offline'}" data-server=${id}
            ><span
              class="dot ${online ? 'online' : 'offline'}"
              ${ref(cssProperty('--dot', online ? `hsl(${serverHue(id)} 65% 45%)` : undefined))}
            ></span
            ><span class="name">${nameOf(id)}</span
            >${online ? '' : html` <span class="muted">(offline)</span>`}</span
          >`,
      )}
    </span>`;
}

function summary(map: (ShareHolder | undefined)[]): string {
  const online = map.filter((h) => h?.online).length;
  return `${online} of ${map.length} shares in reach`;
}
