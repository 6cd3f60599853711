/**
 * The widget's postMessage API between the embedding page and the frame that holds the node (issue 11,
 * item 7; SECURITY-REVIEW.md #11). The node, its key and its grid secrets live only in the frame, in the
 * node's own origin; the page may say only what the frame should run with and which invitation to offer,
 * and hears only what the tag shows. Nothing in this API signs, reads stored data or acts without the
 * person: joining is confirmed by a click inside the frame, which scripts of the page cannot make.
 *
 *   page → frame  { type: 'gridnode-widget:init', relays: string[], dbName, nickname, invitation }
 *                   (only the first is obeyed; later ones may change only `invitation`)
 *   frame → page  { type: 'gridnode-widget:status', status: GridNodeStatusDetail }
 *                 { type: 'gridnode-widget:members', members: GridNodeMembersDetail }
 *                 { type: 'gridnode-widget:asking', asking: boolean }   (show the frame: it asks)
 *
 * Rules:
 * - Each side takes messages only from the other window (`event.source`) and its origin: the page knows
 *   the frame's origin from the frame's URL; the frame takes its parent's origin from the first message
 *   (and replies only there).
 * - Every message is checked here, whole: a wrong type, field or size is dropped (the reader returns
 *   `undefined`), never partly applied and never thrown on. Sizes: 8 relays of 512 characters, ws:// or
 *   wss:// only; invitations of 8 KiB; names of 200 characters; database names `[\w-]{1,64}`.
 */
import type { NodeStatus } from '../controller.ts';

export const INIT = 'gridnode-widget:init';
export const STATUS = 'gridnode-widget:status';
export const MEMBERS = 'gridnode-widget:members';
export const ASKING = 'gridnode-widget:asking';

const MAX_RELAYS = 8;
const MAX_URL = 512;
const MAX_INVITATION = 8 * 1024;
const MAX_NAME = 200;
const MAX_ERROR = 500;
const MAX_COUNT = 1_000_000;
const STATUSES: readonly NodeStatus[] = ['idle', 'joining', 'connecting', 'online', 'offline'];

export interface InitMessage {
  type: typeof INIT;
  relays: string[];
  dbName: string;
  nickname: string;
  /** A code or a link; empty for none. */
  invitation: string;
}

export interface GridNodeStatusDetail {
  status: NodeStatus;
  /** This node's id, once its identity is open. */
  id: string | undefined;
  /** `id` is the grid id in hex. */
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

export type FrameMessage =
  | { type: typeof STATUS; status: GridNodeStatusDetail }
  | { type: typeof MEMBERS; members: GridNodeMembersDetail }
  | { type: typeof ASKING; asking: boolean };

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const optionalText = (v: unknown, max: number) => v === undefined || text(v, max);
const count = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_COUNT;

/** The page's message, checked; `undefined` if it is not one. */
export function readInit(data: unknown): InitMessage | undefined {
  if (!isObject(data) || data.type !== INIT) return undefined;
  const { relays, dbName, nickname, invitation } = data;
  if (!Array.isArray(relays) || relays.length > MAX_RELAYS) return undefined;
  if (!relays.every((r) => text(r, MAX_URL) && /^wss?:\/\/[^\s]+$/.test(r))) return undefined;
  if (!text(dbName, 64) || !/^[\w-]{1,64}$/.test(dbName)) return undefined;
  if (!text(nickname, MAX_NAME) || !text(invitation, MAX_INVITATION)) return undefined;
  return { type: INIT, relays: [...relays], dbName, nickname, invitation };
}

/** The frame's message, checked; `undefined` if it is not one. */
export function readFrameMessage(data: unknown): FrameMessage | undefined {
  if (!isObject(data)) return undefined;
  if (data.type === ASKING)
    return typeof data.asking === 'boolean' ? { type: ASKING, asking: data.asking } : undefined;
  if (data.type === MEMBERS) {
    const m = data.members;
    if (!isObject(m) || !count(m.online) || !count(m.total)) return undefined;
    return { type: MEMBERS, members: { online: m.online, total: m.total } };
  }
  if (data.type !== STATUS || !isObject(data.status)) return undefined;
  const { status, id, grid, error } = data.status;
  if (!STATUSES.includes(status as NodeStatus)) return undefined;
  if (!optionalText(id, 128) || !optionalText(error, MAX_ERROR)) return undefined;
  if (grid !== undefined && !(isObject(grid) && text(grid.id, 128) && text(grid.name, MAX_NAME)))
    return undefined;
  return {
    type: STATUS,
    status: {
      status: status as NodeStatus,
      id: id as string | undefined,
      grid: grid === undefined ? undefined : { id: grid.id as string, name: grid.name as string },
      error: error as string | undefined,
    },
  };
}

declare global {
  interface GlobalEventHandlersEventMap {
    'grid-node-status': CustomEvent<GridNodeStatusDetail>;
    'grid-node-members': CustomEvent<GridNodeMembersDetail>;
  }
}
