import type { FileProgress } from '../../../src/services/files-types.ts';
import type { FileRow } from '../../../src/ui/files-controller.ts';
import '../../../src/ui/grid-files/define.ts';
import type { GridFiles } from '../../../src/ui/grid-files/grid-files.ts';
import { serverHue } from '../../../src/ui/grid-files/share-map.ts';
import { check, equal, waitFor } from '../assert.ts';
import { collect, mount, shadow } from './fake-node.ts';

const A = 'v0-aaaaaaaaaaaaaaaaaaaa';
const B = 'v0-bbbbbbbbbbbbbbbbbbbb';
const CAP = 'URI:CHK:abcdefgh:ijklmnop:2:4:3000';
const BASE = 'https://grid.example/app/';
const NAMES: Record<string, string> = { [A]: 'alice', [B]: 'bob' };

function row(fields: Partial<FileRow> = {}): FileRow {
  return {
    cap: CAP,
    name: 'report final.pdf',
    size: 3000,
    k: 2,
    n: 4,
    happy: 3,
    uploadedAt: Date.UTC(2026, 0, 2, 10, 30),
    shares: { [A]: [0, 1], [B]: [2, 3] },
    reach: {
      k: 2,
      n: 4,
      reachable: 2,
      servers: [
        { id: A, shares: [0, 1], online: true },
        { id: B, shares: [2, 3], online: false },
      ],
    },
    ...fields,
  };
}

async function panel(fields: Partial<GridFiles> = {}): Promise<GridFiles> {
  const el = document.createElement('grid-files');
  el.linkBase = BASE;
  el.nameOf = (id) => NAMES[id] ?? id.slice(3, 11);
  el.files = [row()];
  Object.assign(el, fields);
  return mount(el);
}

const $ = (el: GridFiles, selector: string) => shadow(el).querySelector(selector) as HTMLElement;
const $$ = (el: GridFiles, selector: string) => [...shadow(el).querySelectorAll(selector)] as HTMLElement[];
const text = (node: Node | null) => node!.textContent!.replace(/\s+/g, ' ').trim();

