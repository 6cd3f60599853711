/**
 * `<grid-node-widget>`, the element on the embedding page: it holds no node, only a frame, and shows what
 * the frame tells it through the postMessage API (src/ui/grid-node-widget/messages.ts). Here the frame is
 * a stand-in page (widget-frame-fixture.html); test/node/e2e/widget.test.ts runs the real one, from
 * another origin.
 */
import { emulateMedia } from '@web/test-runner-commands';
import '../../../src/ui/grid-node-widget/define.ts';
import { GridNodeWidget } from '../../../src/ui/grid-node-widget/grid-node-widget.ts';
import type { GridNodeStatusDetail } from '../../../src/ui/grid-node-widget/messages.ts';
import { check, equal, waitFor } from '../assert.ts';
import { collect, shadow } from './fake-node.ts';

declare global {
  interface Window {
    fixtureInits?: { origin: string; data: Record<string, unknown> }[];
  }
}

const FIXTURE = new URL('./widget-frame-fixture.html', import.meta.url).href;

/** Adds `<grid-node-widget>` written as a page would, and waits for the frame's first answer. */
async function widget(attributes: string): Promise<GridNodeWidget> {
  const holder = document.createElement('div');
  holder.className = 'holder';
  holder.innerHTML = `<grid-node-widget ${attributes}></grid-node-widget>`;
  document.body.append(holder);
  const el = holder.querySelector('grid-node-widget')!;
  await waitFor('the frame answered', () => part(el, 'status')?.textContent === 'Online');
  await el.updateComplete;
  return el;
}

const part = (el: Element, name: string) => shadow(el).querySelector(`[part=${name}]`) as HTMLElement;

describe('<grid-node-widget>', () => {
  beforeEach(() => {
    window.fixtureInits = [];
    GridNodeWidget.frameUrl = FIXTURE;
  });
  afterEach(async () => {
    document.querySelectorAll('.holder, style.page').forEach((e) => e.remove());
    await emulateMedia({ colorScheme: 'light' });
  });

  it('hands the frame its relays, database, nickname and invitation, and nothing else', async () => {
    const el = await widget('relay="wss://a.example  wss://b.example" invitation="Home" nickname="kiosk"');
    equal(
      JSON.stringify(window.fixtureInits!.map((i) => i.data)),
      JSON.stringify([
        {
          type: 'gridnode-widget:init',
          relays: ['wss://a.example', 'wss://b.example'],
          dbName: 'gridnode-widget',
          nickname: 'kiosk',
          invitation: 'Home',
        },
      ]),
    );
    equal(window.fixtureInits![0]!.origin, location.origin);
    check(!('node' in el), 'no node on the page side');
  });

  it('shows the grid with its fingerprint, members online and status, in parts', async () => {
    const el = await widget('relay="wss://a.example" invitation="Home grid"');
    for (const name of ['base', 'indicator', 'name', 'fingerprint', 'members', 'status', 'frame'])
      check(part(el, name), `part ${name}`);
    equal(part(el, 'name').textContent, 'Home grid');
    equal(part(el, 'fingerprint').textContent, 'vkvkvkvk');
    equal(part(el, 'members').textContent, '2 of 3 online');
    equal(part(el, 'status').getAttribute('role'), 'status');
  });

  it('shows a grid name without its bidi controls or invisible characters (SECURITY-REVIEW #14)', async () => {
    // The fixture names the grid after the invitation: here a name with an override and an isolate.
    const el = await widget('relay="wss://a.example" invitation="Home\u202e\u200b grid\u2066"');
    equal(part(el, 'name').textContent, 'Home grid');
    equal(part(el, 'fingerprint').textContent, 'vkvkvkvk');
  });

  it('shows the frame only while it asks to join', async () => {
    const quiet = await widget('relay="wss://a.example" invitation="Home"');
    equal(getComputedStyle(part(quiet, 'frame')).height, '0px');
    const asking = await widget('relay="wss://a.example" invitation="ASK"');
    await waitFor('the frame shows', () => getComputedStyle(part(asking, 'frame')).height !== '0px');
  });

  it('passes the frame’s news on as bubbling, composed events', async () => {
    const statuses = collect<GridNodeStatusDetail>(document, 'grid-node-status');
    await widget('relay="wss://a.example" invitation="Home"');
    equal(statuses.at(-1)?.detail.grid?.name, 'Home');
    check(
      statuses.every((e) => e.bubbles && e.composed),
      'they bubble out of the shadow root',
    );
  });

  it('ignores messages from any window but its frame, and messages of the wrong shape', async () => {
    const el = await widget('relay="wss://a.example" invitation="Home"');
    const forged = {
      type: 'gridnode-widget:status',
      status: { status: 'offline', grid: { id: 'bb', name: 'Evil' } },
    };
    window.postMessage(forged, '*');
    const frame = part(el, 'frame') as HTMLIFrameElement;
    // From the frame's window but malformed: a wrong status and an oversized name.
    (frame.contentWindow as Window & { eval(code: string): unknown }).eval(`
      parent.postMessage({ type: 'gridnode-widget:status', status: { status: 'pwned' } }, '*');
      parent.postMessage({ type: 'gridnode-widget:members', members: { online: -1, total: 1e12 } }, '*');
      parent.postMessage({ type: 'gridnode-widget:status', status: { status: 'online', grid: { id: 'aa', name: 'x'.repeat(300) } } }, '*');
    `);
    await new Promise((r) => setTimeout(r, 100));
    equal(part(el, 'name').textContent, 'Home');
    equal(part(el, 'members').textContent, '2 of 3 online');
    equal(part(el, 'status').textContent, 'Online');
  });

  it('takes the invitation from the page’s fragment (never the query), and clears the address bar', async () => {
    const before = location.href;
    history.replaceState(history.state, '', `${location.pathname}${location.search}#invite=Fragment`);
    try {
      const el = await widget('relay="wss://a.example"');
      equal(window.fixtureInits!.at(-1)?.data.invitation, '#invite=Fragment');
      equal(location.hash, '', 'the fragment is gone');
      equal(part(el, 'name').textContent, '#invite=Fragment');
    } finally {
      history.replaceState(history.state, '', before);
    }
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
    const el = await widget('relay="wss://a.example" invitation="Home"');
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
    const el = await widget('relay="wss://a.example" invitation="Home"');
    await emulateMedia({ colorScheme: 'light' });
    const light = getComputedStyle(part(el, 'base')).backgroundColor;
    await emulateMedia({ colorScheme: 'dark' });
    const dark = getComputedStyle(part(el, 'base')).backgroundColor;
    check(light !== dark, `light ${light} and dark ${dark} differ`);
  });

  it('shows a grid name made of markup as text', async () => {
    const el = await widget('relay="wss://a.example" invitation="<img src=x onerror=alert(1)>"');
    equal(shadow(el).querySelector('img'), null);
    equal(part(el, 'name').textContent, '<img src=x onerror=alert(1)>');
  });

  it('says so when loaded without its entry module', async () => {
    GridNodeWidget.frameUrl = undefined;
    const holder = document.createElement('div');
    holder.className = 'holder';
    holder.innerHTML = `<grid-node-widget relay="wss://a.example"></grid-node-widget>`;
    document.body.append(holder);
    const el = holder.querySelector('grid-node-widget')!;
    await el.updateComplete;
    equal(part(el, 'error').textContent, 'The widget was loaded without its entry module.');
    equal(part(el, 'frame'), null);
  });
});
