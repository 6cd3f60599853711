import '../../../src/ui/grid-members/define.ts';
import type { GridMembers } from '../../../src/ui/grid-members/grid-members.ts';
import { check, equal } from '../assert.ts';
import { SELF, collect, member, mount, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaa';
const B = 'v0-bbbbbbbbbbbb';
const NOW = Date.UTC(2025, 0, 1, 12);

async function members(list = [member(SELF, { self: true, nickname: 'me' })]): Promise<GridMembers> {
  const el = document.createElement('grid-members');
  el.members = list;
  el.now = NOW;
  return mount(el);
}

const row = (el: GridMembers, id: string) =>
  shadow(el).querySelector(`tr[data-id="${id}"]`) as HTMLTableRowElement;

describe('<grid-members>', () => {
  afterEach(() => document.querySelectorAll('grid-members').forEach((e) => e.remove()));

  it("shows each member's nickname, services, status, RTT, uptime, failures and inviter", async () => {
    const el = await members([
      member(SELF, { self: true, nickname: 'me' }),
      member(A, {
        nickname: 'alice',
        connected: true,
        services: ['storage', 'upload-storage'],
        rttMs: 41.6,
        uptimeMs: 3 * 3_600_000 + 12 * 60_000,
        failuresInRow: 0,
        invitedBy: SELF,
        invitedByName: 'me',
      }),
      member(B, { nickname: 'bob', lastSeen: NOW - 5 * 60_000, failuresInRow: 3 }),
    ]);
    const a = row(el, A).textContent!.replace(/\s+/g, ' ');
    for (const text of [
      'alice (aaaaaaaa)',
      'storage, upload-storage',
      'connected',
      '42 ms',
      '3 h 12 min',
      'me (selfself)',
    ])
      check(a.includes(text), `alice's row shows "${text}": ${a}`);
    const b = row(el, B).textContent!.replace(/\s+/g, ' ');
    check(b.includes('last seen 5 minutes ago'), `bob's row says when he was last seen: ${b}`);
    check(b.includes('3'), 'and his failures');
    check(row(el, SELF).textContent!.includes('this node'), 'this node is marked');
  });

  it('asks to keep a petname when one is typed and committed', async () => {
    const el = await members([member(SELF, { self: true }), member(A, { nickname: 'alice' })]);
    const events = collect<{ id: string; petname: string }>(document, 'grid-petname');
    const input = row(el, A).querySelector('input')!;
    equal(input.getAttribute('aria-label'), 'Petname for alice (aaaaaaaa)');
    input.value = ' Aunt Alice ';
    input.dispatchEvent(new Event('change', { bubbles: true }));
    equal(JSON.stringify(events.map((e) => e.detail)), JSON.stringify([{ id: A, petname: 'Aunt Alice' }]));
  });

  it('shows a nickname made of markup as text, creating no element and running nothing', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    let alerted = false;
    const alert = window.alert;
    window.alert = () => void (alerted = true);
    try {
      const el = await members([
        member(SELF, { self: true }),
        member(A, { nickname: evil, invitedByName: evil, invitedBy: B }),
      ]);
      await new Promise((r) => setTimeout(r, 50));
      equal(shadow(el).querySelector('img'), null);
      check(row(el, A).textContent!.includes(evil), 'the nickname reads as typed');
      check(!alerted, 'no script ran');
    } finally {
      window.alert = alert;
    }
  });

  it('highlights the selected member', async () => {
    const el = await members([member(SELF, { self: true }), member(A)]);
    el.selected = A;
    await el.updateComplete;
    equal(row(el, A).getAttribute('aria-current'), 'true');
    equal(row(el, SELF).getAttribute('aria-current'), 'false');
  });
});