describe('<grid-files>', () => {
  afterEach(() => document.querySelectorAll('grid-files').forEach((e) => e.remove()));

  it('lists each file with its name, size, date and one dot per share, coloured by server', async () => {
    const el = await panel();
    const tr = $(el, `tr[data-cap="${CAP}"]`);
    check(text(tr).includes('report final.pdf'), 'name');
    equal(text(tr.querySelector('.size')), '2.93 KiB');
    equal(tr.querySelector('time')!.getAttribute('datetime'), '2026-01-02T10:30:00.000Z');
    const dots = [...tr.querySelectorAll('.dots .dot')] as HTMLElement[];
    equal(dots.length, 4, 'one dot per share');
    equal(dots.map((d) => d.dataset.state).join(), 'online,online,offline,offline');
    equal(dots.map((d) => d.dataset.server).join(), [A, A, B, B].join());
    check(dots[0]!.style.getPropertyValue('--dot').includes(`hsl(${serverHue(A)} `), 'A has its colour');
    equal(dots[2]!.style.getPropertyValue('--dot'), '', 'an offline server is grey');
    check(dots[2]!.title.includes('bob (out of reach)'), dots[2]!.title);
    const legend = text(tr.querySelector('.legend'));
    check(legend.includes('alice') && legend.includes('bob (offline)'), legend);
    equal(text(tr.querySelector('.reach')), '2 of 4 shares in reach, 2 needed');
  });

  it('says so before trying when fewer than k shares are in reach', async () => {
    const el = await panel({
      files: [
        row({
          reach: {
            k: 2,
            n: 4,
            reachable: 1,
            servers: [
              { id: A, shares: [0], online: true },
              { id: B, shares: [1, 2, 3], online: false },
            ],
          },
        }),
      ],
    });
    const reach = $(el, '.reach');
    check(reach.classList.contains('error'), 'shown as a problem');
    check(text(reach).includes('Only 1 of the 2 shares needed are in reach'), text(reach));
  });

  it('shows a small file kept in its link (URI:LIT:) as needing no server', async () => {
    const lit = 'URI:LIT:nbswy3dp';
    const el = await panel({
      files: [
        row({ cap: lit, size: 5, k: 1, n: 1, shares: {}, reach: { k: 1, n: 1, reachable: 0, servers: [] } }),
      ],
    });
    const tr = $(el, `tr[data-cap="${lit}"]`);
    check(text(tr).includes('no server needed'), text(tr));
    equal(tr.querySelectorAll('.dot').length, 0);
    equal(tr.querySelector('.short'), null, 'no warning');
  });

  it('shows a progress bar per upload and download, and why one failed', async () => {
    const transfers: FileProgress[] = [
      { id: 1, direction: 'upload', name: 'a.bin', done: 512 * 1024, total: 1024 * 1024, phase: 'sending' },
      {
        id: 2,
        direction: 'download',
        name: 'b.bin',
        done: 0,
        total: 10,
        phase: 'failed',
        error: 'no shares',
      },
    ];
    const el = await panel({ transfers });
    const [up, down] = $$(el, '.transfer');
    equal(up!.dataset.direction, 'upload');
    const bar = up!.querySelector('progress') as HTMLProgressElement;
    equal(bar.max, 1024 * 1024);
    equal(bar.value, 512 * 1024);
    check(text(up!).includes('512 KiB of 1 MiB'), text(up!));
    check(text(up!).includes('sending'), 'phase');
    equal(down!.dataset.phase, 'failed');
    check(text(down!).includes('failed: no shares'), text(down!));
    const clears = collect(document, 'grid-files-clear');
    ($(el, '.clear-transfers') as HTMLButtonElement).click();
    equal(clears.length, 1, 'asks to clear the finished ones');
    el.transfers = [transfers[0]!];
    await el.updateComplete;
    equal($(el, '.clear-transfers'), null, 'nothing finished to clear');
  });

  it('asks to upload picked and dropped files, convergent when ticked', async () => {
    const el = await panel();
    const uploads = collect<{ files: File[]; convergent: boolean }>(document, 'grid-files-upload');
    const input = $(el, 'input.pick') as HTMLInputElement;
    const picked = new DataTransfer();
    picked.items.add(new File(['hello'], 'hello.txt'));
    picked.items.add(new File(['world'], 'world.txt'));
    input.files = picked.files;
    input.dispatchEvent(new Event('change'));
    ($(el, 'input[name=convergent]') as HTMLInputElement).checked = true;
    const dropped = new DataTransfer();
    dropped.items.add(new File(['x'], 'dropped.bin'));
    const drop = $(el, '.drop');
    const over = new DragEvent('dragover', { dataTransfer: dropped, cancelable: true });
    drop.dispatchEvent(over);
    check(over.defaultPrevented, 'a drop target');
    drop.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, cancelable: true }));
    equal(uploads.length, 2);
    equal(uploads[0]!.detail.files.map((f) => f.name).join(), 'hello.txt,world.txt');
    equal(uploads[0]!.detail.convergent, false);
    equal(uploads[1]!.detail.files.map((f) => f.name).join(), 'dropped.bin');
    equal(uploads[1]!.detail.convergent, true);
  });

  it('offers the announced storage clubs and asks to upload for the one chosen', async () => {
    const el = await panel();
    equal($(el, 'select[name=club]'), null, 'no clubs, no choice');
    el.clubs = [{ id: 'v0-owner/family', name: 'family', owner: 'v0-owner' }];
    await el.updateComplete;
    const select = $(el, 'select[name=club]') as HTMLSelectElement;
    check(text(select).includes('club “family”'), text(select));
    const uploads = collect<{ files: File[]; club: string | undefined }>(document, 'grid-files-upload');
    const input = $(el, 'input.pick') as HTMLInputElement;
    const pick = () => {
      const picked = new DataTransfer();
      picked.items.add(new File(['a'], 'a.txt'));
      input.files = picked.files;
      input.dispatchEvent(new Event('change'));
    };
    pick();
    select.value = 'v0-owner/family';
    pick();
    equal(uploads.length, 2);
    equal(uploads[0]!.detail.club, undefined, 'every member in reach by default');
    equal(uploads[1]!.detail.club, 'v0-owner/family');
  });

  it('shows the share link of a file in a field, URL-encoded, and says it was shown', async () => {
    const el = await panel();
    const links = collect<{ cap: string; link: string; copied: boolean }>(document, 'grid-files-link');
    const expected = `${BASE}#file=${encodeURIComponent(CAP)}&name=report%20final.pdf`;
    equal($(el, 'tbody tr').dataset.link, expected);
    ($(el, '.copy-link') as HTMLButtonElement).click();
    // The clipboard answers (or is given up on after a second) before the event says whether it copied.
    await waitFor('the link event', () => links.length > 0, 3_000);
    await el.updateComplete;
    equal(($(el, 'input.link') as HTMLInputElement).value, expected);
    equal(links.length, 1);
    equal(links[0]!.detail.link, expected);
    equal(links[0]!.detail.cap, CAP);
  });

  it('asks to download a file, and to forget it only on a second press', async () => {
    const el = await panel();
    const downloads = collect<{ cap: string; name: string }>(document, 'grid-files-download');
    const removes = collect<{ cap: string }>(document, 'grid-files-remove');
    ($(el, '.download') as HTMLButtonElement).click();
    equal(
      JSON.stringify(downloads.map((e) => e.detail)),
      JSON.stringify([{ cap: CAP, name: 'report final.pdf' }]),
    );
    ($(el, '.remove') as HTMLButtonElement).click();
    await el.updateComplete;
    equal(removes.length, 0, 'the first press only asks');
    equal(text($(el, '.remove')), 'Really forget?');
    ($(el, '.remove') as HTMLButtonElement).click();
    equal(JSON.stringify(removes.map((e) => e.detail)), JSON.stringify([{ cap: CAP }]));
  });

  it('shows a share link being followed: waiting for shares, then saved', async () => {
    const el = await panel({
      files: [],
      link: {
        cap: CAP,
        name: 'shared.txt',
        state: 'waiting',
        reach: { k: 2, n: 4, reachable: 1, servers: [] },
      },
    });
    const card = () => $(el, '.link-card');
    check(text(card()).includes('shared.txt'), 'names the file');
    check(text(card()).includes('1 of the 2 needed in reach'), text(card()));
    const cancels = collect(document, 'grid-files-link-cancel');
    ($(el, '.cancel-link') as HTMLButtonElement).click();
    equal(cancels.length, 1);
    el.link = { cap: CAP, name: 'shared.txt', state: 'saved' };
    await el.updateComplete;
    equal(card().dataset.state, 'saved');
    check(text(card()).includes('Saved.'), text(card()));
    check(text(shadow(el)).includes('No files uploaded from this node yet.'), 'empty list');
  });

  it('shows names made of markup as text, and says when there is no files service', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const el = await panel({
      files: [row({ name: evil })],
      transfers: [{ id: 1, direction: 'upload', name: evil, done: 0, total: 1, phase: 'placing' }],
      link: { cap: CAP, name: evil, state: 'downloading' },
      notices: [{ seq: 1, text: evil }],
    });
    equal(shadow(el).querySelector('img'), null);
    check(text($(el, 'tbody')).includes(evil), 'in the list');
    check(text($(el, '.transfers')).includes(evil), 'in the transfers');
    const dismissed = collect<{ seq: number }>(document, 'grid-files-notice-dismiss');
    ($(el, '.notice .dismiss') as HTMLButtonElement).click();
    equal(dismissed[0]?.detail.seq, 1);
    equal($(el, '.follower'), null);
    el.follower = true;
    el.link = { cap: CAP, name: 'x', state: 'waiting' };
    await el.updateComplete;
    check(text($(el, '.follower')).includes('Another tab of this browser runs this node'), 'follower');
    check(text($(el, '.link-card')).includes('until this tab runs the node'), 'the link waits for it');
    el.available = false;
    await el.updateComplete;
    check(text(shadow(el)).includes('no files service'), 'unavailable');
  });
});
