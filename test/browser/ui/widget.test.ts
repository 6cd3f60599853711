import { emulateMedia } from '@web/test-runner-commands';
import '../../../src/ui/grid-node-widget/define.ts';
import {
  GridNodeWidget,
  type GridNodeMembersDetail,
  type GridNodeStatusDetail,
  type WidgetNodeOptions,
} from '../../../src/ui/grid-node-widget/grid-node-widget.ts';
import { check, equal, waitFor } from '../assert.ts';
import { FakeNode, collect, peer, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaa';

let opened: WidgetNodeOptions[];
let node: FakeNode;

/** Adds `<grid-node-widget>` written as a page would, with the given attributes. */
async function widget(attributes: string): Promise<GridNodeWidget> {
  const holder = document.createElement('div');
  holder.className = 'holder';
  holder.innerHTML = `<grid-node-widget ${attributes}></grid-node-widget>`;
  document.body.append(holder);
  const el = holder.querySelector('grid-node-widget')!;
  await waitFor('the node opened', () => opened.length > 0 && node.calls.length > 0);
  await el.updateComplete;
  return el;
}

const part = (el: Element, name: string) => shadow(el).querySelector(`[part=${name}]`) as HTMLElement;

describe('<grid-node-widget>', () => {
  beforeEach(() => {
    opened = [];
    node = new FakeNode();
    node.grid = undefined;
    node.status = 'idle';
    GridNodeWidget.openNode = async (options) => (opened.push(options), node);
  });
  afterEach(async () => {
    document.querySelectorAll('.holder, style.page').forEach((e) => e.remove());
    await emulateMedia({ colorScheme: 'light' });
  });

  it('opens its own node with the relays given, apart from the dashboard, and joins with the invitation', async () => {
    const el = await widget('relay="wss://a.example  wss://b.example" invitation="CODE" nickname="kiosk"');
    const expected = {
      relays: ['wss://a.example', 'wss://b.example'],
      dbName: 'gridnode-widget',
      nickname: 'kiosk',
    };
    equal(JSON.stringify(opened), JSON.stringify([expected]));
    await waitFor('joined', () => node.callsTo('acceptInvite').length === 1);
    equal(JSON.stringify(node.calls.map((c) => c[0])), JSON.stringify(['start', 'acceptInvite']));
    await el.updateComplete;
    equal(part(el, 'name').textContent, 'Joined grid');
  });

  it('does not use the invitation when the node is already a member', async () => {
    node.grid = { id: 'g1', name: 'Home grid', role: 'member', canInvite: false };
    const el = await widget('relay="wss://a.example" invitation="CODE"');
    await new Promise((r) => setTimeout(r, 20));
    equal(node.callsTo('acceptInvite').length, 0);
    equal(part(el, 'name').textContent, 'Home grid');
  });

  it('shows how many members are online and its status, in parts inside its shadow root', async () => {
    node.grid = { id: 'g1', name: 'Home grid', role: 'member', canInvite: false };
    node.status = 'online';
    node.addPeer(peer(A, { connected: true }));
    node.addPeer(peer('v0-bbbbbbbbbbbb'));
    const el = await widget('relay="wss://a.example"');
    check(el.shadowRoot, 'it renders in shadow DOM');
    for (const name of ['base', 'indicator', 'name', 'members', 'status'])
      check(part(el, name), `part ${name}`);
    equal(part(el, 'members').textContent, '2 of 3 online');
    equal(part(el, 'status').textContent, 'Online');
    equal(part(el, 'status').getAttribute('role'), 'status');
  });

  it('tells the page about its status and members with bubbling, composed events', async () => {
    const statuses = collect<GridNodeStatusDetail>(document, 'grid-node-status');
    const counts = collect<GridNodeMembersDetail>(document, 'grid-node-members');
    const el = await widget('relay="wss://a.example" invitation="CODE"');
    await waitFor('member of the grid', () => statuses.some((e) => e.detail.grid?.name === 'Joined grid'));
    node.status = 'online';
    node.addPeer(peer(A, { connected: true }));
    await el.updateComplete;
    await waitFor('two online', () => counts.at(-1)?.detail.online === 2);
    equal(statuses.at(-1)?.detail.status, 'online');
    const before = statuses.slice(
      0,
      statuses.findIndex((e) => e.detail.grid),
    );
    check(before.length > 0 && before.every((e) => e.detail.status === 'joining'), 'joining until a member');
    check(
      statuses.every((e) => e.bubbles && e.composed),
      'status events bubble out of the shadow root',
    );
    check(
      counts.every((e) => e.bubbles && e.composed),
      'members events too',
    );
  });

  it('shows why joining failed', async () => {
    node.failWith = 'this invitation has expired';
    const el = await widget('relay="wss://a.example" invitation="OLD"');
    await waitFor('the error shows', () => part(el, 'error')?.textContent === 'this invitation has expired');
    node.failWith = undefined;
  });

  it("neither takes the host page's styles nor gives it its own", async () => {
    const style = document.createElement('style');
    style.className = 'page';
    style.textContent = `
      .holder { color: rgb(255, 0, 0); font: 40px serif; }
      span, div { color: rgb(255, 0, 0) !important; display: none !important; }
      grid-node-widget::part(name) { text-decoration: underline; }
      grid-node-widget { --grid-node-widget-background: rgb(1, 2, 3); }`;
    document.head.append(style);
    node.grid = { id: 'g1', name: 'Home grid', role: 'member', canInvite: false };
    const el = await widget('relay="wss://a.example"');
    const base = getComputedStyle(part(el, 'base'));
    check(base.display !== 'none', 'page selectors do not reach inside');
    check(base.color !== 'rgb(255, 0, 0)', 'inherited colour stops at the widget');
    equal(base.fontSize, '14px');
    equal(base.backgroundColor, 'rgb(1, 2, 3)', 'custom properties style it');
    check(getComputedStyle(part(el, 'name')).textDecorationLine.includes('underline'), '::part styles it');
    const outside = document.createElement('p');
    outside.setAttribute('part', 'name');
    outside.className = 'holder';
    document.body.append(outside);
    equal(getComputedStyle(outside).fontWeight, '400', "the widget's rules do not reach the page");
  });

  it('follows the system colour scheme', async () => {
    node.grid = { id: 'g1', name: 'Home grid', role: 'member', canInvite: false };
    const el = await widget('relay="wss://a.example"');
    await emulateMedia({ colorScheme: 'light' });
    const light = getComputedStyle(part(el, 'base')).backgroundColor;
    await emulateMedia({ colorScheme: 'dark' });
    const dark = getComputedStyle(part(el, 'base')).backgroundColor;
    check(light !== dark, `light ${light} and dark ${dark} differ`);
  });

  it('shows a grid name made of markup as text', async () => {
    node.grid = { id: 'g1', name: '<img src=x onerror=alert(1)>', role: 'member', canInvite: false };
    const el = await widget('relay="wss://a.example"');
    equal(shadow(el).querySelector('img'), null);
    equal(part(el, 'name').textContent, '<img src=x onerror=alert(1)>');
  });

  it('stops its node when removed from the page and starts it again when put back', async () => {
    const el = await widget('relay="wss://a.example"');
    const holder = el.parentElement!;
    el.remove();
    equal(node.callsTo('stop').length, 1);
    holder.append(el);
    await waitFor('started again', () => node.callsTo('start').length === 2);
  });
});
