/**
 * `<grid-node-frame>`, the inside of the widget's frame (it holds the node): it joins only when the
 * person clicks "Join" in it (issue 11, item 7), never on its own, and says what it knows in events
 * the frame's entry passes to the page.
 */
import '../../../src/ui/grid-node-frame/define.ts';
import { GridNodeFrame, type WidgetNodeOptions } from '../../../src/ui/grid-node-frame/grid-node-frame.ts';
import type {
  GridNodeMembersDetail,
  GridNodeStatusDetail,
} from '../../../src/ui/grid-node-widget/messages.ts';
import { check, equal, waitFor } from '../assert.ts';
import { FakeNode, collect, peer, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaa';

let opened: WidgetNodeOptions[];
let node: FakeNode;

/** Adds `<grid-node-frame>` as the frame's entry does, with the given invitation. */
async function frame(invitation = '', nickname = ''): Promise<GridNodeFrame> {
  const el = document.createElement('grid-node-frame');
  el.className = 'holder';
  Object.assign(el, { invitation, nickname, relays: ['wss://a.example', 'wss://b.example'] });
  document.body.append(el);
  await waitFor('the node started', () => node.callsTo('start').length > 0);
  await el.updateComplete;
  return el;
}

const part = (el: Element, name: string) => shadow(el).querySelector(`[part=${name}]`) as HTMLElement;
const button = (el: Element, name: string) =>
  shadow(el).querySelector(`button.${name}`) as HTMLButtonElement | null;

describe('<grid-node-frame>', () => {
  beforeEach(() => {
    opened = [];
    node = new FakeNode();
    node.grid = undefined;
    node.status = 'idle';
    GridNodeFrame.openNode = async (options) => (opened.push(options), node);
    GridNodeFrame.readInvitation = (code) =>
      code === 'CODE' ? { id: 'aa'.repeat(32), name: 'Widget grid' } : undefined;
  });
  afterEach(() => document.querySelectorAll('.holder').forEach((e) => e.remove()));

  it('opens its own node with the relays given, apart from the dashboard', async () => {
    await frame('CODE', 'kiosk');
    const expected = {
      relays: ['wss://a.example', 'wss://b.example'],
      dbName: 'gridnode-widget',
      nickname: 'kiosk',
    };
    equal(JSON.stringify(opened), JSON.stringify([expected]));
  });

  it('asks the person to join the invitation’s grid, named with its fingerprint, and joins only on "Join"', async () => {
    const asking = collect<{ asking: boolean }>(document, 'grid-node-asking');
    const el = await frame('CODE');
    await waitFor('it asks', () => button(el, 'join') !== null);
    equal(part(el, 'name').textContent, 'Join Widget grid?');
    equal(part(el, 'fingerprint').textContent, 'vkvkvkvk');
    equal(asking.at(-1)?.detail.asking, true);
    await new Promise((r) => setTimeout(r, 20));
    equal(node.callsTo('acceptInvite').length, 0, 'nothing joined before the click');
    button(el, 'join')!.click();
    await waitFor('joined', () => node.callsTo('acceptInvite').length === 1);
    equal(JSON.stringify(node.callsTo('acceptInvite')), JSON.stringify([['CODE']]));
    await el.updateComplete;
    equal(button(el, 'join'), null, 'the question is gone');
    equal(asking.at(-1)?.detail.asking, false);
  });

  it('"Not now" drops the invitation', async () => {
    const el = await frame('CODE');
    await waitFor('it asks', () => button(el, 'decline') !== null);
    button(el, 'decline')!.click();
    await el.updateComplete;
    equal(button(el, 'join'), null);
    equal(node.callsTo('acceptInvite').length, 0);
  });

  it('does not offer the invitation when the node is already a member', async () => {
    node.grid = { id: 'g1', name: 'Home grid', role: 'member', canInvite: false };
    const el = await frame('CODE');
    await new Promise((r) => setTimeout(r, 20));
    equal(button(el, 'join'), null);
    equal(node.callsTo('acceptInvite').length, 0);
  });

  it('tells its status and members with events', async () => {
    const statuses = collect<GridNodeStatusDetail>(document, 'grid-node-status');
    const counts = collect<GridNodeMembersDetail>(document, 'grid-node-members');
    const el = await frame('CODE');
    await waitFor('it asks', () => button(el, 'join') !== null);
    button(el, 'join')!.click();
    await waitFor('member of the grid', () => statuses.some((e) => e.detail.grid?.name === 'Joined grid'));
    node.status = 'online';
    node.addPeer(peer(A, { connected: true }));
    await el.updateComplete;
    await waitFor('two online', () => counts.at(-1)?.detail.online === 2);
    equal(statuses.at(-1)?.detail.status, 'online');
    equal(statuses.at(-1)?.detail.id, node.id);
    check(
      statuses.every((e) => e.bubbles && e.composed),
      'status events bubble',
    );
  });

  it('says why joining failed', async () => {
    const statuses = collect<GridNodeStatusDetail>(document, 'grid-node-status');
    const el = await frame('CODE');
    await waitFor('it asks', () => button(el, 'join') !== null);
    node.failWith = 'this invitation has expired';
    button(el, 'join')!.click();
    await waitFor('the error is told', () => statuses.at(-1)?.detail.error === 'this invitation has expired');
    node.failWith = undefined;
  });

  it('shows a grid name made of markup as text', async () => {
    GridNodeFrame.readInvitation = () => ({ id: 'aa'.repeat(32), name: '<img src=x onerror=alert(1)>' });
    const el = await frame('CODE');
    await waitFor('it asks', () => button(el, 'join') !== null);
    equal(shadow(el).querySelector('img'), null);
    equal(part(el, 'name').textContent, 'Join <img src=x onerror=alert(1)>?');
  });

  it('stops its node when removed and starts it again when put back', async () => {
    const el = await frame();
    await waitFor('running', () => node.callsTo('start').length === 1);
    await new Promise((r) => setTimeout(r, 0));
    el.remove();
    equal(node.callsTo('stop').length, 1);
    document.body.append(el);
    await waitFor('started again', () => node.callsTo('start').length === 2);
  });
});
