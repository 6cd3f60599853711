import '../../../src/ui/grid-invite/define.ts';
import type { GridInvite } from '../../../src/ui/grid-invite/grid-invite.ts';
import { qrPath } from '../../../src/ui/grid-invite/qr.ts';
import { check, equal } from '../assert.ts';
import { collect, mount, shadow } from './fake-node.ts';

const NOW = Date.UTC(2025, 0, 1, 12);
const invitation = {
  url: 'https://dashboard.example/#invite=AAAAcode',
  code: 'AAAAcode',
  expiresAt: NOW + 86_400_000,
};

async function invite(fields: Partial<GridInvite> = {}): Promise<GridInvite> {
  const el = document.createElement('grid-invite');
  Object.assign(el, { canInvite: true, now: NOW, ...fields });
  return mount(el);
}

const part = <T extends Element>(el: GridInvite, name: string) =>
  shadow(el).querySelector(`[part=${name}]`) as T;

describe('<grid-invite>', () => {
  afterEach(() => document.querySelectorAll('grid-invite').forEach((e) => e.remove()));

  it('asks for an invitation with the chosen expiry and right to invite', async () => {
    const el = await invite({ canGrantInvite: true });
    const events = collect<{ expiresInMs: number; canInvite: boolean }>(document, 'grid-invite-create');
    (shadow(el).querySelector('select') as HTMLSelectElement).value = String(3_600_000);
    (shadow(el).querySelector('input[name=canInvite]') as HTMLInputElement).checked = true;
    (shadow(el).querySelector('button[type=submit]') as HTMLButtonElement).click();
    equal(
      JSON.stringify(events.map((e) => e.detail)),
      JSON.stringify([{ expiresInMs: 3_600_000, canInvite: true }]),
    );
  });

  it('sends the name typed "For" with the request, trimmed, and clears the field', async () => {
    const el = await invite();
    const events = collect<{ name?: string }>(document, 'grid-invite-create');
    const name = shadow(el).querySelector('input[name=name]') as HTMLInputElement;
    name.value = '  Bobby ';
    (shadow(el).querySelector('button[type=submit]') as HTMLButtonElement).click();
    (shadow(el).querySelector('button[type=submit]') as HTMLButtonElement).click();
    equal(events[0]?.detail.name, 'Bobby');
    equal('name' in events[1]!.detail, false, 'no name the second time');
    equal(name.value, '');
  });

  it('lists the invitations made, by name and state, with Cancel on pending ones only', async () => {
    const base = { url: 'https://x/#invite=a', expiresAt: NOW + 3_600_000, createdAt: NOW };
    const el = await invite({
      invites: [
        { ...base, code: 'aaaabbbbccccddddeeeeffffgg', name: 'Dave', state: 'pending' },
        { ...base, code: 'bbbbccccddddeeeeffffgggghh', name: 'Bobby', state: 'joined', joinedBy: 'v0-bob' },
        { ...base, code: 'ccccddddeeeeffffgggghhhhii', state: 'cancelled' },
      ],
      nameOf: (id: string) => (id === 'v0-bob' ? 'Bobby' : id),
    });
    const rows = [...shadow(el).querySelectorAll('[part=list] li')] as HTMLElement[];
    equal(rows.length, 3);
    const text = rows.map((r) => r.textContent!.replace(/\s+/g, ' ').trim());
    check(text[0]!.startsWith('Dave aaaa… pending, expires'), text[0]!);
    equal(text[1], 'Bobby bbbb… joined as Bobby');
    equal(text[2], 'Anyone cccc… cancelled');
    equal(shadow(el).querySelectorAll('[part=cancel]').length, 1);
    const events = collect<{ code: string }>(document, 'grid-invite-cancel');
    (rows[0]!.querySelector('[part=cancel]') as HTMLButtonElement).click();
    equal(events[0]?.detail.code, 'aaaabbbbccccddddeeeeffffgg');
  });

  it('a short invitation link makes a small QR code: version 4, 33 modules and the quiet zone', () => {
    const { size } = qrPath('https://gridnode.example.org/#invite=d77hbsmkgeufjpwacu3ywkbwem');
    equal(size, 33 + 8);
    check(qrPath(`https://x/#invite=${'A'.repeat(900)}`).size > 100, 'a long one is large');
  });

  it('does not offer the right to invite when this node may not grant it', async () => {
    const el = await invite({ canGrantInvite: false });
    const events = collect<{ canInvite: boolean }>(el, 'grid-invite-create');
    equal(shadow(el).querySelector('input[name=canInvite]'), null);
    (shadow(el).querySelector('form') as HTMLFormElement).requestSubmit();
    equal(events[0]?.detail.canInvite, false);
  });

  it('says so, with no form, when this node may not invite', async () => {
    const el = await invite({ canInvite: false });
    equal(shadow(el).querySelector('form'), null);
    check(shadow(el).textContent!.includes('may not invite'), 'explains why');
  });

  it('shows the invitation as a link, a QR code and its expiry', async () => {
    const el = await invite({ invitation });
    const link = part<HTMLAnchorElement>(el, 'link');
    equal(link.href, invitation.url);
    equal(link.textContent, invitation.url);
    const qr = part<SVGSVGElement>(el, 'qr');
    equal(qr.localName, 'svg');
    equal(qr.getAttribute('role'), 'img');
    const { size, d } = qrPath(invitation.url);
    equal(qr.getAttribute('viewBox'), `0 0 ${size} ${size}`);
    equal(qr.querySelector('path')?.getAttribute('d'), d);
    check(d.length > 100, 'the code has modules');
    equal(
      shadow(el).querySelector('time')?.getAttribute('datetime'),
      new Date(invitation.expiresAt).toISOString(),
    );
    check(shadow(el).textContent!.includes('tomorrow'), 'the expiry is also said relative to now');
  });

  it('copies the link with its copy button and says it did', async () => {
    const el = await invite({ invitation });
    const copied: string[] = [];
    el.copy = async (text) => void copied.push(text);
    const events = collect<{ text: string; copied: boolean }>(el, 'grid-invite-copy');
    part<HTMLButtonElement>(el, 'copy').click();
    await new Promise((r) => setTimeout(r, 0));
    await el.updateComplete;
    equal(copied.join(), invitation.url);
    equal(
      JSON.stringify(events.map((e) => e.detail)),
      JSON.stringify([{ text: invitation.url, copied: true }]),
    );
    equal(shadow(el).querySelector('[role=status]')?.textContent?.trim(), 'Copied.');
  });

  it('says when copying failed', async () => {
    const el = await invite({ invitation });
    el.copy = () => Promise.reject(new Error('denied'));
    part<HTMLButtonElement>(el, 'copy').click();
    await new Promise((r) => setTimeout(r, 0));
    await el.updateComplete;
    check(shadow(el).querySelector('[role=status]')!.textContent!.includes('failed'), 'the failure is said');
  });

  it('marks an expired invitation', async () => {
    const el = await invite({ invitation: { ...invitation, expiresAt: NOW - 1000 } });
    check(shadow(el).querySelector('p.error')?.textContent?.includes('Expired'), 'expired is shown');
  });
});
