import '../../../src/ui/grid-app/define.ts';
import type { GridApp } from '../../../src/ui/grid-app/grid-app.ts';
import { check, equal, waitFor } from '../assert.ts';
import { FakeNode, mount, peer, settle, shadow } from './fake-node.ts';
import { FakeServiceNode } from './fake-services.ts';

const A = 'v0-aaaaaaaaaaaa';
const B = 'v0-bbbbbbbbbbbb';

async function app(node: FakeNode | undefined): Promise<GridApp> {
  localStorage.removeItem('gridnode:petnames');
  const el = document.createElement('grid-app');
  el.node = node;
  return mount(el);
}

/** The shadow root of the first `tag` inside the app. */
const inner = (el: GridApp, tag: string) => shadow(shadow(el).querySelector(tag)!);
/** The grid's name in the header. */
const gridName = (el: GridApp) => inner(el, 'grid-switcher').querySelector('[part=name]')?.textContent;

describe('<grid-app>', () => {
  afterEach(() => document.querySelectorAll('grid-app').forEach((e) => e.remove()));

  it('says it is starting until it has a node', async () => {
    const el = await app(undefined);
    equal(inner(el, 'grid-status').querySelector('[part=label]')?.textContent, 'Starting…');
    equal(shadow(el).querySelector('grid-first-run'), null);
  });

  it('offers the first-run choice to a node without a grid, and creates the grid asked for', async () => {
    const node = new FakeNode();
    node.grid = undefined;
    node.status = 'idle';
    const el = await app(node);
    const firstRun = inner(el, 'grid-first-run');
    (firstRun.querySelector('#name') as HTMLInputElement).value = 'Family';
    (firstRun.querySelector('[part=create]') as HTMLFormElement).requestSubmit();
    await settle(el);
    equal(JSON.stringify(node.callsTo('createGrid')), JSON.stringify([['Family']]));
    equal(gridName(el), 'Family');
    check(shadow(el).querySelector('grid-graph'), 'the dashboard replaces the first run');
  });

  it('joins with a pasted invitation and shows why it failed', async () => {
    const node = new FakeNode();
    node.grid = undefined;
    node.failWith = 'this invitation has expired';
    const el = await app(node);
    const firstRun = inner(el, 'grid-first-run');
    (firstRun.querySelector('#invitation') as HTMLTextAreaElement).value = 'CODE';
    (firstRun.querySelector('[part=join]') as HTMLFormElement).requestSubmit();
    await settle(el);
    await settle(shadow(el).querySelector('grid-first-run')!);
    equal(JSON.stringify(node.callsTo('acceptInvite')), JSON.stringify([['CODE']]));
    equal(firstRun.querySelector('[role=alert]')?.textContent, 'this invitation has expired');
  });

  it('shows progress while joining', async () => {
    const node = new FakeNode();
    node.grid = undefined;
    let finish!: () => void;
    node.acceptInvite = (code) => {
      node.calls.push(['acceptInvite', code]);
      node.status = 'joining';
      return new Promise((resolve) => (finish = () => resolve(node.joinAs)));
    };
    const el = await app(node);
    const firstRun = inner(el, 'grid-first-run');
    (firstRun.querySelector('#invitation') as HTMLTextAreaElement).value = 'CODE';
    (firstRun.querySelector('[part=join]') as HTMLFormElement).requestSubmit();
    await settle(el);
    check(inner(el, 'grid-status').querySelector('progress'), 'a progress bar shows while joining');
    equal(inner(el, 'grid-status').querySelector('[part=label]')?.textContent, 'Joining the grid…');
    node.grid = node.joinAs;
    node.status = 'online';
    finish();
    await settle(el);
    equal(inner(el, 'grid-status').querySelector('progress'), null);
  });

  it('redraws the graph as peers come and go', async () => {
    const node = new FakeNode();
    const el = await app(node);
    const graph = () => inner(el, 'grid-graph');
    equal(graph().querySelectorAll('.member[data-id]').length, 1);
    node.addPeer(peer(A, { nickname: 'alice', connected: true }));
    await settle(el);
    await waitFor('alice in the graph', () => graph().querySelectorAll('line.link').length === 1);
    equal(graph().querySelector(`.member[data-id="${A}"]`)?.classList.contains('online'), true);
    node.disconnect(A);
    await settle(el);
    await waitFor(
      'alice offline',
      () => graph().querySelector(`.member[data-id="${A}"]`)?.classList.contains('offline') === true,
    );
    equal(graph().querySelectorAll('line.link').length, 0);
  });

  it('logs activity from the node', async () => {
    const node = new FakeNode();
    node.addPeer(peer(A, { nickname: 'alice' }));
    const el = await app(node);
    node.activity({ kind: 'rejected', id: A, reason: 'not a member', at: Date.now() });
    await settle(el);
    check(inner(el, 'grid-activity').textContent!.includes('not a member'), 'the reason shows');
    check(inner(el, 'grid-activity').textContent!.includes('alice'), 'the member is named');
  });

  it('creates an invitation and shows it with a QR code', async () => {
    const node = new FakeNode();
    const el = await app(node);
    (inner(el, 'grid-invite').querySelector('form') as HTMLFormElement).requestSubmit();
    await settle(el);
    await settle(shadow(el).querySelector('grid-invite')!);
    equal(node.callsTo('createInvite').length, 1);
    check(inner(el, 'grid-invite').querySelector('svg[part=qr] path'), 'the QR code shows');
  });

  it('carries out the control panel: nickname, services, policy, revoke', async () => {
    const node = new FakeNode();
    node.addPeer(peer(A, { nickname: 'alice' }));
    const el = await app(node);
    const panel = inner(el, 'grid-control-panel');
    (panel.querySelector('#nickname') as HTMLInputElement).value = 'desk';
    (panel.querySelector('[part=nickname] form') as HTMLFormElement).requestSubmit();
    (panel.querySelector('input[name=grid-control]') as HTMLInputElement).click();
    const select = panel.querySelector(`tr[data-id="${A}"] select`) as HTMLSelectElement;
    select.value = 'allow';
    select.dispatchEvent(new Event('change'));
    (panel.querySelector('[data-action=revoke]') as HTMLButtonElement).click();
    await settle(shadow(el).querySelector('grid-control-panel')!);
    (panel.querySelector('[data-action=confirm-revoke]') as HTMLButtonElement).click();
    await settle(el);
    equal(
      JSON.stringify(node.calls.filter((c) => c[0] !== 'start')),
      JSON.stringify([
        ['setNickname', 'desk'],
        ['publish', 'grid-control', null],
        ['setPolicy', A, 'allow'],
        ['revoke', A],
      ]),
    );
  });

  it('keeps a petname typed in the members list', async () => {
    const node = new FakeNode();
    node.addPeer(peer(A, { nickname: 'alice' }));
    const el = await app(node);
    const input = inner(el, 'grid-members').querySelector(`tr[data-id="${A}"] input`) as HTMLInputElement;
    input.value = 'Aunt Alice';
    input.dispatchEvent(new Event('change'));
    await settle(el);
    check(localStorage.getItem('gridnode:petnames')?.includes('Aunt Alice'), 'kept in localStorage');
    await waitFor('the graph uses the petname', () =>
      Boolean(
        inner(el, 'grid-graph')
          .querySelector(`.member[data-id="${A}"] text`)
          ?.textContent?.includes('Aunt Alice'),
      ),
    );
  });

  it('shows a nickname or grid name made of markup as text everywhere, creating no element', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    let alerted = false;
    const alert = window.alert;
    window.alert = () => void (alerted = true);
    try {
      const node = new FakeServiceNode();
      node.grid = { ...node.grid!, name: evil };
      node.addPeer(peer(A, { nickname: evil, connected: true }));
      node.addPeer(peer(B, { nickname: 'bob', invitedBy: A }));
      node.storage.list = [{ id: A, bytes: 10, shares: 1, lastUsedAt: Date.now(), quota: undefined }];
      node.files.servers = [A];
      await node.files.upload(new Uint8Array(4), { name: evil });
      const el = await app(node);
      node.activity({ kind: 'join', id: A, reason: evil, at: Date.now() });
      await settle(el);
      await new Promise((r) => setTimeout(r, 50));
      const roots = [
        shadow(el),
        ...[...shadow(el).querySelectorAll('*')].flatMap((e) => (e.shadowRoot ? [e.shadowRoot] : [])),
      ];
      equal(roots.length, 10, 'the app and its nine elements');
      for (const root of roots)
        equal(root.querySelector('img'), null, `no <img> in ${(root.host as Element).localName}`);
      equal(gridName(el), evil);
      check(inner(el, 'grid-members').textContent!.includes(evil), 'the members list shows it as text');
      check(
        inner(el, 'grid-graph').textContent!.includes(evil.slice(0, 19)),
        'the graph label shows it as text',
      );
      check(inner(el, 'grid-storage').textContent!.includes(evil), 'the storage panel shows it as text');
      check(inner(el, 'grid-files').textContent!.includes(evil), 'the files panel shows it as text');
      check(!alerted, 'no script ran');
    } finally {
      window.alert = alert;
    }
  });

  describe('links that act ask first (issue 11, item 6)', () => {
    const HOME = { id: 'aa'.repeat(32), name: 'Family photos', role: 'member' as const, canInvite: false };
    const EVIL = { id: 'bb'.repeat(32), name: 'Family photos' };

    it('shows the grid’s short fingerprint beside its name', async () => {
      const node = new FakeNode();
      node.grid = HOME;
      const el = await app(node);
      equal(inner(el, 'grid-switcher').querySelector('[part=fingerprint]')?.textContent, 'vkvkvkvk');
    });

    it('asks before an invitation moves a member into another grid, naming both with fingerprints; staying does nothing', async () => {
      const node = new FakeNode();
      node.grid = HOME;
      const el = await app(node);
      el.pendingInvite = { invitation: '#invite=EVIL', incoming: EVIL };
      await settle(el);
      const question = inner(el, 'grid-switch-confirm');
      const text = question.textContent!.replace(/\s+/g, ' ');
      check(text.includes('Family photos vkvkvkvk'), `names the current grid: ${text}`);
      check(text.includes('Family photos xo53xo53'), `names the incoming grid: ${text}`);
      equal(question.activeElement?.className, 'stay primary', 'staying has the focus');
      (question.querySelector('.stay') as HTMLButtonElement).click();
      await settle(el);
      equal(shadow(el).querySelector('grid-switch-confirm'), null, 'the question is gone');
      equal(node.callsTo('acceptInvite').length, 0, 'nothing was joined');
      equal(node.grid?.id, HOME.id);
    });

    it('switches only when the person says so', async () => {
      const node = new FakeNode();
      node.grid = HOME;
      const el = await app(node);
      el.pendingInvite = { invitation: '#invite=EVIL', incoming: EVIL };
      await settle(el);
      (inner(el, 'grid-switch-confirm').querySelector('.switch') as HTMLButtonElement).click();
      await settle(el);
      equal(JSON.stringify(node.callsTo('acceptInvite')), JSON.stringify([['#invite=EVIL']]));
    });

    it('switches back between the grids this node belongs to', async () => {
      const node = new FakeNode();
      node.grid = HOME;
      node.otherGrids = [{ ...EVIL, role: 'member', canInvite: false }];
      const el = await app(node);
      await waitFor('the switcher lists both grids', () => {
        const select = inner(el, 'grid-switcher').querySelector('select');
        return select?.options.length === 2;
      });
      const select = inner(el, 'grid-switcher').querySelector('select')!;
      equal(
        [...select.options].map((o) => o.textContent).join(' | '),
        'Family photos · vkvkvkvk | Family photos · xo53xo53',
      );
      select.value = EVIL.id;
      select.dispatchEvent(new Event('change'));
      await settle(el);
      equal(JSON.stringify(node.callsTo('useGrid')), JSON.stringify([[EVIL.id]]));
      equal(node.grid?.id, EVIL.id);
    });
  });
});
