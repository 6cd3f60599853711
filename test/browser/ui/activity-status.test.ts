import '../../../src/ui/grid-activity/define.ts';
import '../../../src/ui/grid-status/define.ts';
import type { Activity } from '../../../src/ui/controller.ts';
import { check, equal } from '../assert.ts';
import { mount, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaa';
const entry = (seq: number, fields: Partial<Activity>): Activity => ({
  kind: 'join',
  at: 1_700_000_000_000 + seq,
  seq,
  ...fields,
});

describe('<grid-activity>', () => {
  afterEach(() => document.querySelectorAll('grid-activity').forEach((e) => e.remove()));

  it('lists joins, leaves, rejections with their reason and reconnects, newest first', async () => {
    const el = document.createElement('grid-activity');
    el.entries = [
      entry(1, { kind: 'join', id: A }),
      entry(2, { kind: 'rejected', id: A, reason: 'bad signature' }),
      entry(3, { kind: 'leave', id: A }),
      entry(4, { kind: 'reconnect', id: A }),
    ];
    el.nameOf = (id) => (id === A ? 'alice' : id);
    await mount(el);
    const log = shadow(el).querySelector('[role=log]')!;
    const items = [...log.querySelectorAll('li')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    equal(items.length, 4);
    check(items[0]!.includes('Reconnected alice (aaaaaaaa)'), items[0]!);
    check(items[2]!.includes('Rejected alice (aaaaaaaa): bad signature'), items[2]!);
    check(items[3]!.includes('Joined alice (aaaaaaaa)'), items[3]!);
  });

  it('shows a reason made of markup as text', async () => {
    const el = document.createElement('grid-activity');
    el.entries = [entry(1, { kind: 'rejected', reason: '<img src=x onerror=alert(1)>' })];
    await mount(el);
    equal(shadow(el).querySelector('img'), null);
    check(shadow(el).textContent!.includes('<img src=x onerror=alert(1)>'), 'reads as text');
  });
});

describe('<grid-status>', () => {
  afterEach(() => document.querySelectorAll('grid-status').forEach((e) => e.remove()));

  it('announces the status politely and shows progress while joining or connecting', async () => {
    const el = await mount(document.createElement('grid-status'));
    const region = shadow(el).querySelector('[role=status]')!;
    equal(region.getAttribute('aria-live'), 'polite');
    for (const [status, text, progress] of [
      ['joining', 'Joining the grid…', true],
      ['connecting', 'Connecting to members…', true],
      ['online', 'Online · 2 links', false],
      ['offline', 'Offline, retrying', false],
    ] as const) {
      el.status = status;
      el.links = 2;
      await el.updateComplete;
      equal(shadow(el).querySelector('[part=label]')?.textContent, text);
      equal(Boolean(shadow(el).querySelector('progress')), progress, status);
    }
  });

  it('a founder alone is told to invite someone, not "Connecting to members…" forever', async () => {
    const el = await mount(document.createElement('grid-status'));
    el.status = 'connecting';
    el.others = 0;
    await el.updateComplete;
    equal(shadow(el).querySelector('[part=label]')?.textContent, 'You are the only member: invite someone');
    equal(Boolean(shadow(el).querySelector('progress')), false, 'nothing to wait for');
    el.others = 1;
    await el.updateComplete;
    equal(shadow(el).querySelector('[part=label]')?.textContent, 'Connecting to members…');
  });

  it('says when the node runs in another tab', async () => {
    const el = document.createElement('grid-status');
    el.nodeRole = 'follower';
    el.status = 'online';
    await mount(el);
    check(shadow(el).textContent!.includes('another tab'), 'the follower tab says so');
  });
});
