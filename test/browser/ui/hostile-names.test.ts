/**
 * Names chosen by someone else, where a person decides something (SECURITY-REVIEW.md #14, issue 12
 * point 5): every member is shown with its short id, bidi controls and invisible characters never reach
 * the page, two lookalike names are both marked, and a peer refused 1,248 times is one activity line.
 * The whole dashboard is mounted over a fake node; the panels are the real elements.
 */
import '../../../src/ui/grid-app/define.ts';
import '../../../src/ui/grid-node-frame/define.ts';
import type { GridApp } from '../../../src/ui/grid-app/grid-app.ts';
import { GridNodeFrame } from '../../../src/ui/grid-node-frame/grid-node-frame.ts';
import { check, equal, waitFor } from '../assert.ts';
import { FakeNode, mount, peer, settle, shadow } from './fake-node.ts';
import { FakeServiceNode } from './fake-services.ts';

const ALICE = 'v0-aaaaaaaaaaaa';
const MALLORY = 'v0-mmmmmmmmmmmm';
const CAROL = 'v0-cccccccccccc';
/** Cyrillic "А", then a right-to-left override and a zero-width space: looks like "Alice". */
const SPOOF = '\u0410lice\u202e\u200b';
const BIDI = /[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

async function dashboard(node: FakeNode): Promise<GridApp> {
  localStorage.removeItem('gridnode:petnames');
  const el = document.createElement('grid-app');
  el.node = node;
  return mount(el);
}

const inner = (el: GridApp, tag: string) => shadow(shadow(el).querySelector(tag)!);
const text = (node: Element | ShadowRoot | null | undefined) =>
  (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
const row = (root: ShadowRoot, id: string) => root.querySelector(`tr[data-id="${id}"]`);

/** Every shadow root of the app, and every text and attribute in them. */
function everything(el: GridApp): string[] {
  const roots = [
    shadow(el),
    ...[...shadow(el).querySelectorAll('*')].flatMap((e) => (e.shadowRoot ? [e.shadowRoot] : [])),
  ];
  return roots.flatMap((root) => [
    root.textContent ?? '',
    ...[...root.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.value)),
    ...[...root.querySelectorAll('input, select, textarea')].map((e) => (e as HTMLInputElement).value),
  ]);
}

async function hostileGrid(): Promise<{ node: FakeServiceNode; el: GridApp }> {
  const node = new FakeServiceNode();
  node.grid = { ...node.grid!, name: 'Fam\u2067ily\u2069' };
  node.addPeer(peer(ALICE, { nickname: 'Alice', connected: true }));
  node.addPeer(peer(MALLORY, { nickname: SPOOF, connected: true, invitedBy: ALICE }));
  node.addPeer(peer(CAROL, { nickname: 'Carol', invitedBy: MALLORY }));
  node.storage.list = [
    { id: ALICE, bytes: 10, shares: 1, lastUsedAt: Date.now(), quota: undefined },
    { id: MALLORY, bytes: 20, shares: 2, lastUsedAt: Date.now(), quota: undefined },
  ];
  const el = await dashboard(node);
  await settle(el);
  return { node, el };
}

describe('names where a person decides something', () => {
  afterEach(() => document.querySelectorAll('grid-app, grid-node-frame').forEach((e) => e.remove()));

  it('no bidi control or zero-width character reaches any panel, in text, attributes or fields', async () => {
    const { el } = await hostileGrid();
    const hits = everything(el).filter((s) => BIDI.test(s));
    equal(JSON.stringify(hits.slice(0, 3)), '[]');
    equal(inner(el, 'grid-switcher').querySelector('[part=name]')?.textContent, 'Family');
  });

  it('the members list shows every member with its short id and marks both lookalikes', async () => {
    const { el } = await hostileGrid();
    const members = inner(el, 'grid-members');
    const alice = text(row(members, ALICE));
    const mallory = text(row(members, MALLORY));
    check(alice.includes('Alice (aaaaaaaa)') && alice.includes('looks like another'), alice);
    check(mallory.includes('\u0410lice (mmmmmmmm)') && mallory.includes('looks like another'), mallory);
    equal(row(members, CAROL)?.querySelector('.nickname > .lookalike'), null, 'Carol is nobody’s lookalike');
    check(Boolean(row(members, CAROL)?.querySelector('.who .lookalike')), 'her inviter is');
    check(text(row(members, CAROL)).includes('\u0410lice (mmmmmmmm)'), 'her inviter is named with the id');
    equal(
      row(members, MALLORY)?.querySelector('input')?.getAttribute('placeholder'),
      '\u0410lice (mmmmmmmm)',
    );
  });

  it('the graph labels each member with its short id and says which names look alike', async () => {
    const { el } = await hostileGrid();
    const graph = inner(el, 'grid-graph');
    const node = (id: string) => graph.querySelector(`.member[data-id="${id}"]`)!;
    equal(node(MALLORY).querySelector('text.short-id')?.textContent, 'mmmmmmmm');
    equal(node(ALICE).querySelector('text.short-id')?.textContent, 'aaaaaaaa');
    check(node(MALLORY).getAttribute('aria-label')!.startsWith('\u0410lice (mmmmmmmm), online'), 'named');
    check(node(MALLORY).getAttribute('aria-label')!.includes('looks like'), 'and marked');
    check(node(MALLORY).querySelector('text')!.textContent!.startsWith('⚠'), 'marked on the picture');
  });

  it('allow/deny and revoke name the member with its id, up to the confirmation', async () => {
    const { el } = await hostileGrid();
    const panel = inner(el, 'grid-control-panel');
    const mallory = row(panel, MALLORY)!;
    check(text(mallory).includes('\u0410lice (mmmmmmmm)'), text(mallory));
    equal(
      mallory.querySelector('select')?.getAttribute('aria-label'),
      'Service policy for \u0410lice (mmmmmmmm)',
    );
    (mallory.querySelector('[data-action=revoke]') as HTMLButtonElement).click();
    await settle(el);
    const confirm = row(panel, MALLORY)!;
    check(
      text(confirm).includes(
        'Revoke \u0410lice (mmmmmmmm) ⚠ (name looks like another member’s) for the whole grid?',
      ),
      text(confirm),
    );
    equal(
      confirm.querySelector('[data-action=confirm-revoke]')?.getAttribute('aria-label'),
      'Confirm revoking \u0410lice (mmmmmmmm)',
    );
  });

  it('the Storage panel’s clients table and its allow/deny name each client with its id', async () => {
    const { el } = await hostileGrid();
    const storage = inner(el, 'grid-storage');
    const mallory = row(storage, MALLORY)!;
    check(text(mallory).includes('\u0410lice (mmmmmmmm)'), text(mallory));
    check(Boolean(mallory.querySelector('.lookalike')), 'the lookalike is marked here too');
    equal(
      mallory.querySelector('select.policy')?.getAttribute('aria-label'),
      'Access for \u0410lice (mmmmmmmm)',
    );
  });

  it('1,248 refusals of one peer are one activity line with the count, and joins stay', async () => {
    const { node, el } = await hostileGrid();
    const t0 = Date.now();
    node.activity({ kind: 'join', id: ALICE, at: t0 });
    for (let i = 0; i < 1248; i++)
      node.activity({ kind: 'rejected', id: MALLORY, reason: 'bad-certificate-signature', at: t0 + i });
    await settle(el);
    const items = [...inner(el, 'grid-activity').querySelectorAll('li')].map(text);
    equal(items.length, 2, items.join(' | '));
    check(
      items[0]!.includes(
        'Rejected \u0410lice (mmmmmmmm) ⚠ (name looks like another member’s): bad certificate signature ×1,248 since',
      ),
      items[0]!,
    );
    check(items[1]!.includes('Joined Alice (aaaaaaaa)'), items[1]!);
  });

  it('refusals from made-up ids keep to their share of the log, and say how many are no longer listed', async () => {
    const { node, el } = await hostileGrid();
    const t0 = Date.now();
    node.activity({ kind: 'join', id: ALICE, at: t0 });
    for (let i = 0; i < 300; i++)
      node.activity({
        kind: 'rejected',
        id: `v0-sybil${String(i).padStart(8, '0')}`,
        reason: 'not-member',
        at: t0 + i,
      });
    await settle(el);
    const activity = inner(el, 'grid-activity');
    const items = [...activity.querySelectorAll('li')];
    equal(items.filter((li) => li.classList.contains('rejected')).length, 50);
    check(text(items.at(-1)!).includes('Joined Alice (aaaaaaaa)'), 'the join is still there');
    equal(text(activity.querySelector('.dropped')), '250 earlier refusals are no longer listed.');
  });

  it('a grid name in a status line and in the switch question is cleaned', async () => {
    const { node, el } = await hostileGrid();
    node.activity({ kind: 'status', reason: 'an admin of Ev\u202eil revoked this node', at: Date.now() });
    el.pendingInvite = { invitation: '#invite=X', incoming: { id: 'bb'.repeat(32), name: 'Fam\u202eily' } };
    await settle(el);
    check(text(inner(el, 'grid-activity')).includes('an admin of Evil revoked this node'), 'status line');
    const question = inner(el, 'grid-switch-confirm');
    equal(question.querySelector('strong.incoming')?.textContent, 'Family');
    check(!BIDI.test(text(question)), text(question));
  });

  it('the widget’s join prompt names the grid without its bidi controls', async () => {
    const node = new FakeNode();
    node.grid = undefined;
    GridNodeFrame.openNode = async () => node;
    GridNodeFrame.readInvitation = () => ({ id: 'aa'.repeat(32), name: 'Widget\u202e grid\u2066' });
    const el = document.createElement('grid-node-frame');
    Object.assign(el, { invitation: 'CODE', relays: ['wss://a.example'] });
    document.body.append(el);
    await waitFor('it asks', () => Boolean(shadow(el).querySelector('button.join')));
    equal(shadow(el).querySelector('[part=name]')?.textContent, 'Join Widget grid?');
    equal(shadow(el).querySelector('[part=fingerprint]')?.textContent, 'vkvkvkvk');
  });
});
