import '../../../src/ui/grid-graph/define.ts';
import type { GridGraph } from '../../../src/ui/grid-graph/grid-graph.ts';
import { check, equal } from '../assert.ts';
import { SELF, collect, member, mount, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaa';
const B = 'v0-bbbbbbbbbbbb';
const C = 'v0-cccccccccccc';

async function graph(members = [member(SELF, { self: true, nickname: 'me' })]): Promise<GridGraph> {
  const el = document.createElement('grid-graph');
  el.members = members;
  return mount(el);
}

const drawn = (el: GridGraph, selector: string) =>
  [...shadow(el).querySelectorAll(selector)].map((n) => n.getAttribute('data-id'));

describe('<grid-graph>', () => {
  afterEach(() => document.querySelectorAll('grid-graph').forEach((e) => e.remove()));

  it('draws every member as a labelled node and marks this one', async () => {
    const el = await graph([
      member(SELF, { self: true, nickname: 'me' }),
      member(A, { nickname: 'alice', connected: true }),
      member(B, { nickname: 'bob' }),
    ]);
    equal(drawn(el, '.member[data-id]').length, 3);
    equal(drawn(el, '.member[data-id].self').join(), SELF);
    check(
      shadow(el).querySelector(`.member[data-id="${A}"] text`)?.textContent?.includes('alice'),
      'labelled',
    );
    check(
      shadow(el).querySelector(`.member[data-id="${SELF}"] text`)?.textContent?.includes('(you)'),
      'this node says so',
    );
  });

  it('tells online members from offline ones, in the class and in the accessible name', async () => {
    const el = await graph([
      member(SELF, { self: true }),
      member(A, { nickname: 'alice', connected: true }),
      member(B, { nickname: 'bob' }),
    ]);
    equal(drawn(el, '.member[data-id].online').sort().join(), [A, SELF].sort().join());
    equal(drawn(el, '.member[data-id].offline').join(), B);
    equal(
      shadow(el).querySelector(`.member[data-id="${B}"]`)?.getAttribute('aria-label'),
      'bob (bbbbbbbb), offline',
    );
  });

  it("draws a line for each of this node's links", async () => {
    const el = await graph([
      member(SELF, { self: true }),
      member(A, { connected: true }),
      member(B, { connected: true }),
      member(C),
    ]);
    equal(drawn(el, 'line.link').sort().join(), [A, B].join());
  });

  it('lays out linked members nearer this node than members it is not linked to', async () => {
    const el = await graph([
      member(SELF, { self: true }),
      member(A, { connected: true }),
      member(B),
      member(C),
    ]);
    const distance = (id: string) => Math.hypot(el.positionOf(id)!.x, el.positionOf(id)!.y);
    check(
      distance(A) < Math.min(distance(B), distance(C)),
      `A at ${distance(A)}, B at ${distance(B)}, C at ${distance(C)}`,
    );
  });

  it('adds and removes nodes and links as peers come and go', async () => {
    const el = await graph([member(SELF, { self: true }), member(A, { connected: true })]);
    el.members = [...el.members, member(B, { connected: true })];
    await el.updateComplete;
    equal(drawn(el, 'line.link').sort().join(), [A, B].join());
    el.members = el.members.map((m) => (m.id === A ? { ...m, connected: false, online: false } : m));
    await el.updateComplete;
    equal(drawn(el, 'line.link').join(), B);
    equal(drawn(el, '.member[data-id].offline').join(), A);
  });

  it('keeps every position when only details change, and moves settled nodes little when one arrives', async () => {
    const members = [
      member(SELF, { self: true }),
      member(A, { connected: true }),
      member(B, { connected: true }),
    ];
    const el = await graph(members);
    const before = new Map(members.map((m) => [m.id, el.positionOf(m.id)!]));
    el.members = members.map((m) => ({ ...m, rttMs: 42 }));
    await el.updateComplete;
    for (const m of members)
      equal(JSON.stringify(el.positionOf(m.id)), JSON.stringify(before.get(m.id)), m.id);

    el.members = [...el.members, member(C, { connected: true })];
    await el.updateComplete;
    equal(
      JSON.stringify(el.positionOf(SELF)),
      JSON.stringify({ x: 0, y: 0 }),
      'this node stays in the middle',
    );
    for (const id of [A, B]) {
      const [p, q] = [before.get(id)!, el.positionOf(id)!];
      const moved = Math.hypot(p.x - q.x, p.y - q.y);
      check(moved < 60, `${id} moved ${moved.toFixed(1)} units`);
    }
    const c = el.positionOf(C)!;
    check(Math.hypot(c.x, c.y) > 30, 'the newcomer is not drawn on top of this node');
  });

  it('lets a keyboard user pick a member with Enter', async () => {
    const el = await graph([member(SELF, { self: true }), member(A, { connected: true })]);
    const events = collect<{ id: string }>(el, 'grid-select');
    const node = shadow(el).querySelector(`.member[data-id="${A}"]`) as SVGGElement;
    equal(node.getAttribute('tabindex'), '0');
    node.focus();
    node.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    equal(events[0]?.detail.id, A);
  });
});
