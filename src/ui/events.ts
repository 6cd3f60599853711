/**
 * The dashboard's intents: every event an element dispatches, with its detail, in one map. Elements only
 * show state and say what the user wants; the shell (or an embedding page) turns these into `GridNode`
 * calls through the controller. All bubble and are composed, so a page can listen on any ancestor.
 */
import type { IceServer, Policy } from './controller.ts';

export interface GridEventDetails {
  /** "Start a grid" with this name. */
  'grid-create': { name: string };
  /** "Join with an invitation": a code or a link, as pasted (the node parses it). */
  'grid-join': { invitation: string };
  'grid-invite-create': { expiresInMs: number; canInvite: boolean; name?: string };
  /** "Cancel" on one of the invitations listed: its code stops working. */
  'grid-invite-cancel': { code: string };
  /** The invitation link was put on the clipboard (`copied: false` if the browser refused). */
  'grid-invite-copy': { text: string; copied: boolean };
  'grid-nickname': { nickname: string };
  /** Offer (publish) or stop offering (unpublish) one service. */
  'grid-service': { service: string; offered: boolean };
  'grid-relays': { relays: string[] };
  'grid-ice-servers': { iceServers: IceServer[]; transportPolicy: 'relay' | 'all' };
  /** `policy: undefined` returns the member to the grid's default. */
  'grid-policy': { id: string; policy: Policy | undefined };
  'grid-revoke': { id: string };
  /** A local name for a member, never sent anywhere; an empty string removes it. */
  'grid-petname': { id: string; petname: string };
  'grid-leave': Record<string, never>;
  /** A member was picked (in the graph or the list), to show it in the other views. */
  'grid-select': { id: string };
  /** Make this grid (one this node belongs to) the active one. */
  'grid-use': { id: string };
  /** The person's answer to "switch to the grid of this invitation?". */
  'grid-switch-answer': { accepted: boolean };
}

export type GridEventName = keyof GridEventDetails;
export type GridEvent<K extends GridEventName> = CustomEvent<GridEventDetails[K]>;

/** Dispatches a typed intent from `host`; returns false if a listener called `preventDefault()`. */
export function emit<K extends GridEventName>(
  host: HTMLElement,
  type: K,
  detail: GridEventDetails[K],
): boolean {
  return host.dispatchEvent(
    new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }),
  );
}

declare global {
  // Typed `addEventListener('grid-create', (e) => e.detail.name)` on every element.
  interface GlobalEventHandlersEventMap {
    'grid-create': GridEvent<'grid-create'>;
    'grid-join': GridEvent<'grid-join'>;
    'grid-invite-create': GridEvent<'grid-invite-create'>;
    'grid-invite-copy': GridEvent<'grid-invite-copy'>;
    'grid-invite-cancel': GridEvent<'grid-invite-cancel'>;
    'grid-nickname': GridEvent<'grid-nickname'>;
    'grid-service': GridEvent<'grid-service'>;
    'grid-relays': GridEvent<'grid-relays'>;
    'grid-ice-servers': GridEvent<'grid-ice-servers'>;
    'grid-policy': GridEvent<'grid-policy'>;
    'grid-revoke': GridEvent<'grid-revoke'>;
    'grid-petname': GridEvent<'grid-petname'>;
    'grid-leave': GridEvent<'grid-leave'>;
    'grid-select': GridEvent<'grid-select'>;
    'grid-use': GridEvent<'grid-use'>;
    'grid-switch-answer': GridEvent<'grid-switch-answer'>;
  }
}
