/**
 * The shell over the node's services (fakes of `gridNode.storage` and `gridNode.files`): the Storage and
 * Files panels show what the services say, update on their events, and turn the panels' intents into
 * service calls; downloads are saved through a real `<a download>` on a Blob URL, caught here.
 */
import '../../../src/ui/grid-app/define.ts';
import type { GridApp } from '../../../src/ui/grid-app/grid-app.ts';
import { check, equal, waitFor } from '../assert.ts';
import { mount, peer, settle, shadow } from './fake-node.ts';
import { FakeServiceNode } from './fake-services.ts';

const A = 'v0-aaaaaaaaaaaaaaaaaaaa';
const B = 'v0-bbbbbbbbbbbbbbbbbbbb';
const MIB = 1024 * 1024;

async function app(node: FakeServiceNode): Promise<GridApp> {
  localStorage.removeItem('gridnode:petnames');
  const el = document.createElement('grid-app');
  el.node = node;
  return mount(el);
}

const inner = (el: GridApp, tag: string) => shadow(shadow(el).querySelector(tag)!);
const text = (node: Node | null | undefined) => (node?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Catches the downloads the page starts (`<a download>` clicks), reading each Blob URL's bytes. */
function catchSaves() {
  const saved: { name: string; bytes: Uint8Array }[] = [];
  const onClick = (event: Event) => {
    const a = event.target;
    if (!(a instanceof HTMLAnchorElement) || !a.download) return;
    event.preventDefault();
    void fetch(a.href)
      .then((r) => r.arrayBuffer())
      .then((b) => saved.push({ name: a.download, bytes: new Uint8Array(b) }));
  };
  document.addEventListener('click', onClick, true);
  return { saved, stop: () => document.removeEventListener('click', onClick, true) };
}

describe('<grid-app> with storage and files', () => {
  let saves: ReturnType<typeof catchSaves>;
  beforeEach(() => {
    saves = catchSaves();
  });
  afterEach(() => {
    saves.stop();
    document.querySelectorAll('grid-app').forEach((e) => e.remove());
  });

  it('shows the storage panel, names clients like the rest of the dashboard, and updates live', async () => {
    const node = new FakeServiceNode();
    node.addPeer(peer(A, { nickname: 'alice', connected: true }));
    node.policies[B] = 'deny';
    node.storage.space = { offered: 100 * MIB, used: 25 * MIB, free: 75 * MIB };
    node.storage.list = [
      { id: A, bytes: 5 * MIB, shares: 2, lastUsedAt: Date.now(), quota: undefined },
      { id: B, bytes: 20 * MIB, shares: 3, lastUsedAt: Date.now(), quota: 30 * MIB },
    ];
    const el = await app(node);
    const storage = () => inner(el, 'grid-storage');
    check(text(storage().querySelector('.summary')).includes('25 MiB used of 100 MiB offered'), 'usage');
    check(text(storage().querySelector('.persisted')).includes('granted'), 'persisted');
    check(text(storage().querySelector('.limit')).includes('8 GiB'), 'the browser limit');
    const rows = [...storage().querySelectorAll('tbody tr')] as HTMLElement[];
    equal(rows.map((r) => r.dataset.id).join(), [B, A].join(), 'largest first');
    check(text(rows[1]).includes('alice'), 'nickname of a known member');
    check(!text(rows[1]).includes('this node'), 'another member');
    equal((rows[0]!.querySelector('.policy') as HTMLSelectElement).value, 'deny', "the owner's policy");

    node.storage.space = { offered: 100 * MIB, used: 50 * MIB, free: 50 * MIB };
    node.storage.list = [
      ...node.storage.list,
      { id: node.id, bytes: 1, shares: 1, lastUsedAt: 1, quota: undefined },
    ];
    node.storage.changed();
    await settle(el);
    await settle(shadow(el).querySelector('grid-storage')!);
    check(text(storage().querySelector('.summary')).includes('50 MiB used'), 'updated on change');
    equal(storage().querySelectorAll('tbody tr').length, 3, 'a new client shows');
    const self = storage().querySelector(`tr[data-id="${node.id}"]`);
    check(text(self).includes('(this node)'), 'its own uploads, marked as its own');
  });

  it('carries out the storage panel: offer, quota, allow/deny, delete, and shows a failure', async () => {
    const node = new FakeServiceNode();
    node.storage.list = [{ id: A, bytes: 3 * MIB, shares: 1, lastUsedAt: Date.now(), quota: undefined }];
    const el = await app(node);
    const storage = () => inner(el, 'grid-storage');
    (storage().querySelector('.offer input') as HTMLInputElement).value = '512';
    (storage().querySelector('.offer') as HTMLFormElement).requestSubmit();
    await settle(el);
    const quota = storage().querySelector('.quota') as HTMLInputElement;
    quota.value = '10';
    quota.dispatchEvent(new Event('change'));
    await settle(el);
    const policy = storage().querySelector('.policy') as HTMLSelectElement;
    policy.value = 'deny';
    policy.dispatchEvent(new Event('change'));
    await settle(el);
    equal(JSON.stringify(node.callsTo('setPolicy')), JSON.stringify([[A, 'deny']]));
    (storage().querySelector('.delete') as HTMLButtonElement).click();
    await settle(shadow(el).querySelector('grid-storage')!);
    (storage().querySelector('.delete') as HTMLButtonElement).click();
    await settle(el);
    equal(
      JSON.stringify(node.storage.calls),
      JSON.stringify([
        ['setOffer', 512 * MIB],
        ['setQuota', A, 10 * MIB],
        ['deleteClient', A],
      ]),
    );
    equal(storage().querySelectorAll('tbody tr').length, 0, 'deleted');
    node.storage.failWith = 'offer must be a byte count';
    (storage().querySelector('.offer') as HTMLFormElement).requestSubmit();
    await settle(el);
    await settle(shadow(el).querySelector('grid-storage')!);
    equal(text(storage().querySelector('[role=alert]')), 'offer must be a byte count');
  });

  it('uploads a picked file with progress, lists it, and downloads it under its name', async () => {
    const node = new FakeServiceNode();
    node.files.servers = [A, B];
    node.addPeer(peer(A, { nickname: 'alice', connected: true }));
    const el = await app(node);
    const files = () => inner(el, 'grid-files');
    const input = files().querySelector('input.pick') as HTMLInputElement;
    const picked = new DataTransfer();
    picked.items.add(new File([new Uint8Array([1, 2, 3, 250])], 'four.bin'));
    input.files = picked.files;
    input.dispatchEvent(new Event('change'));
    await waitFor('the file is listed', () => files().querySelectorAll('tbody tr').length === 1);
    await settle(shadow(el).querySelector('grid-files')!);
    equal(
      JSON.stringify(node.files.calls[0]),
      JSON.stringify(['upload', { name: 'four.bin', convergent: false }]),
    );
    const transfer = files().querySelector('.transfer') as HTMLElement;
    equal(transfer.dataset.phase, 'done', 'the upload ran to the end');
    const tr = files().querySelector('tbody tr') as HTMLElement;
    check(text(tr).includes('four.bin') && text(tr).includes('4 B'), text(tr));
    check(text(tr.querySelector('.legend')).includes('alice'), 'holders named');

    (tr.querySelector('.download') as HTMLButtonElement).click();
    await waitFor('saved', () => saves.saved.length === 1);
    equal(saves.saved[0]!.name, 'four.bin');
    equal(Array.from(saves.saved[0]!.bytes).join(), '1,2,3,250');
    await settle(shadow(el).querySelector('grid-files')!);
    const down = files().querySelector('.transfer[data-direction=download]') as HTMLElement;
    equal(down.dataset.phase, 'done');
    (files().querySelector('.clear-transfers') as HTMLButtonElement).click();
    await settle(el);
    await settle(shadow(el).querySelector('grid-files')!);
    equal(files().querySelectorAll('.transfer').length, 0, 'finished transfers cleared');
  });

  it('ignores malformed progress events and keeps at most 20 transfers, finished ones dropped first', async () => {
    const node = new FakeServiceNode();
    const el = await app(node);
    const send = (detail: unknown) => node.files.dispatchEvent(new CustomEvent('progress', { detail }));
    for (const bad of [
      null,
      42,
      'x',
      {},
      { id: '1', direction: 'upload', phase: 'done' },
      { id: 1, direction: 'sideways', phase: 'done' },
      { id: 1, direction: 'upload', phase: 'exploded' },
    ])
      send(bad);
    send({ id: 1, direction: 'upload', name: 'n'.repeat(10_000), done: -5, total: NaN, phase: 'sending' });
    await settle(el);
    const files = () => inner(el, 'grid-files');
    await settle(shadow(el).querySelector('grid-files')!);
    const only = [...files().querySelectorAll('.transfer')] as HTMLElement[];
    equal(only.length, 1, 'only the well-formed one');
    equal(text(only[0]!.querySelector('.name')).length, 500, 'its name bounded');
    equal((only[0]!.querySelector('progress') as HTMLProgressElement).value, 0, 'a negative count read as 0');
    for (let id = 2; id <= 30; id++)
      send({
        id,
        direction: 'download',
        name: `f${id}`,
        done: 1,
        total: 1,
        phase: id % 2 ? 'done' : 'receiving',
      });
    await settle(el);
    await settle(shadow(el).querySelector('grid-files')!);
    const ids = [...files().querySelectorAll<HTMLElement>('.transfer')].map((t) => Number(t.dataset.id));
    equal(ids.length, 20);
    check(ids.includes(1), 'the running upload stays');
    for (let id = 2; id <= 30; id += 2) check(ids.includes(id), `running transfer ${id} stays`);
  });

  it('says so and does not try a file below k reachable shares; a failed upload says why', async () => {
    const node = new FakeServiceNode();
    const el = await app(node);
    await node.files.upload(new Uint8Array(8), { name: 'far.bin' });
    const cap = node.files.listed[0]!;
    node.files.setReach(cap, {
      reachable: 0,
      servers: node.files.servers.map((id, i) => ({ id, shares: [i], online: false })),
    });
    await settle(el);
    const files = () => inner(el, 'grid-files');
    await settle(shadow(el).querySelector('grid-files')!);
    check(text(files().querySelector('.reach')).includes('Only 0 of the 1 shares needed'), 'warned');
    equal(files().querySelectorAll('.dot[data-state=offline]').length, 2, 'grey dots');
    (files().querySelector(`tr[data-cap="${cap}"] .download`) as HTMLButtonElement).click();
    await settle(el);
    await settle(shadow(el).querySelector('grid-files')!);
    equal(node.files.calls.filter((c) => c[0] === 'download').length, 0, 'not tried');
    check(text(files().querySelector('.notice')).includes('far.bin: Only 0 of the 1'), 'said');

    // A small file lives in its cap: downloaded without asking where shares are.
    const lit = 'URI:LIT:nbswy3dp';
    node.files.held.set(lit, {
      entry: {
        cap: lit,
        name: 'tiny.txt',
        size: 5,
        k: 1,
        n: 1,
        happy: 1,
        uploadedAt: Date.now(),
        shares: {},
      },
      bytes: new TextEncoder().encode('hello'),
      reach: { k: 1, n: 1, reachable: 0, servers: [] },
    });
    node.files.listed = [lit, ...node.files.listed];
    node.files.changed();
    await settle(el);
    await settle(shadow(el).querySelector('grid-files')!);
    (files().querySelector(`tr[data-cap="${lit}"] .download`) as HTMLButtonElement).click();
    await waitFor('the small file saved', () => saves.saved.length === 1);
    equal(saves.saved[0]!.name, 'tiny.txt');
    equal(new TextDecoder().decode(saves.saved[0]!.bytes), 'hello');
    saves.saved.length = 0;

    node.files.failWith = 'too few storage servers in reach (1, need 2)';
    const input = files().querySelector('input.pick') as HTMLInputElement;
    const picked = new DataTransfer();
    picked.items.add(new File(['x'], 'x.txt'));
    input.files = picked.files;
    input.dispatchEvent(new Event('change'));
    await waitFor('the failure is said', () => text(files()).includes('Upload of x.txt failed: too few'));
    equal(saves.saved.length, 0);
  });

  it('follows a share link once the node is linked, waiting for enough shares, then saves it', async () => {
    const node = new FakeServiceNode();
    node.status = 'connecting';
    const cap = node.files.hold(new TextEncoder().encode('shared bytes'), 'ignored', { reachable: 0 });
    const el = await app(node);
    el.fileLink = { cap, name: 'from link.txt' };
    await settle(el);
    const card = () => inner(el, 'grid-files').querySelector('.link-card') as HTMLElement;
    await settle(shadow(el).querySelector('grid-files')!);
    equal(card().dataset.state, 'waiting');
    equal(node.files.calls.length, 0, 'nothing asked before the node is linked');
    node.setStatus('online');
    await waitFor('located', () => node.files.calls.some((c) => c[0] === 'locate'));
    await settle(el);
    await settle(shadow(el).querySelector('grid-files')!);
    check(text(card()).includes('0 of the 1 needed in reach'), text(card()));
    equal(node.files.calls.filter((c) => c[0] === 'download').length, 0, 'not tried while short');
    node.files.setReach(cap, { reachable: 1 });
    await waitFor('saved after a retry', () => saves.saved.length === 1, 10_000);
    equal(saves.saved[0]!.name, 'from link.txt');
    equal(new TextDecoder().decode(saves.saved[0]!.bytes), 'shared bytes');
    await settle(el);
    await settle(shadow(el).querySelector('grid-files')!);
    equal(card().dataset.state, 'saved');
  });
});
