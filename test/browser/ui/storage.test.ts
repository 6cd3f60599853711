import '../../../src/ui/grid-storage/define.ts';
import type { GridStorage, StorageClientRow } from '../../../src/ui/grid-storage/grid-storage.ts';
import { formatBytes } from '../../../src/ui/grid-storage/storage-events.ts';
import { check, equal } from '../assert.ts';
import { collect, mount, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaaaaaaaaaa';
const B = 'v0-bbbbbbbbbbbbbbbbbbbb';
const NOW = Date.UTC(2025, 0, 1, 12);
const MIB = 1024 * 1024;

function client(id: string, fields: Partial<StorageClientRow> = {}): StorageClientRow {
  return { id, bytes: 0, shares: 0, lastUsedAt: undefined, quota: undefined, ...fields };
}

async function panel(fields: Partial<GridStorage> = {}): Promise<GridStorage> {
  const el = document.createElement('grid-storage');
  el.now = NOW;
  el.usage = { offered: 1024 * MIB, used: 256 * MIB, free: 768 * MIB };
  el.persisted = true;
  el.clients = [
    client(A, {
      nickname: 'alice',
      bytes: 3 * MIB,
      shares: 4,
      lastUsedAt: NOW - 5 * 60_000,
      quota: 100 * MIB,
    }),
    client(B, { bytes: 1536, shares: 1, policy: 'deny' }),
  ];
  Object.assign(el, fields);
  return mount(el);
}

const row = (el: GridStorage, id: string) =>
  shadow(el).querySelector(`tr[data-id="${id}"]`) as HTMLTableRowElement;
const text = (node: Element | null) => node!.textContent!.replace(/\s+/g, ' ').trim();

describe('<grid-storage>', () => {
  afterEach(() => document.querySelectorAll('grid-storage').forEach((e) => e.remove()));

  it('formats byte counts in binary units', () => {
    equal(formatBytes(0), '0 B');
    equal(formatBytes(1536), '1.5 KiB');
    equal(formatBytes(3 * MIB), '3 MiB');
    equal(formatBytes(1024 ** 3), '1 GiB');
    equal(formatBytes(123.4 * MIB), '123 MiB');
  });

  it('shows the space offered and used, with a bar, and whether storage is persistent', async () => {
    const el = await panel();
    const summary = text(shadow(el).querySelector('.summary'));
    check(summary.includes('256 MiB used of 1 GiB offered (768 MiB free)'), summary);
    const bar = shadow(el).querySelector('.bar') as HTMLElement;
    equal(bar.getAttribute('aria-valuenow'), String(256 * MIB));
    equal((bar.firstElementChild as HTMLElement).style.width, '25%');
    check(text(shadow(el).querySelector('.persisted')).includes('granted'), 'persisted');
    el.persisted = false;
    await el.updateComplete;
    check(text(shadow(el).querySelector('.persisted')).includes('not granted'), 'not persisted');
    el.usage = { offered: 1024 * MIB, used: 1024, free: 1024 * MIB - 1024 };
    await el.updateComplete;
    equal((bar.firstElementChild as HTMLElement).style.width, '0.5%', 'a little use still shows');
  });

  it("lists each client's name, short id, bytes, shares, last use, quota and access", async () => {
    const el = await panel();
    const a = text(row(el, A));
    for (const part of ['alice', 'aaaaaaaa', '3 MiB', '4', '5 minutes ago'])
      check(a.includes(part), `${part} in ${a}`);
    equal((row(el, A).querySelector('.quota') as HTMLInputElement).value, '100');
    equal((row(el, B).querySelector('.quota') as HTMLInputElement).value, '', 'no quota');
    equal((row(el, B).querySelector('.policy') as HTMLSelectElement).value, 'deny');
    check(text(row(el, B)).includes('1.5 KiB'), 'bytes of B');
  });

  it('asks for a quota, an offer and a policy as typed events', async () => {
    const el = await panel();
    const quotas = collect<{ id: string; bytes: number | undefined }>(document, 'grid-storage-quota');
    const offers = collect<{ bytes: number }>(document, 'grid-storage-offer');
    const policies = collect<{ id: string; policy: string | undefined }>(document, 'grid-policy');
    const quota = row(el, A).querySelector('.quota') as HTMLInputElement;
    quota.value = '50';
    quota.dispatchEvent(new Event('change'));
    quota.value = '';
    quota.dispatchEvent(new Event('change'));
    quota.value = '-3';
    quota.dispatchEvent(new Event('change'));
    equal(
      JSON.stringify(quotas.map((e) => e.detail)),
      JSON.stringify([{ id: A, bytes: 50 * MIB }, { id: A }]),
    );
    const offer = shadow(el).querySelector('.offer input') as HTMLInputElement;
    offer.value = '2048';
    (shadow(el).querySelector('.offer') as HTMLFormElement).requestSubmit();
    equal(offers.length, 1);
    equal(offers[0]!.detail.bytes, 2048 * MIB);
    const select = row(el, B).querySelector('.policy') as HTMLSelectElement;
    select.value = 'allow';
    select.dispatchEvent(new Event('change'));
    select.value = '';
    select.dispatchEvent(new Event('change'));
    equal(
      JSON.stringify(policies.map((e) => e.detail)),
      JSON.stringify([{ id: B, policy: 'allow' }, { id: B }]),
    );
  });

  it('deletes what a client stored only on a second press', async () => {
    const el = await panel();
    const deletes = collect<{ id: string }>(document, 'grid-storage-delete');
    const button = () => row(el, A).querySelector('.delete') as HTMLButtonElement;
    button().click();
    await el.updateComplete;
    equal(deletes.length, 0, 'the first press only asks');
    check(text(button()).includes('Really delete 3 MiB?'), text(button()));
    button().click();
    await el.updateComplete;
    equal(JSON.stringify(deletes.map((e) => e.detail)), JSON.stringify([{ id: A }]));
    equal(text(button()), 'Delete');
  });

  it('shows a nickname made of markup as text', async () => {
    const el = await panel({ clients: [client(A, { nickname: '<img src=x onerror=alert(1)>' })] });
    equal(row(el, A).querySelector('img'), null);
    check(text(row(el, A)).includes('<img src=x'), 'shown as text');
  });

  it('says so when nobody stores anything and nothing is offered', async () => {
    const el = await panel({ clients: [], usage: undefined, persisted: undefined });
    check(text(shadow(el).querySelector('.space')).includes('stores nothing'), 'no offer');
    check(shadow(el).textContent!.includes('Nobody stores anything here yet.'), 'empty table');
  });
});
