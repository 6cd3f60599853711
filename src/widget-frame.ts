/**
 * The widget frame's entry (`widget-frame.html`): runs the widget's node in the node's own origin and
 * speaks to the embedding page only through src/ui/grid-node-widget/messages.ts (its rules are there).
 *
 * - It runs only framed: opened as a page of its own it does nothing, so a link cannot make it act.
 * - It obeys the parent window only, takes the parent's origin from its first valid message, and posts
 *   replies to that origin alone; an init after the first may change only the invitation offered.
 * - Nothing the page sends can make it sign, read storage or join: joining is a click in this frame.
 *   (A page could still hide or cover the frame to steer that click; the question names the grid with
 *   its fingerprint, and the page learns no more than the tag shows.)
 */
import { GridNode } from './node.ts';
import { previewInvite } from './node/invite-preview.ts';
import { GridNodeFrame, type WidgetNode } from './ui/grid-node-frame/grid-node-frame.ts';
import './ui/grid-node-frame/define.ts';
import { ASKING, type FrameMessage, MEMBERS, STATUS, readInit } from './ui/grid-node-widget/messages.ts';

GridNodeFrame.openNode = (options): Promise<WidgetNode> => GridNode.create(options);
GridNodeFrame.readInvitation = (invitation) => {
  const preview = previewInvite(invitation);
  return preview.ok ? { id: preview.id, name: preview.name } : undefined;
};

const element = document.querySelector('grid-node-frame');
let parentOrigin: string | undefined;

if (element && window.parent !== window) {
  addEventListener('message', (event) => {
    if (event.source !== window.parent) return;
    if (parentOrigin !== undefined && event.origin !== parentOrigin) return;
    const init = readInit(event.data);
    if (!init) return;
    if (parentOrigin === undefined) {
      parentOrigin = event.origin;
      element.dbName = init.dbName;
      element.nickname = init.nickname;
      element.invitation = init.invitation;
      element.relays = init.relays;
    } else {
      element.invitation = init.invitation;
    }
  });
  const post = (message: FrameMessage) => {
    if (parentOrigin) window.parent.postMessage(message, parentOrigin);
  };
  element.addEventListener('grid-node-status', (e) => post({ type: STATUS, status: e.detail }));
  element.addEventListener('grid-node-members', (e) => post({ type: MEMBERS, members: e.detail }));
  element.addEventListener('grid-node-asking', (e) => post({ type: ASKING, asking: e.detail.asking }));
}
